"""Comparing two answers as a person would see them: without what every request makes
anew (its reference, the nonce of its scripts, and the masked form token)."""

import re

PER_REQUEST = re.compile(r'( nonce="|"X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*"')


def as_seen(response) -> str:
    """The body of `response` without its request's reference, script nonces and
    masked form tokens."""
    body = response.content.decode().replace(response["X-Request-ID"], "")
    return PER_REQUEST.sub(r'\1"', body)
