"""Waiting out a database that went away (a restart, a failover, cut connections):
the worker and the scheduler log it once, reconnect with capped backoff and go on."""

import logging
import time
from collections.abc import Callable

from django.db import connections

from config.errors import DATABASE_UNAVAILABLE

#: What a connection that was cut, or a server that refuses connections, raises: the
#: same errors the web answers with 503.
DATABASE_AWAY = DATABASE_UNAVAILABLE
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0


def database_answers() -> bool:
    """Open fresh connections and ask each database for one row."""
    connections.close_all()
    try:
        for connection in connections.all():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except DATABASE_AWAY:
        return False
    return True


class Outage:
    """One stretch of time without a database, told in two log lines: when it starts
    and when it ends, however many reconnections it takes in between."""

    def __init__(
        self,
        who: str,
        logger: logging.Logger,
        *,
        retrying: str = f"reconnects every {FIRST_DELAY_SECONDS:g} to {MAX_DELAY_SECONDS:g} "
        "seconds until the database answers",
        clock=time.monotonic,
    ):
        self.who = who
        self.retrying = retrying
        self.logger = logger
        self.clock = clock
        self.since: float | None = None

    def lost(self, error: Exception) -> None:
        if self.since is not None:
            return
        self.since = self.clock()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        self.logger.warning(
            "The %s lost the database (%s); it %s.", self.who, reason, self.retrying
        )

    def over(self) -> None:
        if self.since is None:
            return
        self.logger.warning(
            "The database is back after %.1f seconds; the %s goes on.",
            self.clock() - self.since,
            self.who,
        )
        self.since = None


def wait_for_database(
    *,
    keep_waiting: Callable[[], bool] = lambda: True,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Sleep 1, 2, 4 ... up to 30 seconds between tries until the database answers;
    False if `keep_waiting` says to give up first (the process is stopping)."""
    delay = FIRST_DELAY_SECONDS
    while keep_waiting():
        sleep(delay)
        if database_answers():
            return True
        delay = min(delay * 2, MAX_DELAY_SECONDS)
    return False
