"""The API's rate limit: `API_RATE_LIMIT` requests per client (an API token, or a
signed-in user without one) and window, checked without a database round trip on
all but a few requests (on none with Redis).

A window opens with a client's first request and closes `duration` seconds later; a
request over the limit is refused until then (`Retry-After` says when).

- With `REDIS_URL`, the window is one Redis key: a small Lua script counts the request
  and reads the key's time to live in one round trip, so every process shares an exact
  count.
- Without it, each process counts in memory and reconciles with the shared cache (the
  database cache) when it first counts a client in a window, every
  `API_RATE_LIMIT_SYNC_REQUESTS` requests of the client it let through, and when it
  refuses one. The count is then approximate: a process decides on the total it last
  saw plus its own unreported requests, so with K processes a client may get at most
  K times `API_RATE_LIMIT_SYNC_REQUESTS` requests over the limit in a window (two
  processes reporting at the same instant may overwrite each other's report, the
  database cache has no atomic increment; that loses one batch each, within the same
  bound). One process alone counts exactly. A process that dies, or a window that
  closes, loses the requests not yet reported; a shared cache that cannot be reached
  leaves each process counting on its own. Reconciling by count, not by time, keeps
  the cost of a request predictable: the same requests make the same queries.

A refusal is never a guess: a process refuses only when the requests it knows of have
reached the limit, and then reports its own so the others learn of them.
"""

import functools
import logging
import math
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver

from config.rates import parse_rate

logger = logging.getLogger(__name__)

#: The wall clock every process shares (windows outlive a process).
clock = time.time

#: Local windows kept before the closed ones are dropped.
MAX_LOCAL_WINDOWS = 10_000

# Count this request and return the count and the window's remaining milliseconds;
# the first request of a window sets the window's length.
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    left = tonumber(ARGV[1])
end
return {count, left}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: Seconds until the window closes (whole, at least 1).
    retry_after: int


#: After Redis failed to answer, the seconds the limit counts in process before it
#: asks Redis again (so an unreachable Redis does not add its timeout to every request).
REDIS_RETRY_SECONDS = 5
_redis_down_until = 0.0


def check(ident: str) -> Decision:
    """Count one request of the client `ident` and say whether it may go on."""
    global _redis_down_until
    limit, duration = parse_rate(settings.API_RATE_LIMIT)
    now = clock()
    if settings.REDIS_URL and now >= _redis_down_until:
        try:
            return _redis_check(ident, limit, duration)
        except redis.RedisError:
            _redis_down_until = now + REDIS_RETRY_SECONDS
            logger.warning("The rate limit's Redis is unreachable; counting in process.")
    return _local.check(ident, limit, duration, now)


# Redis


@functools.lru_cache(maxsize=4)
def _redis_count(url: str):
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return client.register_script(COUNT_SCRIPT)


def _redis_check(ident: str, limit: int, duration: int) -> Decision:
    count = _redis_count(settings.REDIS_URL)
    used, left_ms = count(keys=[settings.API_RATE_LIMIT_KEY_PREFIX + ident], args=[duration * 1000])
    return Decision(allowed=used <= limit, retry_after=max(1, math.ceil(left_ms / 1000)))


# In process, reconciled with the shared cache


@dataclass
class LocalWindow:
    opened: float
    #: The window's count in the shared cache when this process last reconciled.
    known: int
    #: Requests this process let through since then.
    pending: int


class LocalCounter:
    """The windows of one process, reconciled every so many requests with the shared cache."""

    def __init__(self):
        self._windows: dict[str, LocalWindow] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def check(self, ident: str, limit: int, duration: int, now: float) -> Decision:
        with self._lock:
            window = self._windows.get(ident)
            if window is None or now >= window.opened + duration:
                window = self._load(ident, duration, now)
            retry_after = max(1, math.ceil(window.opened + duration - now))
            if window.known + window.pending >= limit:
                if window.pending:
                    self._report(ident, window, duration, now)
                return Decision(allowed=False, retry_after=retry_after)
            window.pending += 1
            if window.pending >= settings.API_RATE_LIMIT_SYNC_REQUESTS:
                self._report(ident, window, duration, now)
            return Decision(allowed=True, retry_after=retry_after)

    def _load(self, ident: str, duration: int, now: float) -> LocalWindow:
        if len(self._windows) >= MAX_LOCAL_WINDOWS:
            self._drop_closed(duration, now)
        shared = _shared_window(ident, duration, now)
        opened, known = shared if shared else (now, 0)
        window = LocalWindow(opened=opened, known=known, pending=0)
        self._windows[ident] = window
        return window

    def _report(self, ident: str, window: LocalWindow, duration: int, now: float) -> None:
        """Add this process's requests to the shared count and learn the others'."""
        shared = _shared_window(ident, duration, now)
        if shared:
            window.opened, window.known = shared
        total = window.known + window.pending
        try:
            cache.set(
                _cache_key(ident),
                (window.opened, total),
                timeout=max(1, math.ceil(window.opened + duration - now)),
            )
        except Exception:
            logger.warning("The shared cache is unreachable; the rate limit counts in process.")
            return
        window.known, window.pending = total, 0

    def _drop_closed(self, duration: int, now: float) -> None:
        closed = [key for key, w in self._windows.items() if now >= w.opened + duration]
        for key in closed:
            del self._windows[key]
        if len(self._windows) >= MAX_LOCAL_WINDOWS:
            self._windows.clear()


def _cache_key(ident: str) -> str:
    return f"api-rate:{ident}"


def _shared_window(ident: str, duration: int, now: float) -> tuple[float, int] | None:
    """The shared window of `ident` (when it opened, its count), if one is open."""
    try:
        shared = cache.get(_cache_key(ident))
    except Exception:
        logger.warning("The shared cache is unreachable; the rate limit counts in process.")
        return None
    if not shared or now >= shared[0] + duration:
        return None
    return shared


_local = LocalCounter()


def reset_local() -> None:
    """Forget this process's windows (the shared ones stay) and that Redis failed."""
    global _redis_down_until
    _redis_down_until = 0.0
    _local.reset()


@receiver(setting_changed)
def _forget_windows_of_another_limit(*, setting, **kwargs):
    if setting.startswith("API_RATE_LIMIT") or setting == "REDIS_URL":
        reset_local()
