"""Timing, query capture and markdown helpers shared by the bench modules."""

import gc
import math
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class Path:
    """One request path: `send` makes one request and returns the response, `check`
    raises when the response is not the one the path should give."""

    label: str
    send: Callable[[], object]
    check: Callable[[object], None]

    def once(self):
        response = self.send()
        self.check(response)
        return response


@dataclass(frozen=True)
class Timing:
    label: str
    seconds: list[float]
    queries: list[str]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        """Nearest rank: the smallest sample at or above 95 % of them."""
        ranked = sorted(self.seconds)
        return ranked[math.ceil(0.95 * len(ranked)) - 1] * 1000


def interleaved(paths: list[Path], *, runs: int, warmup: int) -> list[Timing]:
    """Time `runs` requests of each path, alternating the order each round so that
    neither path always follows the other; then capture one more request's SQL each.
    The SQL is captured apart from the timed requests, since capturing slows them."""
    for _ in range(warmup):
        for path in paths:
            path.once()
    seconds: dict[str, list[float]] = {path.label: [] for path in paths}
    gc.collect()
    for round_ in range(runs):
        for path in paths if round_ % 2 == 0 else paths[::-1]:
            started = time.perf_counter()
            response = path.send()
            seconds[path.label].append(time.perf_counter() - started)
            path.check(response)
    return [Timing(path.label, seconds[path.label], captured_sql(path)) for path in paths]


def captured_sql(path: Path) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        path.once()
    return [query["sql"] for query in queries.captured_queries]


QUALIFIED = re.compile(r'"\w+"\.("\w+")')
SELECT_LIST = re.compile(r"^SELECT (?:DISTINCT )?[^,]+?,.+? FROM ")
COLUMN_LIST = re.compile(r'\("\w+"(?:, "\w+")+\)')
VALUE_LIST = re.compile(r"VALUES \(.*?\)(?= RETURNING|$)")


def shorten(sql: str, width: int = 150) -> str:
    """One line without table qualifiers, long select and column lists elided, cut at
    `width`."""
    sql = QUALIFIED.sub(r"\1", " ".join(sql.split()))
    sql = SELECT_LIST.sub("SELECT … FROM ", sql)
    sql = COLUMN_LIST.sub("(…)", sql)
    sql = VALUE_LIST.sub("VALUES (…)", sql)
    sql = re.sub(r" RETURNING .+$", " RETURNING …", sql)
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = [headers, ["---"] * len(headers), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)
