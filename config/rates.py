"""Rates as the settings write them ("600/m", "3/h"): a count per window of one
second, minute, hour or day, in the syntax of django-ninja's throttles."""

import functools

from ninja.throttling import SimpleRateThrottle


@functools.lru_cache(maxsize=16)
def parse_rate(rate: str) -> tuple[int, int]:
    """`600/m` as (600, 60): the count, and the window in seconds."""
    throttle = SimpleRateThrottle(rate)
    return throttle.num_requests, throttle.duration
