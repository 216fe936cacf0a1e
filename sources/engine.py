"""Running one sync run: the mode, retries, the fallback, heartbeats, and what a
failure means.

    file import        when a file was uploaded (the provider must import files)
    push               a delivery sent to the source (stored like an upload)
    incremental pull   when the source has a cursor and the provider can resume
    full pull          otherwise (and when the provider rejects the cursor: once)

Transient failures (timeouts, dropped connections, 5xx, 429) are retried with bounded
exponential backoff and jitter, honouring Retry-After; a permanent one fails the run
at once. A file import or a delivery is all or nothing: a failure compensates,
removing what the run wrote. A pull keeps the batches it committed and its cursor,
so the next run resumes after the last one.

A running run holds its source's lease and renews it with a heartbeat: each batch
written is one, and a wait between attempts beats every `heartbeat_every`. A start
refused because another live run holds the source is put off and queued again a
bounded number of times, then ends saying so; it never waits unseen.

The engine builds no queries and makes no writes: providers read, executors write,
so the policy runs in tests against fakes of both (`Dependencies`).
"""

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from typing import IO, Any

from django.conf import settings as django_settings
from django.utils import timezone
from pydantic import ValidationError as PydanticValidationError

from config.envelope import ApplicationError, ErrorCode, ErrorDetail, Result, field_errors
from config.orchestration import execute
from config.request_context import Channel, Phase, bind, current_phase, set_phase
from measurements import selectors as metric_selectors
from measurements.contracts import IngestCounts
from measurements.orchestrators import prepare_rows

from . import executors as source_executors
from . import providers as provider_registry
from .contracts import RunContext, SourceBusy
from .providers import (
    Batch,
    Capability,
    CursorRejected,
    Mode,
    PermanentError,
    Source,
    TransientError,
)

logger = logging.getLogger(__name__)

#: Modes whose data arrives whole (a file, a delivery): kept all or not at all.
ALL_OR_NOTHING = (Mode.FILE_IMPORT, Mode.PUSH)
BUSY_MESSAGE = "Another run of this source was in progress; retry when it has finished."
PAUSED_MESSAGE = "The source was paused before this run started, so it brought nothing in."
#: A source whose provider is no longer installed (named in words: its key is not).
UNKNOWN_PROVIDER = "This kind of source is no longer offered here, so it cannot be brought in."


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_seconds: float = 1.0
    cap_seconds: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds to wait before attempt `attempt + 1`: exponential with jitter (0..1
        scales between half and all of it), at least Retry-After, never over the cap."""
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        waited = backoff * (0.5 + jitter / 2)
        return min(self.cap_seconds, max(waited, retry_after or 0))


def _stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=django_settings.SYNC_STALE_AFTER_SECONDS)


def _heartbeat_every() -> float:
    return float(django_settings.SYNC_HEARTBEAT_SECONDS)


@dataclass(frozen=True)
class Dependencies:
    """What running a run needs besides its id. `requeue(run_id, seconds)` hands a
    run back to the queue to start after `seconds` (None: a put-off start fails at
    once). `lease_for` is how long a heartbeat keeps the source; a run whose worker
    stopped loses it that long after its last beat."""

    open_upload: Callable[[str], IO[bytes]] | None = None
    providers: Any = provider_registry
    executors: Any = source_executors
    metrics: Any = metric_selectors
    now: Callable[[], dt.datetime] = timezone.now
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    retry: RetryPolicy = RetryPolicy()
    requeue: Callable[[int, float], object] | None = None
    lease_for: dt.timedelta = field(default_factory=_stale_after)
    heartbeat_every: float = field(default_factory=_heartbeat_every)
    #: How many times a start is put off while the source is busy, and how long
    #: each time: together a little over `lease_for`, so a dead run's lease lapses.
    busy_deferrals: int = 4
    busy_wait_share: float = 0.4

    def lease_until(self, now: dt.datetime) -> dt.datetime:
        return now + self.lease_for


def choose_mode(
    capabilities: Capability, *, cursor: str | None, upload: bool, pushed: bool = False
) -> Mode:
    if pushed:
        if Capability.PUSH not in capabilities:
            raise PermanentError("This provider does not take pushed data.")
        return Mode.PUSH
    if upload:
        if Capability.FILE_IMPORT not in capabilities:
            raise PermanentError("This provider does not import files.")
        return Mode.FILE_IMPORT
    if cursor and Capability.INCREMENTAL_PULL in capabilities:
        return Mode.INCREMENTAL_PULL
    if Capability.FULL_PULL in capabilities:
        return Mode.FULL_PULL
    if Capability.INCREMENTAL_PULL in capabilities:
        return Mode.INCREMENTAL_PULL
    raise PermanentError("This provider cannot be pulled from; it imports files or is pushed to.")


def _detail(code: ErrorCode, message: str) -> ErrorDetail:
    return ErrorDetail(code=code, message=message, phase=current_phase())


class _Failed(Exception):
    def __init__(self, detail: ErrorDetail):
        super().__init__(detail.message)
        self.detail = detail


def sync(
    run_id: int,
    deps: Dependencies | None = None,
    *,
    correlation_id: str | None = None,
    **overrides,
) -> Result:
    """Run one queued sync run to its end; the envelope's data is the run id. Give
    `deps`, or override single dependencies by name (`open_upload=...`)."""
    deps = replace(deps or Dependencies(), **overrides)
    with bind(correlation_id, Phase.AUTHORIZE, Channel.TASK) as correlation:
        now = deps.now()
        started = execute(
            partial(
                deps.executors.run_start,
                run_id=run_id,
                now=now,
                correlation_id=correlation,
                lease_until=deps.lease_until(now),
            )
        )
        if not started.ok:
            return started
        if isinstance(started.data, SourceBusy):
            return _put_off(started.data, deps)
        context: RunContext = started.data
    # A resumed run goes on under its first correlation id, so that undoing it finds
    # every change it made, before and after its worker stopped.
    with bind(context.correlation_id or correlation, Phase.PLAN, Channel.TASK):
        return _run_to_end(context, deps)


def _run_to_end(context: RunContext, deps: Dependencies) -> Result:
    if context.paused and not context.upload:
        # Paused after it was queued: a pull does not go on (a delivery or a file
        # taken before the pause is still written).
        return _fail(context, _detail(ErrorCode.CONFLICT, PAUSED_MESSAGE), deps)
    try:
        _run(context, deps)
    except _Failed as failed:
        return _fail(context, failed.detail, deps)
    except ApplicationError as exc:
        return _fail(context, exc.detail(), deps)
    except Exception:
        logger.exception("Sync run %s stopped unexpectedly", context.run_id)
        message = "The sync stopped unexpectedly; quote the reference if you report it."
        return _fail(context, _detail(ErrorCode.INTERNAL_ERROR, message), deps)
    return execute(
        partial(
            deps.executors.run_succeed,
            run_id=context.run_id,
            generation=context.generation,
            now=deps.now(),
        )
    )


def _put_off(busy: SourceBusy, deps: Dependencies) -> Result:
    """Another live run holds the source: queue this one again a little later, a
    bounded number of times; then end it, saying why."""
    if deps.requeue is not None and busy.deferrals < deps.busy_deferrals:
        wait = deps.lease_for.total_seconds() * deps.busy_wait_share
        note = f"Waiting: another run of this source is in progress; trying again in {wait:.0f} s."
        deferred = execute(
            partial(
                deps.executors.run_defer,
                run_id=busy.run_id,
                note=note,
                on_commit=partial(_requeue_after, deps.requeue, wait),
            )
        )
        return Result.failure(_detail(ErrorCode.CONFLICT, note)) if deferred.ok else deferred
    detail = _detail(ErrorCode.CONFLICT, BUSY_MESSAGE)
    refused = execute(
        partial(deps.executors.run_refuse, run_id=busy.run_id, error=detail, now=deps.now())
    )
    return Result.failure(detail) if refused.ok else refused


def _requeue_after(requeue: Callable[[int, float], object], seconds: float, run_id: int):
    return requeue(run_id, seconds)


def _fail(context: RunContext, detail: ErrorDetail, deps: Dependencies) -> Result:
    """A failed import (or pushed delivery) is undone; a failed pull keeps its batches
    and cursor."""
    executors = deps.executors
    finish = executors.run_compensate if context.upload else executors.run_fail
    finished = execute(
        partial(
            finish,
            run_id=context.run_id,
            generation=context.generation,
            error=detail,
            now=deps.now(),
        )
    )
    return Result.failure(detail) if finished.ok else finished


def _run(context: RunContext, deps: Dependencies) -> None:
    set_phase(Phase.PLAN)
    provider = deps.providers.get(context.provider)
    if provider is None:
        raise _Failed(_detail(ErrorCode.BAD_REQUEST, UNKNOWN_PROVIDER))
    try:
        settings = provider.settings_model.model_validate(context.settings)
        mode = choose_mode(
            provider.capabilities,
            cursor=context.cursor,
            upload=bool(context.upload),
            pushed=context.pushed,
        )
    except PermanentError as exc:
        raise _Failed(_detail(ErrorCode.BAD_REQUEST, str(exc))) from exc
    except PydanticValidationError as exc:
        # In words, field by field: pydantic's own text quotes the input (a feed's
        # address, whose path may be a secret).
        said = "; ".join(f"{error.field}: {error.message}" for error in field_errors(exc))
        message = f"The source's settings need another look ({said})."
        raise _Failed(_detail(ErrorCode.VALIDATION_FAILED, message)) from exc
    source = Source(
        id=context.source_id,
        settings=settings,
        secrets=context.secrets,
        streams=context.streams,
        cursor=context.cursor,
    )
    units = {m.id: m.unit for m in deps.metrics.metrics_for_owner(owner_id=context.owner_id)}
    held = {"run_id": context.run_id, "generation": context.generation}
    execute(partial(deps.executors.run_mode, **held, mode=mode.value)).unwrap()
    attempt, fell_back = 1, False
    position = _Position(source)
    while True:
        set_phase(Phase.EXECUTE)
        try:
            with deps.open_upload(context.upload) if context.upload else nullcontext() as upload:
                batches = (
                    provider.parse(position.source, upload)
                    if mode in ALL_OR_NOTHING
                    else provider.pull(position.source, mode=mode)
                )
                _write_all(batches, position, mode, context, units, deps)
            return
        except CursorRejected as exc:
            if mode != Mode.INCREMENTAL_PULL or fell_back:
                raise _Failed(_detail(ErrorCode.BAD_REQUEST, str(exc))) from exc
            fell_back = True
            try:
                mode = choose_mode(provider.capabilities, cursor=None, upload=False)
            except PermanentError as refused:
                raise _Failed(_detail(ErrorCode.BAD_REQUEST, str(exc))) from refused
            position.source = replace(position.source, cursor=None)
            again = (
                "a full pull" if mode == Mode.FULL_PULL else "an incremental pull from the start"
            )
            note = f"The provider refused the stored cursor ({exc}); fell back to {again}."
            execute(partial(deps.executors.run_mode, **held, mode=mode.value, note=note)).unwrap()
        except TransientError as exc:
            if mode in ALL_OR_NOTHING or attempt >= deps.retry.attempts:
                said = str(exc).rstrip(".")
                tries = f" (tried {attempt} times)" if attempt > 1 else ""
                raise _Failed(_detail(ErrorCode.INTERNAL_ERROR, f"{said}{tries}.")) from exc
            wait = deps.retry.delay(attempt, exc.retry_after, deps.jitter())
            _wait_alive(context, wait, deps)
            attempt += 1
        except PermanentError as exc:
            raise _Failed(_detail(ErrorCode.BAD_REQUEST, str(exc))) from exc


def _wait_alive(context: RunContext, seconds: float, deps: Dependencies) -> None:
    """Sleep `seconds` in slices of at most `heartbeat_every`, beating after each, so
    a long backoff never looks like a dead worker."""
    left = seconds
    while True:
        step = min(left, deps.heartbeat_every) if deps.heartbeat_every > 0 else left
        deps.sleep(step)
        left -= step
        now = deps.now()
        execute(
            partial(
                deps.executors.run_heartbeat,
                run_id=context.run_id,
                generation=context.generation,
                now=now,
                lease_until=deps.lease_until(now),
            )
        ).unwrap()
        if left <= 1e-9:
            return


@dataclass
class _Position:
    """Where a run is: the source as of its last written batch (its cursor moves with
    each pull batch, so a retry goes on from there), and the items read so far."""

    source: Source
    done: int = 0


def _write_all(
    batches: Iterator[Batch],
    position: _Position,
    mode: Mode,
    context: RunContext,
    units: dict[int, str],
    deps: Dependencies,
) -> None:
    for batch in batches:
        rows, refused = prepare_rows(batch.items, units, first_index=position.done)
        now = deps.now()
        written = execute(
            partial(
                deps.executors.batch_write,
                run_id=context.run_id,
                generation=context.generation,
                rows=rows,
                refused=IngestCounts(rejected=len(refused), rejections=refused),
                cursor=batch.cursor,
                progress=batch.progress,
                keep_cursor=mode not in ALL_OR_NOTHING,
                now=now,
                lease_until=deps.lease_until(now),
            )
        ).unwrap()
        position.done += len(batch.items)
        if mode not in ALL_OR_NOTHING and written.cursor is not None:
            position.source = replace(position.source, cursor=written.cursor)
