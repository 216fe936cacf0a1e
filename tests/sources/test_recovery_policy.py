"""The reaper's decisions as a table, against fakes: what becomes of a run whose
worker stopped, by its mode, its provider and how often it was resumed. No database."""

import datetime as dt
from types import SimpleNamespace

import pytest

from config.envelope import Conflict, Result
from sources.contracts import AbandonedRun
from sources.recovery import MAX_RESUMES, Decision, decide, reap_abandoned_runs

NOW = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)
STALE = dt.timedelta(seconds=90)


class Replays:
    replays_imports = True


class ReadsOnce:
    replays_imports = False


PROVIDERS = SimpleNamespace(get={"csv": Replays(), "webhook": ReadsOnce(), "feed": ReadsOnce()}.get)


def abandoned(provider: str, mode: str, resumes: int = 0, run_id: int = 7) -> AbandonedRun:
    return AbandonedRun(run_id=run_id, provider=provider, mode=mode, resumes=resumes)


@pytest.mark.parametrize(
    ("run", "decision", "words"),
    [
        pytest.param(abandoned("feed", "full_pull"), Decision.RESUME, "resumed", id="pull"),
        pytest.param(
            abandoned("feed", "incremental_pull"), Decision.RESUME, "resumed", id="incremental"
        ),
        pytest.param(abandoned("feed", ""), Decision.RESUME, "resumed", id="no-mode-yet"),
        pytest.param(
            abandoned("csv", "file_import"), Decision.RESUME, "not added twice", id="csv-replays"
        ),
        pytest.param(
            abandoned("feed", "file_import"), Decision.COMPENSATE, "undone", id="import-once"
        ),
        pytest.param(abandoned("webhook", "push"), Decision.COMPENSATE, "undone", id="push"),
        pytest.param(
            abandoned("feed", "full_pull", MAX_RESUMES),
            Decision.FAIL,
            "4 times",
            id="pull-3-resumes",
        ),
        pytest.param(
            abandoned("csv", "file_import", MAX_RESUMES),
            Decision.COMPENSATE,
            "not tried again",
            id="import-3-resumes",
        ),
        pytest.param(
            abandoned("gone", "full_pull"), Decision.FAIL, "no provider", id="no-provider"
        ),
    ],
)
def test_what_becomes_of_an_abandoned_run(run, decision, words):
    decided, said = decide(run, PROVIDERS)
    assert decided is decision
    assert words in said


class FakeRecovery:
    """A selector of abandoned runs and executors that record; `alive` ids answer
    Conflict, as a run that beat meanwhile or that a concurrent reaper settled."""

    def __init__(self, runs, alive=()):
        self.runs, self.alive = runs, set(alive)
        self.asked: list[dt.datetime] = []
        self.calls: list[tuple] = []
        self.enqueued: list[int] = []

    def abandoned_runs(self, *, stale_before):
        self.asked.append(stale_before)
        return self.runs

    def _record(self, name, run_id, abandoned_before, **rest):
        assert abandoned_before == NOW - STALE
        if run_id in self.alive:
            raise Conflict("This run is alive; it is left to its worker.")
        self.calls.append((name, run_id, rest.get("error") and rest["error"].message[:20]))
        return Result.success(run_id)

    def run_resume(self, *, run_id, abandoned_before, note, now, on_commit):
        result = self._record("resume", run_id, abandoned_before)
        on_commit(run_id)
        return result

    def run_fail(self, *, run_id, error, now, abandoned_before):
        return self._record("fail", run_id, abandoned_before, error=error)

    def run_compensate(self, *, run_id, error, now, abandoned_before):
        return self._record("compensate", run_id, abandoned_before, error=error)


def test_the_reaper_settles_each_run_and_reports_only_what_it_settled():
    fake = FakeRecovery(
        [
            abandoned("feed", "incremental_pull", run_id=1),
            abandoned("webhook", "push", run_id=2),
            abandoned("feed", "full_pull", MAX_RESUMES, run_id=3),
            abandoned("csv", "file_import", run_id=4),
        ],
        alive={4},
    )

    settled = reap_abandoned_runs(
        now=NOW,
        enqueue=fake.enqueued.append,
        stale_after=STALE,
        providers=PROVIDERS,
        selectors=fake,
        executors=fake,
    )

    assert fake.asked == [NOW - STALE]
    assert settled == [1, 2, 3]
    assert [call[:2] for call in fake.calls] == [("resume", 1), ("compensate", 2), ("fail", 3)]
    assert fake.enqueued == [1]


def test_nothing_abandoned_nothing_done():
    fake = FakeRecovery([])
    assert (
        reap_abandoned_runs(
            now=NOW, enqueue=fake.enqueued.append, stale_after=STALE, selectors=fake, executors=fake
        )
        == []
    )
    assert fake.calls == fake.enqueued == []
