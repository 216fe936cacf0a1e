"""The mails accounts send, written from templates/email/: a plain-text body that reads
well on its own, and a simple HTML one with the same words and no images."""

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string

from .verification import VALID_FOR


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def in_words(span: dt.timedelta) -> str:
    """How long a link works, in words: "3 days", "1 hour", "90 minutes"."""
    minutes = max(1, int(span.total_seconds() // 60))
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}" + ("" if count == 1 else "s")
    raise AssertionError("unreachable")


def _written(name: str, subject: str, context: dict) -> Mail:
    context = {**context, "subject": subject}
    return Mail(
        subject=subject,
        text=render_to_string(f"email/{name}.txt", context),
        html=render_to_string(f"email/{name}.html", context),
    )


def confirm_address(*, username: str, address: str, link: str) -> Mail:
    return _written(
        "confirm_address",
        "Confirm your email address for Goaltrack",
        {"username": username, "address": address, "link": link, "valid_for": in_words(VALID_FOR)},
    )


def password_reset(*, username: str, link: str, valid_for: dt.timedelta) -> Mail:
    return _written(
        "password_reset",
        "Reset your Goaltrack password",
        {"username": username, "link": link, "valid_for": in_words(valid_for)},
    )
