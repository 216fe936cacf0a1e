"""The shape of API token secrets: `gt_` and 43 URL-safe characters (256 bits)."""

import hashlib
import secrets

PREFIX = "gt_"
SHOWN_PREFIX_LENGTH = 10


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
