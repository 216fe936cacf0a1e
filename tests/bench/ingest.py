"""Batch ingest through the JSON API (`POST /api/v1/measurements/batch`, 10,000
measurements a request, with a bearer token) next to PostgreSQL's own `COPY` of the
same rows into a bare table, in the same run."""

import datetime as dt
import json
import re
from decimal import Decimal
from itertools import count

from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.contracts import CreateApiToken
from accounts.orchestrators import create_api_token

from .seed import seed_account
from .timing import Path, Timing, interleaved, shorten, table

BATCH = 10_000
URL = "/api/v1/measurements/batch"
COPY_TABLE = "bench_copy_measurement"
#: The columns the API's INSERT writes, with the same types; no key, index or
#: constraint, no foreign key: the floor of what storing these rows can cost.
COPY_COLUMNS = (
    ("metric_id", "bigint NOT NULL"),
    ("value", "numeric(18, 6) NOT NULL"),
    ("measured_at", "timestamptz NOT NULL"),
    ("original_value", "numeric(18, 6)"),
    ("original_unit", "varchar(24) NOT NULL"),
    ("note", "varchar(500) NOT NULL"),
    ("source", "varchar(16) NOT NULL"),
    ("external_id", "varchar(200) NOT NULL"),
    ("submission_token", "uuid"),
    ("created", "timestamptz NOT NULL"),
    ("updated", "timestamptz NOT NULL"),
)


class Batches:
    """Fresh batches of `BATCH` measurements: every batch has external ids never sent
    before, and moments in the past, a minute apart."""

    def __init__(self, metric_id: int, now: dt.datetime):
        self.metric_id = metric_id
        self.now = now
        self.numbers = count()

    def rows(self) -> list[tuple[str, Decimal, dt.datetime]]:
        batch = next(self.numbers)
        start = self.now - dt.timedelta(days=400) + dt.timedelta(minutes=BATCH * batch)
        return [
            (
                f"bench-{batch}-{i}",
                Decimal(700 + (batch * BATCH + i) % 200) / 10,
                start + dt.timedelta(minutes=i),
            )
            for i in range(BATCH)
        ]

    def body(self) -> bytes:
        """The request body, built before the clock starts."""
        items = [
            {
                "metric_id": self.metric_id,
                "value": str(value),
                "measured_at": moment.isoformat(),
                "external_id": external_id,
            }
            for external_id, value, moment in self.rows()
        ]
        return json.dumps({"items": items}).encode()

    def copy_rows(self) -> list[tuple]:
        """The same kind of rows, as the API's INSERT would write them."""
        now = self.now
        return [
            (self.metric_id, value, moment, None, "", "", "api", external_id, None, now, now)
            for external_id, value, moment in self.rows()
        ]


def _all_created(response) -> None:
    if response.status_code != 200:
        raise AssertionError(
            f"batch: expected 200, got {response.status_code}: {response.content[:300]!r}"
        )
    counts = response.json()
    if counts.get("created") != BATCH or counts.get("rejected"):
        raise AssertionError(f"batch: expected {BATCH:,} created, got {str(counts)[:300]}")


def _copied(rowcount) -> None:
    if rowcount != BATCH:
        raise AssertionError(f"COPY: expected {BATCH:,} rows, got {rowcount}")


def _api_path(token: str, bodies: list[bytes]) -> Path:
    client = Client()
    pending = iter(bodies)

    def send():
        return client.post(
            URL,
            next(pending),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    return Path(f"`POST {URL}` ({BATCH:,} items, bearer token)", send, _all_created)


def _copy_path(batches: list[list[tuple]]) -> Path:
    columns = ", ".join(name for name, _ in COPY_COLUMNS)
    statement = f"COPY {COPY_TABLE} ({columns}) FROM STDIN"
    pending = iter(batches)

    def send():
        rows = next(pending)
        # Outside `atomic` Django autocommits: the COPY commits on its own, as the
        # API's request does.
        with connection.cursor() as cursor:
            with cursor.cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            return cursor.cursor.rowcount

    return Path(f"`COPY {COPY_TABLE} FROM STDIN` (psycopg 3 `cursor.copy()`)", send, _copied)


def run(*, batches: int, warmup_batches: int) -> str:
    account = seed_account(username="bench-ingest")
    now = timezone.now()
    token = create_api_token(CreateApiToken(name="bench"), actor_id=account.user.id, now=now)
    if not token.ok:
        raise RuntimeError(f"Seeding failed: {token.error.message}")
    made = Batches(account.metric_id, now)
    # Every request and COPY gets its own rows, made before the clock starts: the
    # warm-up ones, the timed ones and the one whose SQL is captured.
    needed = warmup_batches + batches + 1
    paths = [_api_path(token.data.secret, [made.body() for _ in range(needed)])]
    copy = connection.vendor == "postgresql"
    if copy:
        with connection.cursor() as cursor:
            columns = ", ".join(f"{name} {kind}" for name, kind in COPY_COLUMNS)
            cursor.execute(f"CREATE TABLE {COPY_TABLE} ({columns})")
        paths.append(_copy_path([made.copy_rows() for _ in range(needed)]))
    timings = interleaved(paths, runs=batches, warmup=warmup_batches)
    return _section(account, batches, warmup_batches, *timings)


def _rate(timing: Timing) -> float:
    return BATCH / (timing.median_ms / 1000)


def _section(account, runs: int, warmup: int, api: Timing, copy: Timing | None = None) -> str:
    timings = [t for t in (api, copy) if t is not None]
    rows = [
        [
            t.label,
            f"{t.median_ms:,.0f}",
            f"{max(t.seconds) * 1000:,.0f}",
            f"{_rate(t):,.0f}",
            str(len(t.queries)) if t is api else "1",
        ]
        for t in timings
    ]
    parts = [
        "## Batch ingest",
        f"{runs} timed batches of {BATCH:,} measurements per path, interleaved, after "
        f"{warmup} warm-up batch{'es' if warmup != 1 else ''} each. Each API request sends "
        f"{BATCH:,} items with fresh external ids (`metric_id`, `value`, `measured_at`, "
        "`external_id`) for the weight metric (kg) of a user whose metric has "
        f"{account.goals_on_metric} goals and {account.history:,} measurements before the "
        "first batch, through `django.test.Client`, the full middleware stack and a bearer "
        "token; its body is built before the clock starts. All items are created, each with "
        "its audit entry in the same transaction.",
    ]
    if copy is not None:
        parts[-1] += (
            f" The baseline copies the same {BATCH:,} rows (the columns the API's INSERT "
            f"writes, same types) into `{COPY_TABLE}`, a plain table without key, index or "
            "constraint, with psycopg 3's `cursor.copy()` on the bench's connection, one "
            "autocommitted COPY per batch."
        )
    parts.append(table(["path", "median ms", "slowest ms", "rows/s (median)", "queries"], rows))
    if copy is not None:
        parts.append(
            f"Ratio of medians, API batch / COPY: **{api.median_ms / copy.median_ms:.1f}** "
            f"(the API stores {_rate(api):,.0f} measurements a second, "
            f"{_rate(api) / _rate(copy):.0%} of COPY's {_rate(copy):,.0f})"
        )
    else:
        parts.append("No COPY baseline: it needs PostgreSQL.")
    parts += [
        f"### SQL of one batch request ({len(api.queries)} queries)",
        _grouped(api.queries),
    ]
    return "\n\n".join(parts)


SAVEPOINT_NAME = re.compile(r'"s\d+_x\d+"')
LONG_IN_LIST = re.compile(r"IN \([^()]{60,}\)")
UNNEST = re.compile(r"SELECT \* FROM UNNEST\(.*?\)(?= RETURNING|$)", re.DOTALL)


def _grouped(queries: list[str]) -> str:
    """Statements in order, long `IN (…)` lists elided, and consecutive repeats of one
    shape folded into one line ("10 times: …")."""
    shapes = [
        shorten(UNNEST.sub("SELECT * FROM UNNEST(…)", LONG_IN_LIST.sub("IN (…)", sql)))
        for sql in (SAVEPOINT_NAME.sub('"s…"', sql) for sql in queries)
    ]
    folded: list[list] = []
    for shape in shapes:
        if folded and folded[-1][0] == shape:
            folded[-1][1] += 1
        else:
            folded.append([shape, 1])
    return "\n".join(
        f"{i}. {f'{n} times: ' if n > 1 else ''}`{shape}`" for i, (shape, n) in enumerate(folded, 1)
    )
