"""Importing a large CSV file: a file of `--csv-rows` rows (a million by default) is
written to disk, queued through `sources.orchestrators.import_file` as the upload page
does (the file is copied into a MEDIA_ROOT in a temporary directory), and run in this
process by `sources.orchestrators.sync(run_id, open_upload=open_stored_upload)`, as
the `run_sync` task runs it.

The timed run is exactly the task's; its queries are counted with a
`connection.execute_wrapper` (nothing stored). The Python heap peak (tracemalloc,
which slows everything) and the SQL of one batch are measured in separate, smaller
runs, each into a metric of its own so that every run creates all its rows."""

import ctypes
import datetime as dt
import gc
import itertools
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from measurements.models import Measurement
from sources import executors as source_executors
from sources.models import SyncRun
from sources.orchestrators import import_file, sync
from sources.providers.csv_file import BATCH_SIZE, CsvFile
from sources.tasks import open_stored_upload

from .ingest import _grouped
from .seed import seed_account
from .timing import table

#: Rows of each tracemalloc run (at most `--csv-rows`): two sizes, to show whether the
#: peak grows with the file.
HEAP_ROWS = (10_000, 50_000)
#: Full batches of the run whose second batch has its SQL captured.
SQL_BATCHES = 3
MAPPING = {
    "time_column": "measured_at",
    "value_column": "value",
    "note_column": "note",
    "time_zone": "UTC",
}
NOTE = "before breakfast"
TRANSACTION_COMMANDS = ("BEGIN", "COMMIT", "ROLLBACK")


def _say(message: str) -> None:
    print(f"csv import: {message}", file=sys.stderr, flush=True)


def _mb(size: float) -> str:
    return f"{size / 2**20:,.1f}"


# The file --------------------------------------------------------------------------------


def write_csv(path: Path, rows: int, end: dt.datetime) -> dt.datetime:
    """`rows` rows, one a minute up to `end` (naive UTC, no offset written), streamed
    to `path` 10,000 lines at a time; every 20th row has a note. Returns the first
    row's time."""
    minute = dt.timedelta(minutes=1)
    start = end - minute * (rows - 1)
    moment = start
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("measured_at,value,note\n")
        lines: list[str] = []
        for i in range(rows):
            tenths = 700 + (i * 37) % 200
            note = NOTE if i % 20 == 0 else ""
            lines.append(f"{moment:%Y-%m-%d %H:%M},{tenths // 10}.{tenths % 10},{note}\n")
            moment += minute
            if len(lines) == 10_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
    return start


def _queue(user_id: int, metric_id: int, path: Path) -> int:
    """Queue the import as the upload page does, with a no-op enqueue: the bench runs
    it itself."""
    with path.open("rb") as handle:
        queued = import_file(
            actor_id=user_id,
            provider_key=CsvFile.key,
            name=path.name,
            settings={"metric_id": metric_id, **MAPPING},
            upload=File(handle, name=path.name),
            now=timezone.now(),
            enqueue=lambda run_id: None,
        )
    if not queued.ok:
        raise RuntimeError(f"Queueing the import failed: {queued.error.message}")
    return queued.data


def _finished(run_id: int, result, rows: int) -> SyncRun:
    if not result.ok:
        raise RuntimeError(f"The import failed: {result.error.message}")
    run = SyncRun.objects.get(id=run_id)
    if run.status != "succeeded" or run.created_count != rows or run.rejected_count:
        raise AssertionError(
            f"Expected {rows:,} rows created, got {run.get_status_display()}: "
            f"{run.created_count:,} created, {run.rejected_count:,} rejected "
            f"({run.rejections[:2]})"
        )
    return run


# The runs -----------------------------------------------------------------------------------


class _QueryCounter:
    """Counts the statements run, and notes when each was sent."""

    def __init__(self):
        self.count = 0
        self.sent: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.sent.append(time.perf_counter())
        return execute(sql, params, many, context)


def _tenths(sent: list[float], started: float, ended: float, rows: int) -> list[float]:
    """Rows a second in each tenth of a run, cut by its statements: every full batch
    runs as many, so a tenth of them is about a tenth of the rows."""
    cuts = [started, *(sent[len(sent) * k // 10] for k in range(1, 10)), ended]
    return [rows / 10 / (after - before) for before, after in itertools.pairwise(cuts)]


def _release_freed_memory() -> bool:
    """Collect garbage and hand the C heap's free memory back to the system (glibc's
    `malloc_trim`), so that the RSS before the run is not memory the benches before
    freed but kept."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        return False
    return True


def _reset_max_rss() -> bool:
    """Set the process's RSS high-water mark (`ru_maxrss`) to its current RSS, so that
    the mark after the run is the run's own peak, not that of the benches before it
    (Linux: /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _max_rss() -> int:
    """`ru_maxrss` in bytes (Linux gives KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@dataclass(frozen=True)
class Timed:
    rows: int
    file_bytes: int
    first: dt.datetime
    last: dt.datetime
    write_seconds: float
    queue_seconds: float
    seconds: float
    queries: int
    run: SyncRun
    stored: int
    rss_before: int
    rss_after: int
    rss_reset: bool
    rss_trimmed: bool
    history: int
    #: Rows a second in each tenth of the run (empty for a short run).
    tenths: list[float]

    @property
    def batches(self) -> int:
        return -(-self.rows // BATCH_SIZE)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def _timed(folder: Path, rows: int, end: dt.datetime) -> Timed:
    account = seed_account(username="bench-csv")
    path = folder / "measurements.csv"
    _say(f"writing {rows:,} rows to {path}")
    started = time.perf_counter()
    first = write_csv(path, rows, end)
    written = time.perf_counter() - started
    started = time.perf_counter()
    run_id = _queue(account.user.id, account.metric_id, path)
    queued = time.perf_counter() - started
    before_count = Measurement.objects.filter(metric_id=account.metric_id).count()
    _say(f"importing {rows:,} rows ({_mb(path.stat().st_size)} MB), run {run_id}")
    counter = _QueryCounter()
    trimmed = _release_freed_memory()
    reset = _reset_max_rss()
    rss_before = _max_rss()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = sync(run_id, open_upload=open_stored_upload)
        ended = time.perf_counter()
    seconds = ended - started
    rss_after = _max_rss()
    run = _finished(run_id, result, rows)
    stored = Measurement.objects.filter(metric_id=account.metric_id).count() - before_count
    _say(f"{rows:,} rows in {seconds:,.1f} s ({rows / seconds:,.0f} rows/s)")
    return Timed(
        rows=rows,
        file_bytes=path.stat().st_size,
        first=first,
        last=end,
        write_seconds=written,
        queue_seconds=queued,
        seconds=seconds,
        queries=counter.count,
        run=run,
        stored=stored,
        rss_before=rss_before,
        rss_after=rss_after,
        rss_reset=reset,
        rss_trimmed=trimmed,
        history=account.history,
        tenths=_tenths(counter.sent, started, ended, rows) if counter.count >= 100 else [],
    )


@dataclass(frozen=True)
class Heap:
    rows: int
    peak: int
    seconds: float


def _heap(folder: Path, rows: int, end: dt.datetime) -> Heap:
    account = seed_account(username=f"bench-csv-heap-{rows}", history=0)
    path = folder / f"heap-{rows}.csv"
    write_csv(path, rows, end)
    run_id = _queue(account.user.id, account.metric_id, path)
    _say(f"importing {rows:,} rows under tracemalloc")
    gc.collect()
    tracemalloc.start()
    try:
        started = time.perf_counter()
        result = sync(run_id, open_upload=open_stored_upload)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _finished(run_id, result, rows)
    return Heap(rows=rows, peak=peak, seconds=seconds)


class _Observed:
    """`sources.executors` as they are, except that the SQL of the `which`-th
    `batch_write` is captured."""

    def __init__(self, which: int):
        self.which = which
        self.calls = 0
        self.queries: list[str] = []

    def __getattr__(self, name: str):
        return getattr(source_executors, name)

    def batch_write(self, **arguments):
        self.calls += 1
        if self.calls != self.which:
            return source_executors.batch_write(**arguments)
        with CaptureQueriesContext(connection) as captured:
            result = source_executors.batch_write(**arguments)
        self.queries = [query["sql"] for query in captured.captured_queries]
        return result


def _one_batch_sql(folder: Path, rows: int, end: dt.datetime) -> tuple[int, int, list[str]]:
    """(rows in the captured batch, total queries of the run, the batch's SQL)."""
    account = seed_account(username="bench-csv-sql", history=0)
    path = folder / "sql.csv"
    write_csv(path, rows, end)
    run_id = _queue(account.user.id, account.metric_id, path)
    batches = -(-rows // BATCH_SIZE)
    observed = _Observed(which=min(2, batches))
    counter = _QueryCounter()
    with connection.execute_wrapper(counter):
        result = sync(run_id, open_upload=open_stored_upload, executors=observed)
    _finished(run_id, result, rows)
    batch_rows = min(BATCH_SIZE, rows - (observed.which - 1) * BATCH_SIZE)
    return batch_rows, counter.count, observed.queries


def run(*, csv_rows: int) -> str:
    if csv_rows <= 0:
        return "## CSV import\n\nSkipped (`--csv-rows 0`)."
    # A minute boundary an hour ago: every row is in the past.
    end = (timezone.now() - dt.timedelta(hours=1)).replace(second=0, microsecond=0, tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="goaltrack-bench-csv-") as temporary:
        folder = Path(temporary)
        media = folder / "media"
        media.mkdir()
        with override_settings(MEDIA_ROOT=media):
            timed = _timed(folder, csv_rows, end)
            sizes = sorted({min(rows, csv_rows) for rows in HEAP_ROWS})
            heaps = [_heap(folder, rows, end) for rows in sizes]
            sql_rows = SQL_BATCHES * BATCH_SIZE
            batch_rows, sql_total, batch_sql = _one_batch_sql(folder, sql_rows, end)
    return _section(timed, heaps, sql_rows, sql_total, batch_rows, batch_sql)


def _section(
    timed: Timed,
    heaps: list[Heap],
    sql_rows: int,
    sql_total: int,
    batch_rows: int,
    batch_sql: list[str],
) -> str:
    run = timed.run
    statements = [sql for sql in batch_sql if sql not in TRANSACTION_COMMANDS]
    sql_batches = -(-sql_rows // BATCH_SIZE)
    minutes, seconds = divmod(timed.seconds, 60)
    parts = [
        "## CSV import",
        f"A CSV file of {timed.rows:,} rows ({_mb(timed.file_bytes)} MB; columns "
        f"`measured_at,value,note`; one row a minute from {timed.first:%Y-%m-%d %H:%M} to "
        f"{timed.last:%Y-%m-%d %H:%M} UTC, written without offset with `time_zone=UTC`; "
        f"values 70.0 to 89.9; a note on every 20th row), stream-written to a temporary "
        f"directory in {timed.write_seconds:,.1f} s, queued with "
        "`sources.orchestrators.import_file` for the weight metric of a user with "
        f"{timed.history:,} measurements (a no-op enqueue; the file is copied into a "
        f"MEDIA_ROOT in the temporary directory in {timed.queue_seconds:,.2f} s), then "
        "run in this process by `sources.orchestrators.sync(run_id, "
        "open_upload=sources.tasks.open_stored_upload)`, as the `run_sync` task runs it, "
        f"in batches of {BATCH_SIZE:,} rows. The time is the whole `sync` call, from "
        "taking the lease to marking the run succeeded. Statements are counted with "
        "`connection.execute_wrapper` (it does not see the BEGIN and COMMIT of each "
        "transaction).",
        table(
            ["rows", "time", "rows/s", "batches", "statements", "statements / batch"],
            [
                [
                    f"{timed.rows:,}",
                    f"{timed.seconds:,.1f} s ({int(minutes)} min {seconds:04.1f} s)",
                    f"**{timed.rate:,.0f}**",
                    f"{timed.batches:,}",
                    f"{timed.queries:,}",
                    f"{timed.queries / timed.batches:.2f}",
                ]
            ],
        ),
        *_tenths_text(timed),
        "The run's counts:",
        table(
            [
                "status",
                "mode",
                "created",
                "updated",
                "unchanged",
                "rejected",
                "progress",
                "measurements stored",
            ],
            [
                [
                    run.get_status_display(),
                    run.mode,
                    f"{run.created_count:,}",
                    f"{run.updated_count:,}",
                    f"{run.unchanged_count:,}",
                    f"{run.rejected_count:,}",
                    f"{run.progress_done:,} / {run.progress_total:,}"
                    if run.progress_total is not None
                    else f"{run.progress_done:,}",
                    f"{timed.stored:,}",
                ]
            ],
        ),
        "### Memory",
        _rss_text(timed),
        table(
            ["", "MB"],
            [
                ["max RSS before the run", _mb(timed.rss_before)],
                ["max RSS after the run", _mb(timed.rss_after)],
                ["growth", _mb(timed.rss_after - timed.rss_before)],
            ],
        ),
        "Python heap peak (tracemalloc, from the start of `sync` to its end), in separate "
        "runs of the same kind of file into metrics of their own; tracemalloc slows them:",
        table(
            ["rows", "heap peak MB", "seconds (under tracemalloc)"],
            [[f"{h.rows:,}", _mb(h.peak), f"{h.seconds:,.1f}"] for h in heaps],
        ),
        f"### SQL of one batch ({len(statements)} statements, {batch_rows:,} rows)",
        "Captured with `CaptureQueriesContext` around the second `batch_write` of a "
        f"separate run of {sql_rows:,} rows: {len(statements)} statements, plus "
        f"{len(batch_sql) - len(statements)} transaction commands (BEGIN, COMMIT) that "
        f"Django logs too. That run executed {sql_total} statements in all, so "
        f"{sql_total - len(statements) * sql_batches} outside its {sql_batches} batches.",
        _grouped(batch_sql),
    ]
    return "\n\n".join(parts)


def _tenths_text(timed: Timed) -> list[str]:
    if not timed.tenths:
        return []
    return [
        "Rows a second in each tenth of the run (about "
        f"{timed.rows // 10:,} rows each; cut by the statements counted):",
        table(
            [f"{k}/10" for k in range(1, 11)],
            [[f"{rate:,.0f}" for rate in timed.tenths]],
        ),
    ]


def _rss_text(timed: Timed) -> str:
    steps = ["garbage was collected"]
    if timed.rss_trimmed:
        steps.append("the C heap's free memory handed back (`malloc_trim`)")
    if timed.rss_reset:
        steps.append(
            "the high-water mark reset to the current RSS (`/proc/self/clear_refs`), so "
            "that the peak of the benches before does not hide the run's own"
        )
    text = (
        "The process's max RSS (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) just before "
        f"`sync`, after {', '.join(steps[:-1])} and {steps[-1]}, and right after it. "
        if len(steps) > 1
        else "The process's max RSS (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) just "
        "before and right after `sync`. "
    )
    if not timed.rss_reset:
        text += (
            "Its high-water mark could not be reset, so the figure before is the peak of "
            "everything the process did before (the other benches) and the growth may "
            "hide part of the run's peak. "
        )
    return text + (
        "Memory the benches before freed but the process kept (Python's arenas) can be "
        "reused by the run without growing the RSS, so the growth is a floor:"
    )
