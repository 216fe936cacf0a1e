"""Checking a webhook delivery's signature. The sender signs `<timestamp>.<body>` with
HMAC-SHA256 and the source's secret and sends

    X-Goaltrack-Timestamp: 1764140000          (Unix seconds)
    X-Goaltrack-Signature: sha256=<hex digest>

A delivery older (or newer) than `TOLERANCE` is refused as stale; one whose signature
was seen before is refused as a replay (`sources.executors.delivery_accept`).
"""

import datetime as dt
import hashlib
import hmac
import re

TOLERANCE = dt.timedelta(minutes=5)
TIMESTAMP_HEADER = "X-Goaltrack-Timestamp"
SIGNATURE_HEADER = "X-Goaltrack-Signature"
#: Unix seconds, in ASCII digits (`str.isdigit` takes other scripts' digits too).
TIMESTAMP = re.compile(r"[0-9]{1,12}")


class Refused(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, headers, body: bytes, now: dt.datetime) -> str:
    """The delivery's signature, if it is genuine and fresh; else `Refused`. The
    timestamp is compared as a bounded whole number, never turned into a date, so no
    value of it can overflow."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    sent = headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not sent:
        raise Refused(f"Sign the delivery: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}.", 401)
    if not TIMESTAMP.fullmatch(timestamp):
        raise Refused(f"{TIMESTAMP_HEADER} must be Unix seconds: up to 12 digits 0-9.", 400)
    # As bytes: a header may hold any Latin-1 character, and compare_digest refuses
    # a str that is not ASCII.
    expected = signature(secret, timestamp, body)
    if not hmac.compare_digest(sent.encode("latin-1", "replace"), expected.encode()):
        raise Refused("The signature does not match this source's secret.", 401)
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE.total_seconds():
        raise Refused("The delivery is stale: its timestamp is more than 5 minutes off.", 400)
    return sent
