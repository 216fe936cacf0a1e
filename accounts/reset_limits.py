"""How often a password reset may be asked for.

- Per address (`PASSWORD_RESET_ADDRESS_LIMIT`): so nobody can flood an inbox with
  reset mails. A request past the limit sends nothing and is answered like any other,
  so the page still tells no one whether the address has an account.
- Per client (`PASSWORD_RESET_CLIENT_LIMIT`, the address of `throttle.client_address`):
  so one client cannot walk through addresses. A request past it is refused with a
  page that says when to try again (429, `Retry-After`).

Each window lives in the shared cache (the database's or Redis): it opens with its
first request and closes `duration` seconds later. Two requests at the same instant
may both count as one; at these rates that errs by a mail, never by a flood.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from config.rates import parse_rate

#: The wall clock every process shares.
clock = time.time


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    #: Seconds until the window closes (whole, at least 1).
    retry_after: int


def count(kind: str, who: str, rate: str) -> Allowance:
    """Count one request of `who` (an address, a client) against `rate`."""
    limit, duration = parse_rate(rate)
    key = f"password-reset:{kind}:{hashlib.sha256(who.encode()).hexdigest()}"
    now = clock()
    window = cache.get(key)
    opened, used = window if window and now < window[0] + duration else (now, 0)
    used += 1
    left = max(1, math.ceil(opened + duration - now))
    cache.set(key, (opened, used), timeout=left)
    return Allowance(allowed=used <= limit, retry_after=left)
