"""The sync policy as a table, against fakes: a scripted provider, recording executors
and a fixed metrics selector. No database: the orchestrator must not need one.

Each case reads as: what the provider can do and what it does per attempt, what the
run's context holds; then the executor calls in order, the pulls the provider saw,
the sleeps, and the envelope."""

import contextlib
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace
from unittest.mock import ANY

import pytest
from pydantic import BaseModel

from config.envelope import (
    ApplicationError,
    Conflict,
    ErrorCode,
    ErrorDetail,
    Result,
    ValidationFailed,
)
from config.request_context import Phase
from measurements.contracts import IngestCounts, MetricData
from sources.contracts import BatchWritten, RunContext, SourceBusy
from sources.engine import (
    BUSY_MESSAGE,
    UNKNOWN_PROVIDER,
    Dependencies,
    RetryPolicy,
    choose_mode,
    sync,
)
from sources.providers import (
    Batch,
    Capability,
    CursorRejected,
    Mode,
    PermanentError,
    Provider,
    TransientError,
)

WHEN = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)
JITTER = 0.5  # scales the backoff by 0.75
RUN, SOURCE, OWNER, METRIC = 41, 3, 5, 7
CORRELATION = "corr-0123456789"
UPLOAD = "uploads/readings.csv"

FULL, INCR = Capability.FULL_PULL, Capability.INCREMENTAL_PULL
FILE, PUSH = Capability.FILE_IMPORT, Capability.PUSH
PULLS = FULL | INCR
EVERYTHING = PUSH | INCR | FULL | FILE | Capability.BACKFILL

NO_PULL = "This provider cannot be pulled from; it imports files or is pushed to."
NO_FILES = "This provider does not import files."


# --- helpers ------------------------------------------------------------------------


def item(n: int, **changes) -> dict:
    return {
        "metric_id": METRIC,
        "value": str(80 + n),
        "measured_at": (WHEN - dt.timedelta(hours=n)).isoformat(),
        "external_id": f"e{n}",
        **changes,
    }


def batch(cursor: str | None, *items: dict) -> Batch:
    return Batch(items=list(items) or [item(0)], cursor=cursor)


class FeedSettings(BaseModel):
    station: str = "home"


class FakeProvider(Provider):
    """Plays one script per attempt (pull or parse): batches are yielded, exceptions
    raised where they stand. Records what it was asked for."""

    key = "fake"
    label = "Fake feed"
    settings_model = FeedSettings

    def __init__(self, capabilities: Capability, *attempts: list):
        self.capabilities = capabilities
        self.script = list(attempts)
        self.pulls: list[tuple[Mode, str | None]] = []
        self.parsed: list[bytes] = []

    def _play(self):
        for step in self.script.pop(0) if self.script else []:
            if isinstance(step, Exception):
                raise step
            yield step

    def pull(self, source, *, mode):
        self.pulls.append((mode, source.cursor))
        return self._play()

    def parse(self, source, upload):
        self.parsed.append(upload.read())
        return self._play()


class FakeExecutors:
    """Records each call as a short tuple. `write_fails_at=k` makes the k-th batch
    write fail: raising `write_error` (an ApplicationError, as real executors do), or
    returning it as a failed envelope when `write_returns_failure` is set."""

    def __init__(
        self,
        *,
        cursor: str | None = None,
        upload: str | None = None,
        provider: str = "fake",
        settings: dict | None = None,
        run_id: int = RUN,
        start_error: ApplicationError | None = None,
        busy_deferrals: int | None = None,
        write_fails_at: int | None = None,
        write_error: ApplicationError | None = None,
        write_returns_failure: bool = False,
    ):
        self.context = dict(
            run_id=run_id,
            source_id=SOURCE,
            owner_id=OWNER,
            provider=provider,
            settings=settings or {},
            cursor=cursor,
            upload=upload,
        )
        self.start_error = start_error
        self.busy_deferrals = busy_deferrals
        self.leases: list[dt.datetime] = []
        self.on_commits: list = []
        self.write_fails_at = write_fails_at
        self.write_error = write_error or ValidationFailed("The batch could not be written.")
        self.write_returns_failure = write_returns_failure
        self.calls: list[tuple] = []
        self.writes: list[dict] = []
        self.errors: list[ErrorDetail] = []
        self.nows: list[dt.datetime] = []

    def run_start(self, *, run_id, now, correlation_id, lease_until):
        self.calls.append(("start", run_id))
        self.nows.append(now)
        self.leases.append(lease_until)
        if self.start_error:
            raise self.start_error
        if self.busy_deferrals is not None:
            return Result.success(
                SourceBusy(run_id=run_id, held_by=RUN - 1, deferrals=self.busy_deferrals)
            )
        return Result.success(RunContext(**self.context, correlation_id=correlation_id))

    def run_heartbeat(self, *, run_id, generation, now, lease_until):
        self.calls.append(("beat",))
        self.leases.append(lease_until)
        return Result.success(run_id)

    def run_defer(self, *, run_id, note, on_commit):
        self.calls.append(("defer", note))
        self.on_commits.append(on_commit)
        return Result.success(run_id)

    def run_refuse(self, *, run_id, error, now):
        self.calls.append(("refuse", error.message))
        self.errors.append(error)
        return Result.success(run_id)

    def run_mode(self, *, run_id, generation, mode, note=""):
        self.calls.append(("mode", mode, note))
        return Result.success(run_id)

    def batch_write(
        self, *, run_id, generation, rows, refused, cursor, progress, keep_cursor, now, lease_until
    ):
        self.calls.append(("write", cursor, keep_cursor))
        self.leases.append(lease_until)
        self.writes.append(dict(rows=rows, refused=refused, cursor=cursor, keep=keep_cursor))
        self.nows.append(now)
        if len(self.writes) == self.write_fails_at:
            if self.write_returns_failure:
                return Result.failure(self.write_error)
            raise self.write_error
        return Result.success(BatchWritten(counts=IngestCounts(created=len(rows)), cursor=cursor))

    def run_succeed(self, *, run_id, generation, now):
        self.calls.append(("succeed",))
        self.nows.append(now)
        return Result.success(run_id)

    def run_fail(self, *, run_id, generation, error, now):
        self.calls.append(("fail", error.message))
        self.errors.append(error)
        return Result.success(run_id)

    def run_compensate(self, *, run_id, generation, error, now):
        self.calls.append(("compensate", error.message))
        self.errors.append(error)
        return Result.success(run_id)

    @property
    def kept_cursor(self) -> str | None:
        """What the source's stored cursor would be after the writes (as the real
        batch_write stores it)."""
        kept = [w["cursor"] for w in self.writes if w["keep"] and w["cursor"] is not None]
        return kept[-1] if kept else self.context["cursor"]


class FakeMetrics:
    def __init__(self):
        self.asked: list[int] = []

    def metrics_for_owner(self, *, owner_id):
        self.asked.append(owner_id)
        return [MetricData(id=METRIC, name="Weight", unit="kg")]


DEFAULT_RETRY = RetryPolicy()
LEASE = dt.timedelta(seconds=90)


class Run(SimpleNamespace):
    """One `sync` call and everything it touched."""


def run(
    provider: FakeProvider,
    executors: FakeExecutors,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    providers=None,
    heartbeat_every: float = 1000.0,
    requeue=None,
) -> Run:
    sleeps: list[float] = []
    opened: list[str] = []
    metrics = FakeMetrics()

    def open_upload(name: str):
        opened.append(name)
        return io.BytesIO(b"when,value\n")

    deps = Dependencies(
        open_upload=open_upload,
        providers=providers or SimpleNamespace(get={"fake": provider}.get),
        executors=executors,
        metrics=metrics,
        now=lambda: WHEN,
        sleep=sleeps.append,
        jitter=lambda: JITTER,
        retry=retry,
        requeue=requeue,
        lease_for=LEASE,
        heartbeat_every=heartbeat_every,
    )
    result = sync(executors.context["run_id"], deps, correlation_id=CORRELATION)
    return Run(result=result, sleeps=sleeps, opened=opened, metrics=metrics)


def start(mode: Mode, note: str = "") -> list[tuple]:
    return [("start", RUN), ("mode", mode.value, note)]


# --- RetryPolicy.delay and choose_mode ----------------------------------------------


@pytest.mark.parametrize(
    ("policy", "attempt", "retry_after", "jitter", "expected"),
    [
        pytest.param(RetryPolicy(), 1, None, 0.0, 0.5, id="first-no-jitter-half"),
        pytest.param(RetryPolicy(), 1, None, 1.0, 1.0, id="first-full-jitter"),
        pytest.param(RetryPolicy(), 1, None, 0.5, 0.75, id="first-mid-jitter"),
        pytest.param(RetryPolicy(), 2, None, 0.5, 1.5, id="doubles"),
        pytest.param(RetryPolicy(), 3, None, 1.0, 4.0, id="doubles-again"),
        pytest.param(RetryPolicy(), 7, None, 1.0, 60.0, id="capped"),
        pytest.param(RetryPolicy(), 7, None, 0.0, 30.0, id="capped-then-jittered"),
        pytest.param(RetryPolicy(), 1, 30, 0.5, 30.0, id="retry-after-honoured"),
        pytest.param(RetryPolicy(), 5, 2, 1.0, 16.0, id="backoff-above-retry-after"),
        pytest.param(RetryPolicy(), 1, 120, 0.5, 60.0, id="retry-after-capped"),
        pytest.param(RetryPolicy(base_seconds=2, cap_seconds=5), 2, None, 1.0, 4.0, id="base"),
        pytest.param(RetryPolicy(base_seconds=2, cap_seconds=5), 3, None, 1.0, 5.0, id="cap"),
    ],
)
def test_retry_delay(policy, attempt, retry_after, jitter, expected):
    assert policy.delay(attempt, retry_after, jitter) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("capabilities", "cursor", "upload", "expected"),
    [
        pytest.param(FILE, None, True, Mode.FILE_IMPORT, id="upload"),
        pytest.param(EVERYTHING, "c0", True, Mode.FILE_IMPORT, id="upload-beats-cursor"),
        pytest.param(PULLS, None, False, Mode.FULL_PULL, id="no-cursor-full"),
        pytest.param(PULLS, "", False, Mode.FULL_PULL, id="empty-cursor-full"),
        pytest.param(PULLS, "c0", False, Mode.INCREMENTAL_PULL, id="cursor-incremental"),
        pytest.param(FULL, "c0", False, Mode.FULL_PULL, id="cursor-but-full-only"),
        pytest.param(INCR, None, False, Mode.INCREMENTAL_PULL, id="incremental-only"),
        pytest.param(EVERYTHING, None, False, Mode.FULL_PULL, id="everything-no-cursor"),
        pytest.param(PULLS, None, True, NO_FILES, id="upload-no-file-import"),
        pytest.param(PUSH, None, False, NO_PULL, id="push-only"),
        pytest.param(PUSH, "c0", False, NO_PULL, id="push-only-cursor"),
        pytest.param(FILE, None, False, NO_PULL, id="file-only-no-upload"),
        pytest.param(Capability.BACKFILL, None, False, NO_PULL, id="backfill-only"),
    ],
)
def test_choose_mode(capabilities, cursor, upload, expected):
    if isinstance(expected, Mode):
        assert choose_mode(capabilities, cursor=cursor, upload=upload) is expected
    else:
        with pytest.raises(PermanentError, match=expected):
            choose_mode(capabilities, cursor=cursor, upload=upload)


# --- the mode, from capabilities and state ------------------------------------------

FILE_WRITE = [("write", "c1", False)]
PULL_WRITE = [("write", "c1", True)]


@pytest.mark.parametrize(
    ("capabilities", "cursor", "upload", "calls", "pulls"),
    [
        pytest.param(
            FILE | FULL,
            None,
            UPLOAD,
            [*start(Mode.FILE_IMPORT), *FILE_WRITE, ("succeed",)],
            [],
            id="upload-file-import",
        ),
        pytest.param(
            EVERYTHING,
            "c0",
            UPLOAD,
            [*start(Mode.FILE_IMPORT), *FILE_WRITE, ("succeed",)],
            [],
            id="upload-beats-cursor",
        ),
        pytest.param(
            PULLS,
            None,
            UPLOAD,
            [("start", RUN), ("compensate", NO_FILES)],
            [],
            id="upload-no-file-import",
        ),
        pytest.param(
            PULLS,
            None,
            None,
            [*start(Mode.FULL_PULL), *PULL_WRITE, ("succeed",)],
            [(Mode.FULL_PULL, None)],
            id="no-cursor-full",
        ),
        pytest.param(
            PULLS,
            "c0",
            None,
            [*start(Mode.INCREMENTAL_PULL), *PULL_WRITE, ("succeed",)],
            [(Mode.INCREMENTAL_PULL, "c0")],
            id="cursor-incremental",
        ),
        pytest.param(
            FULL,
            "c0",
            None,
            [*start(Mode.FULL_PULL), *PULL_WRITE, ("succeed",)],
            [(Mode.FULL_PULL, ANY)],
            id="cursor-full-only",
        ),
        pytest.param(
            INCR,
            None,
            None,
            [*start(Mode.INCREMENTAL_PULL), *PULL_WRITE, ("succeed",)],
            [(Mode.INCREMENTAL_PULL, None)],
            id="incremental-only-no-cursor",
        ),
        pytest.param(
            PUSH,
            None,
            None,
            [("start", RUN), ("fail", NO_PULL)],
            [],
            id="push-only",
        ),
        pytest.param(
            PUSH,
            "c0",
            None,
            [("start", RUN), ("fail", NO_PULL)],
            [],
            id="push-only-cursor",
        ),
        pytest.param(
            FILE,
            None,
            None,
            [("start", RUN), ("fail", NO_PULL)],
            [],
            id="file-only-no-upload",
        ),
    ],
)
def test_mode_from_capabilities_and_state(capabilities, cursor, upload, calls, pulls):
    provider = FakeProvider(capabilities, [batch("c1")])
    executors = FakeExecutors(cursor=cursor, upload=upload)

    done = run(provider, executors)

    assert executors.calls == calls
    assert provider.pulls == pulls
    assert done.sleeps == []
    if calls[-1] == ("succeed",):
        assert done.result.ok
        assert done.result.data == RUN
    else:
        assert not done.result.ok
        assert done.result.error.code == ErrorCode.BAD_REQUEST
        assert done.result.error.message == calls[-1][1]
        assert done.result.error.phase == Phase.PLAN
    if upload and calls[-1] == ("succeed",):
        assert done.opened == [UPLOAD]
        assert provider.parsed == [b"when,value\n"]


def test_unknown_provider_fails_the_run():
    executors = FakeExecutors(provider="gone")

    done = run(FakeProvider(PULLS), executors)

    assert executors.calls == [("start", RUN), ("fail", UNKNOWN_PROVIDER)]
    assert done.result.error.code == ErrorCode.BAD_REQUEST


def test_invalid_settings_fail_the_run():
    executors = FakeExecutors(settings={"station": 5})

    done = run(FakeProvider(PULLS, [batch("c1")]), executors)

    assert [call[0] for call in executors.calls] == ["start", "fail"]
    assert done.result.error.code == ErrorCode.VALIDATION_FAILED
    assert done.result.error.message.startswith("The source's settings need another look (")
    assert "station:" in done.result.error.message


def test_invalid_settings_are_told_without_quoting_them():
    """A feed's address may carry a secret in its path: the reason names the field."""
    executors = FakeExecutors(settings={"station": ["https://feeds.example/private-token-123"]})

    done = run(FakeProvider(PULLS, [batch("c1")]), executors)

    assert done.result.error.code == ErrorCode.VALIDATION_FAILED
    assert "private-token-123" not in done.result.error.message


def test_envelope_carries_the_correlation_id_and_fixed_now():
    executors = FakeExecutors()

    done = run(FakeProvider(PULLS, [batch("c1"), batch("c2")]), executors)

    assert done.result.ok
    assert done.result.correlation_id == CORRELATION
    assert executors.nows == [WHEN] * 4  # start, two writes, succeed
    assert done.metrics.asked == [OWNER]


def test_batches_use_the_owners_units_and_number_rejections_across_batches():
    provider = FakeProvider(
        PULLS,
        [
            batch("c1", item(1, value="500", unit="g"), item(2)),
            batch("c2", item(3), item(4, metric_id=999)),
        ],
    )
    executors = FakeExecutors()

    assert run(provider, executors).result.ok

    first, second = executors.writes
    assert [row.values.value for row in first["rows"]] == [Decimal("0.5"), Decimal("82")]
    assert first["rows"][0].values.original_unit == "g"
    assert first["refused"] == IngestCounts()
    assert [row.index for row in second["rows"]] == [2]
    assert second["refused"].rejected == 1
    assert [r.index for r in second["refused"].rejections] == [3]
    assert second["refused"].rejections[0].fields[0].field == "metric_id"


# --- a rejected cursor ---------------------------------------------------------------


def test_rejected_cursor_falls_back_to_full_once():
    provider = FakeProvider(PULLS, [CursorRejected("cursor expired")], [batch("c1")])
    executors = FakeExecutors(cursor="c0")

    done = run(provider, executors)

    assert done.result.ok
    assert provider.pulls == [(Mode.INCREMENTAL_PULL, "c0"), (Mode.FULL_PULL, None)]
    note = executors.calls[2]
    assert note[:2] == ("mode", Mode.FULL_PULL.value)
    assert "cursor expired" in note[2]
    assert "fell back to a full pull" in note[2]
    assert executors.calls == [
        *start(Mode.INCREMENTAL_PULL),
        note,
        ("write", "c1", True),
        ("succeed",),
    ]
    assert done.sleeps == []


def test_rejected_cursor_after_some_batches_starts_over_in_full():
    provider = FakeProvider(
        PULLS, [batch("c1"), CursorRejected("cursor expired")], [batch("f1"), batch("f2")]
    )
    executors = FakeExecutors(cursor="c0")

    done = run(provider, executors)

    assert done.result.ok
    assert provider.pulls == [(Mode.INCREMENTAL_PULL, "c0"), (Mode.FULL_PULL, None)]
    assert [call for call in executors.calls if call[0] == "write"] == [
        ("write", "c1", True),
        ("write", "f1", True),
        ("write", "f2", True),
    ]


def test_rejected_again_on_the_full_pull_fails():
    provider = FakeProvider(
        PULLS, [CursorRejected("cursor expired")], [CursorRejected("no cursor wanted")]
    )
    executors = FakeExecutors(cursor="c0")

    done = run(provider, executors)

    assert provider.pulls == [(Mode.INCREMENTAL_PULL, "c0"), (Mode.FULL_PULL, None)]
    assert executors.calls[-1] == ("fail", "no cursor wanted")
    assert [call[0] for call in executors.calls] == ["start", "mode", "mode", "fail"]
    assert not done.result.ok
    assert done.result.error.message == "no cursor wanted"
    assert done.sleeps == []


def test_rejection_on_a_full_pull_fails_at_once():
    provider = FakeProvider(PULLS, [CursorRejected("odd")], [batch("c1")])
    executors = FakeExecutors()

    done = run(provider, executors)

    assert provider.pulls == [(Mode.FULL_PULL, None)]
    assert executors.calls == [*start(Mode.FULL_PULL), ("fail", "odd")]
    assert done.result.error.code == ErrorCode.BAD_REQUEST


def test_rejected_cursor_on_an_incremental_only_provider_does_not_ask_for_a_full_pull():
    """BUG: the fallback always switches to FULL_PULL, even when the provider does not
    declare it; an incremental-only provider should start over from no cursor (what
    choose_mode picks for it) or the run should fail, never be pulled in full."""
    provider = FakeProvider(INCR, [CursorRejected("cursor expired")], [batch("c1")])
    executors = FakeExecutors(cursor="c0")

    run(provider, executors)

    assert all(mode in {Mode.INCREMENTAL_PULL} for mode, _ in provider.pulls), provider.pulls
    assert ("mode", Mode.FULL_PULL.value, ANY) not in executors.calls


# --- transient and permanent failures of a pull --------------------------------------


@pytest.mark.parametrize(
    ("script", "retry", "sleeps", "writes", "ending"),
    [
        pytest.param(
            [[batch("c1"), batch("c2"), TransientError("timeout")], [batch("c3")]],
            RetryPolicy(),
            [0.75],
            ["c1", "c2", "c3"],
            ("succeed",),
            id="transient-then-success",
        ),
        pytest.param(
            [[TransientError("502")], [TransientError("502")], [batch("c1")]],
            RetryPolicy(),
            [0.75, 1.5],
            ["c1"],
            ("succeed",),
            id="two-transients-exponential",
        ),
        pytest.param(
            [[TransientError("429", retry_after=30)], [batch("c1")]],
            RetryPolicy(),
            [30.0],
            ["c1"],
            ("succeed",),
            id="retry-after-429",
        ),
        pytest.param(
            [[TransientError("slow")]] * 4,
            RetryPolicy(base_seconds=2, cap_seconds=3),
            [1.5, 2.25, 2.25],
            [],
            ("fail", "slow (tried 4 times)."),
            id="backoff-capped",
        ),
        pytest.param(
            [[TransientError("timeout")]] * 5,
            RetryPolicy(),
            [0.75, 1.5, 3.0],
            [],
            ("fail", "timeout (tried 4 times)."),
            id="retries-exhausted",
        ),
        pytest.param(
            [[batch("c1"), TransientError("timeout")]] * 2,
            RetryPolicy(attempts=2),
            [0.75],
            ["c1", "c1"],
            ("fail", "timeout (tried 2 times)."),
            id="retries-exhausted-keeps-batches",
        ),
        pytest.param(
            [[TransientError("timeout")], [batch("c1")]],
            RetryPolicy(attempts=1),
            [],
            [],
            ("fail", "timeout."),
            id="no-retries",
        ),
        pytest.param(
            [[batch("c1"), PermanentError("bad credentials")], [batch("c2")]],
            RetryPolicy(),
            [],
            ["c1"],
            ("fail", "bad credentials"),
            id="permanent-at-once",
        ),
    ],
)
def test_pull_retries(script, retry, sleeps, writes, ending):
    provider = FakeProvider(PULLS, *script)
    executors = FakeExecutors()

    done = run(provider, executors, retry=retry)

    assert done.sleeps == pytest.approx(sleeps)
    assert len(provider.pulls) == len(sleeps) + 1
    assert executors.calls.count(("beat",)) == len(sleeps)  # one beat after each wait
    assert [call for call in executors.calls if call != ("beat",)] == [
        *start(Mode.FULL_PULL),
        *[("write", cursor, True) for cursor in writes],
        ending,
    ]
    if ending == ("succeed",):
        assert done.result.ok
    else:
        assert not done.result.ok
        assert done.result.error.message == ending[1]
        last = script[len(provider.pulls) - 1][-1]
        transient = isinstance(last, TransientError)
        code = ErrorCode.INTERNAL_ERROR if transient else ErrorCode.BAD_REQUEST
        assert done.result.error.code == code
        assert done.result.error.phase == Phase.EXECUTE
        assert executors.errors == [done.result.error]


def test_retry_after_a_partial_incremental_pull_resumes_from_the_last_cursor():
    """BUG: `_write_all` returns the moved source only when the pull completes, so a
    retry after committed batches re-pulls from the run's first cursor, not after the
    last batch written (its docstring: "so a retry ... goes on from there")."""
    provider = FakeProvider(
        PULLS, [batch("c1"), batch("c2"), TransientError("timeout")], [batch("c3")]
    )
    executors = FakeExecutors(cursor="c0")

    done = run(provider, executors)

    assert done.result.ok
    assert provider.pulls == [(Mode.INCREMENTAL_PULL, "c0"), (Mode.INCREMENTAL_PULL, "c2")]


def test_pull_write_failure_fails_without_compensating():
    executors = FakeExecutors(write_fails_at=2, write_error=Conflict("Lease lost."))

    done = run(FakeProvider(PULLS, [batch("c1"), batch("c2"), batch("c3")]), executors)

    assert executors.calls == [
        *start(Mode.FULL_PULL),
        ("write", "c1", True),
        ("write", "c2", True),
        ("fail", "Lease lost."),
    ]
    assert done.result.error.code == ErrorCode.CONFLICT


def test_failed_pull_keeps_its_batches_and_the_next_run_resumes():
    provider = FakeProvider(PULLS, [batch("c1"), batch("c2"), PermanentError("feed gone")])
    first = FakeExecutors()

    failed = run(provider, first)

    assert not failed.result.ok
    assert first.calls == [
        *start(Mode.FULL_PULL),
        ("write", "c1", True),
        ("write", "c2", True),
        ("fail", "feed gone"),
    ]
    assert first.kept_cursor == "c2"

    provider.script = [[batch("c3")]]
    second = FakeExecutors(run_id=RUN + 1, cursor=first.kept_cursor)

    resumed = run(provider, second)

    assert resumed.result.ok
    assert resumed.result.data == RUN + 1
    assert provider.pulls[-1] == (Mode.INCREMENTAL_PULL, "c2")
    assert second.calls == [
        ("start", RUN + 1),
        ("mode", Mode.INCREMENTAL_PULL.value, ""),
        ("write", "c3", True),
        ("succeed",),
    ]


# --- file imports are all or nothing -------------------------------------------------


@pytest.mark.parametrize(
    ("script", "executor_options", "writes", "message"),
    [
        pytest.param(
            [batch("r1"), batch("r2"), PermanentError("Row 5 is malformed.")],
            {},
            ["r1", "r2"],
            "Row 5 is malformed.",
            id="provider-permanent-mid-file",
        ),
        pytest.param(
            [batch("r1"), batch("r2"), batch("r3")],
            {"write_fails_at": 2, "write_error": ValidationFailed("Too many rows.")},
            ["r1", "r2"],
            "Too many rows.",
            id="batch-write-raises",
        ),
        pytest.param(
            [batch("r1"), batch("r2"), batch("r3")],
            {
                "write_fails_at": 2,
                "write_error": Conflict("Lease lost."),
                "write_returns_failure": True,
            },
            ["r1", "r2"],
            "Lease lost.",
            id="batch-write-returns-failure",
        ),
        pytest.param(
            [batch("r1"), TransientError("connection dropped")],
            {},
            ["r1"],
            "connection dropped.",
            id="transient-not-retried",
        ),
        pytest.param(
            [CursorRejected("no cursors here")],
            {},
            [],
            "no cursors here",
            id="cursor-rejected",
        ),
    ],
)
def test_failed_file_import_compensates(script, executor_options, writes, message):
    provider = FakeProvider(FILE | PULLS, script, [batch("again")])
    executors = FakeExecutors(upload=UPLOAD, **executor_options)

    done = run(provider, executors)

    assert executors.calls == [
        *start(Mode.FILE_IMPORT),
        *[("write", cursor, False) for cursor in writes],
        ("compensate", message),
    ]
    assert not done.result.ok
    assert done.result.error.message == message
    assert done.sleeps == []
    assert done.opened == [UPLOAD]
    assert provider.pulls == []
    assert provider.script == [[batch("again")]]  # parsed once, never retried


# --- the run could not start: its source is busy ------------------------------------


def test_an_already_started_run_returns_the_conflict_and_calls_nothing_else():
    message = "This run is running already."
    provider = FakeProvider(EVERYTHING, [batch("c1")])
    executors = FakeExecutors(start_error=Conflict(message))

    done = run(provider, executors)

    assert executors.calls == [("start", RUN)]
    assert not done.result.ok
    assert done.result.error.code == ErrorCode.CONFLICT
    assert done.result.error.message == message
    assert done.result.correlation_id == CORRELATION
    assert provider.pulls == provider.parsed == []
    assert done.metrics.asked == []
    assert done.sleeps == done.opened == []


WAITING = "Waiting: another run of this source is in progress; trying again in 36 s."


@pytest.mark.parametrize(
    ("deferrals", "can_requeue", "ending", "requeued"),
    [
        pytest.param(0, True, ("defer", WAITING), [(RUN, 36.0)], id="first-busy-start-put-off"),
        pytest.param(3, True, ("defer", WAITING), [(RUN, 36.0)], id="last-put-off"),
        pytest.param(4, True, ("refuse", BUSY_MESSAGE), [], id="put-off-enough-then-ends"),
        pytest.param(0, False, ("refuse", BUSY_MESSAGE), [], id="no-queue-ends-at-once"),
    ],
)
def test_a_busy_start_is_put_off_a_bounded_number_of_times_then_ends(
    deferrals, can_requeue, ending, requeued
):
    """Never silent: the run is queued again for later (lease 90 s x 0.4), or ends
    saying another run was in progress."""
    provider = FakeProvider(EVERYTHING, [batch("c1")])
    executors = FakeExecutors(busy_deferrals=deferrals)
    handed: list[tuple[int, float]] = []

    def requeue(run_id, seconds):
        handed.append((run_id, seconds))

    done = run(provider, executors, requeue=requeue if can_requeue else None)
    for on_commit in executors.on_commits:
        on_commit(RUN)  # the transaction commits

    assert executors.calls == [("start", RUN), ending]
    assert handed == requeued
    assert not done.result.ok
    assert done.result.error.code == ErrorCode.CONFLICT
    assert done.result.error.message == ending[1]
    assert provider.pulls == provider.parsed == []


# --- heartbeats ----------------------------------------------------------------------


def test_each_batch_and_each_slice_of_a_wait_renews_the_lease():
    provider = FakeProvider(
        PULLS, [batch("c1"), TransientError("429", retry_after=25)], [batch("c2")]
    )
    executors = FakeExecutors()

    done = run(provider, executors, heartbeat_every=10)

    assert done.result.ok
    assert done.sleeps == [10, 10, 5]
    assert executors.calls == [
        *start(Mode.FULL_PULL),
        ("write", "c1", True),
        ("beat",),
        ("beat",),
        ("beat",),
        ("write", "c2", True),
        ("succeed",),
    ]
    assert executors.leases == [WHEN + LEASE] * 6  # start, 2 writes, 3 beats


def test_a_run_taken_over_while_it_waited_stops():
    """The reaper handed the run to another worker: its heartbeat is refused, and
    this worker stops without writing again."""
    provider = FakeProvider(PULLS, [TransientError("timeout")], [batch("c1")])
    executors = FakeExecutors()
    executors.run_heartbeat = lambda **_: (_ for _ in ()).throw(Conflict("Taken over."))

    done = run(provider, executors)

    assert not done.result.ok
    assert [call[0] for call in executors.calls] == ["start", "mode", "fail"]
    assert done.result.error.message == "Taken over."


# --- an unexpected crash still ends the run -----------------------------------------


@pytest.mark.parametrize("upload", [None, UPLOAD], ids=["pull", "file-import"])
def test_unexpected_provider_crash_still_finishes_the_run(upload):
    """BUG: anything but a ProviderError or ApplicationError (a provider's own bug, an
    HTTP client error it did not wrap, a missing upload file) escapes `sync` without
    run_fail/run_compensate, leaving the run RUNNING for ever (and an import's
    written batches in place). Whether `sync` then re-raises is left open here."""
    provider = FakeProvider(FILE | PULLS, [batch("c1"), KeyError("temperature")])
    executors = FakeExecutors(upload=upload)

    with contextlib.suppress(KeyError):
        run(provider, executors)

    assert executors.calls[-1][0] == ("compensate" if upload else "fail")
