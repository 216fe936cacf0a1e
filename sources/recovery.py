"""Reaping: a run whose worker died is found and handed back to the sync policy.

A running run beats (sources.engine); one whose heartbeat is older than
`SYNC_STALE_AFTER_SECONDS` lost its worker. What happens to it:

    pull (or not started yet)            queued again: resumes from its committed cursor
    file import, provider replays safely queued again: read from the start, every row
                                         matched by its stable external id, so rows
                                         already written are not added twice
    file import otherwise, delivery      undone (compensated) and failed, with Retry
    stopped `MAX_RESUMES` times already  failed (an import undone): it is not tried again

The task framework's row for the dead task is settled with it. Each decision is taken
again inside the executor's transaction, on the locked run, so two reapers at once
(two schedulers) settle each run once.
"""

import datetime as dt
import enum
from collections.abc import Callable
from functools import partial

from django.conf import settings

from config.envelope import ErrorCode, ErrorDetail
from config.orchestration import execute
from config.request_context import Channel, Phase, bind

from . import executors as source_executors
from . import providers as provider_registry
from . import selectors as source_selectors
from .contracts import AbandonedRun
from .providers import Mode

#: A run whose worker stopped this many times is not handed out again: something in
#: it (a file, a feed) may be what stops the worker.
MAX_RESUMES = 3


class Decision(enum.Enum):
    RESUME = "resume"
    FAIL = "fail"
    COMPENSATE = "compensate"


def decide(run: AbandonedRun, providers=provider_registry) -> tuple[Decision, str]:
    """What becomes of a run whose worker stopped, and the words the run shows."""
    provider = providers.get(run.provider)
    whole = run.mode in (Mode.FILE_IMPORT, Mode.PUSH)
    if run.resumes >= MAX_RESUMES:
        said = (
            f"The worker stopped {run.resumes + 1} times while running this; "
            "it is not tried again on its own. Retry when the cause is fixed."
        )
        return (Decision.COMPENSATE if whole else Decision.FAIL), said
    if provider is None:
        return Decision.FAIL, f"The worker stopped, and there is no provider “{run.provider}”."
    if not whole:
        return Decision.RESUME, "The worker stopped; resumed from the last batch written."
    if run.mode == Mode.FILE_IMPORT and provider.replays_imports:
        return (
            Decision.RESUME,
            "The worker stopped; the import was resumed (rows already written are kept, "
            "not added twice).",
        )
    return (
        Decision.COMPENSATE,
        "The worker stopped during this import; what it had written was undone. "
        "Retry to import it again.",
    )


def reap_abandoned_runs(
    *,
    now: dt.datetime,
    enqueue: Callable[[int], object],
    stale_after: dt.timedelta | None = None,
    providers=provider_registry,
    selectors=source_selectors,
    executors=source_executors,
) -> list[int]:
    """Settle every run whose heartbeat stopped; the ids of the runs it settled (a
    run a concurrent reaper settled first, or that beat meanwhile, is left out).
    `enqueue(run_id)` hands a resumed run to a worker once it is committed."""
    if stale_after is None:
        stale_after = dt.timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    stale_before = now - stale_after
    settled = []
    with bind(None, Phase.PLAN, Channel.TASK):
        for run in selectors.abandoned_runs(stale_before=stale_before):
            decision, said = decide(run, providers)
            common = {"run_id": run.run_id, "abandoned_before": stale_before, "now": now}
            if decision is Decision.RESUME:
                action = partial(executors.run_resume, note=said, on_commit=enqueue, **common)
            else:
                error = ErrorDetail(
                    code=ErrorCode.INTERNAL_ERROR, message=said, phase=Phase.EXECUTE
                )
                finish = (
                    executors.run_compensate
                    if decision is Decision.COMPENSATE
                    else executors.run_fail
                )
                action = partial(finish, error=error, **common)
            if execute(action).ok:
                settled.append(run.run_id)
    return settled
