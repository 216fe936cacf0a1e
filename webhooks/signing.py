"""Secrets and signatures of outgoing webhooks, as the Standard Webhooks
specification has them: a secret is `whsec_` and the base64 of random bytes; each
attempt carries `webhook-id` (the message, the same on every attempt),
`webhook-timestamp` (the attempt, in Unix seconds) and `webhook-signature`, which is
`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, once per secret in force,
separated by spaces. Receivers check it with any Standard Webhooks library."""

import base64
import datetime as dt
import secrets
import uuid

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
USER_AGENT = "Goaltrack-Webhooks/1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def signed_headers(*, msg_id: str, body: str, at: dt.datetime, keys: list[str]) -> dict[str, str]:
    """The headers of one attempt at `at`, signed with each of `keys`."""
    at = at.astimezone(dt.UTC)
    signatures = " ".join(Webhook(key).sign(msg_id, at, body) for key in keys)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
