"""The link that confirms an email address: signed, so it needs no table, and dated.

The token carries the account's id and the address it confirms, signed with the
`SECRET_KEY` under a salt of its own (a token made for another purpose does not pass
for one of these) and a timestamp, so it works for `VALID_FOR` (3 days). It is not
secret from the address's owner: the address is readable in it. What makes it work
once is the account: confirming moves the address from pending to confirmed, and a
link for an address the account no longer waits for is refused (see
`accounts.executors.email_verify`).
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing

from config.envelope import ValidationFailed

SALT = "goaltrack.accounts.email-verification"
VALID_FOR = dt.timedelta(days=3)

EXPIRED = (
    "This confirmation link has expired: links work for 3 days. Send a new one from "
    "Preferences (log in first)."
)
INVALID = (
    "This confirmation link is not valid: it may have been cut short or changed on the "
    "way. Open the link from the most recent mail we sent, or send a new one from "
    "Preferences."
)


@dataclass(frozen=True)
class Claim:
    """What a valid link says: confirm `address` for the account `user_id`."""

    user_id: int
    address: str


def make_token(*, user_id: int, address: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"user": user_id, "email": address})


def read_token(token: str, *, valid_for: dt.timedelta = VALID_FOR) -> Claim:
    """The claim of a genuine, unexpired token; otherwise `ValidationFailed` saying
    which of the two it is not."""
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=valid_for)
    except signing.SignatureExpired:
        raise ValidationFailed(EXPIRED) from None
    except (signing.BadSignature, ValueError):
        raise ValidationFailed(INVALID) from None
    if not isinstance(payload, dict):
        raise ValidationFailed(INVALID)
    user_id, address = payload.get("user"), payload.get("email")
    if not isinstance(user_id, int) or not isinstance(address, str) or not address:
        raise ValidationFailed(INVALID)
    return Claim(user_id=user_id, address=address)
