"""The sync policy: which mode, retries, fallback, and what a failure means.

    file import        when a file was uploaded (the provider must import files)
    incremental pull   when the source has a cursor and the provider can resume
    full pull          otherwise (and when the provider rejects the cursor: once)

Transient failures (timeouts, dropped connections, 5xx, 429) are retried with bounded
exponential backoff and jitter, honouring Retry-After; a permanent one fails the run
at once. A file import is all or nothing: a failure compensates, removing what the
run wrote. A pull keeps the batches it committed and its cursor, so the next run
resumes after the last one.

The orchestrator builds no queries and makes no writes: providers read, executors
write, so the policy runs in tests against fakes of both.
"""

import datetime as dt
import io
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial
from typing import IO

from django.utils import timezone
from pydantic import ValidationError as PydanticValidationError

from config.envelope import (
    ApplicationError,
    ErrorCode,
    ErrorDetail,
    Result,
    ValidationFailed,
    field_errors,
)
from config.orchestration import execute
from config.request_context import Channel, Phase, bind, current_phase, set_phase
from measurements import selectors as metric_selectors
from measurements.contracts import IngestCounts
from measurements.orchestrators import prepare_rows

from . import executors as source_executors
from . import providers as provider_registry
from . import selectors as source_selectors
from . import webhooks
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


#: Modes whose data arrives whole (a file, a delivery): kept all or not at all.
ALL_OR_NOTHING = (Mode.FILE_IMPORT, Mode.PUSH)


def _detail(code: ErrorCode, message: str) -> ErrorDetail:
    return ErrorDetail(code=code, message=message, phase=current_phase())


class _Failed(Exception):
    def __init__(self, detail: ErrorDetail):
        super().__init__(detail.message)
        self.detail = detail


def sync(
    run_id: int,
    *,
    open_upload: Callable[[str], IO[bytes]] | None = None,
    providers=provider_registry,
    executors=source_executors,
    metrics=metric_selectors,
    now: Callable[[], dt.datetime] = timezone.now,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
    retry: RetryPolicy = RetryPolicy(),
    correlation_id: str | None = None,
    payload: bytes | None = None,
) -> Result:
    """Run one queued sync run to its end; the envelope's data is the run id.
    `payload` is a delivery pushed to the source (a signed webhook's body)."""
    with bind(correlation_id, Phase.AUTHORIZE, Channel.TASK) as correlation:
        started = execute(
            lambda: executors.run_start(run_id=run_id, now=now(), correlation_id=correlation)
        )
        if not started.ok:
            return started
        context = started.data
        if payload is not None:
            open_upload = partial(_delivered, payload)
            context = context.model_copy(update={"upload": "push"})
        try:
            _run(context, open_upload, providers, executors, metrics, now, sleep, jitter, retry)
        except _Failed as failed:
            return _fail(context, failed.detail, executors, now)
        except ApplicationError as exc:
            return _fail(context, exc.detail(), executors, now)
        except Exception:
            logger.exception("Sync run %s stopped unexpectedly", run_id)
            message = "The sync stopped unexpectedly; quote the reference if you report it."
            return _fail(context, _detail(ErrorCode.INTERNAL_ERROR, message), executors, now)
        return execute(lambda: executors.run_succeed(run_id=run_id, now=now()))


def _delivered(payload: bytes, name: str) -> IO[bytes]:
    return io.BytesIO(payload)


def _fail(context, detail: ErrorDetail, executors, now) -> Result:
    """A failed import (or pushed delivery) is undone; a failed pull keeps its batches
    and cursor."""
    finish = executors.run_compensate if context.upload else executors.run_fail
    finished = execute(partial(finish, run_id=context.run_id, error=detail, now=now()))
    return Result.failure(detail) if finished.ok else finished


def _run(context, open_upload, providers, executors, metrics, now, sleep, jitter, retry):
    set_phase(Phase.PLAN)
    provider = providers.get(context.provider)
    if provider is None:
        raise _Failed(_detail(ErrorCode.BAD_REQUEST, f"No provider “{context.provider}”."))
    try:
        settings = provider.settings_model.model_validate(context.settings)
        mode = choose_mode(
            provider.capabilities,
            cursor=context.cursor,
            upload=bool(context.upload),
            pushed=context.upload == "push",
        )
    except PermanentError as exc:
        raise _Failed(_detail(ErrorCode.BAD_REQUEST, str(exc))) from exc
    except ValueError as exc:
        raise _Failed(_detail(ErrorCode.VALIDATION_FAILED, f"The settings: {exc}")) from exc
    source = Source(
        id=context.source_id,
        settings=settings,
        secrets=context.secrets,
        streams=context.streams,
        cursor=context.cursor,
    )
    units = {m.id: m.unit for m in metrics.metrics_for_owner(owner_id=context.owner_id)}
    execute(lambda: executors.run_mode(run_id=context.run_id, mode=mode.value)).unwrap()
    attempt, fell_back = 1, False
    position = _Position(source)
    while True:
        set_phase(Phase.EXECUTE)
        try:
            with open_upload(context.upload) if context.upload else nullcontext() as upload:
                batches = (
                    provider.parse(position.source, upload)
                    if mode in ALL_OR_NOTHING
                    else provider.pull(position.source, mode=mode)
                )
                _write_all(batches, position, mode, context, units, executors, now)
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
            execute(
                partial(executors.run_mode, run_id=context.run_id, mode=mode.value, note=note)
            ).unwrap()
        except TransientError as exc:
            if mode in ALL_OR_NOTHING or attempt >= retry.attempts:
                said = str(exc).rstrip(".")
                tries = f" (tried {attempt} times)" if attempt > 1 else ""
                raise _Failed(_detail(ErrorCode.INTERNAL_ERROR, f"{said}{tries}.")) from exc
            sleep(retry.delay(attempt, exc.retry_after, jitter()))
            attempt += 1
        except PermanentError as exc:
            raise _Failed(_detail(ErrorCode.BAD_REQUEST, str(exc))) from exc


@dataclass
class _Position:
    """Where a run is: the source as of its last written batch (its cursor moves with
    each pull batch, so a retry goes on from there), and the items read so far."""

    source: Source
    done: int = 0


def _write_all(batches: Iterator[Batch], position: _Position, mode, context, units, executors, now):
    for batch in batches:
        rows, refused = prepare_rows(batch.items, units, first_index=position.done)
        written = execute(
            partial(
                executors.batch_write,
                run_id=context.run_id,
                rows=rows,
                refused=IngestCounts(rejected=len(refused), rejections=refused),
                cursor=batch.cursor,
                progress=batch.progress,
                keep_cursor=mode not in ALL_OR_NOTHING,
                now=now(),
            )
        ).unwrap()
        position.done += len(batch.items)
        if mode not in ALL_OR_NOTHING and written.cursor is not None:
            position.source = replace(position.source, cursor=written.cursor)


def queue_sync(
    source_id: int,
    *,
    actor_id: int,
    now: dt.datetime,
    enqueue: Callable[[int], object],
    upload=None,
    executors=source_executors,
) -> Result:
    """Queue a run of the actor's source (an import when a file comes with it);
    `enqueue(run_id)` hands it to a worker once it is committed."""
    return execute(
        partial(
            executors.run_queue,
            source_id=source_id,
            owner_id=actor_id,
            now=now,
            on_commit=enqueue,
            upload=upload,
        )
    )


def _checked_settings(
    provider_key: str,
    settings: dict,
    *,
    able_to: Capability,
    refusal: str,
    actor_id: int,
    providers,
    metrics,
):
    """The settings as the provider's own model reads them, for a provider with one
    of the `able_to` capabilities and metrics that are the actor's; else raises."""
    set_phase(Phase.VALIDATE)
    provider = providers.get(provider_key)
    if provider is None or not provider.capabilities & able_to:
        raise ValidationFailed.on("provider", refusal)
    try:
        checked = provider.settings_model.model_validate(settings)
    except PydanticValidationError as exc:
        raise ValidationFailed(
            "Some settings need another look.", fields=field_errors(exc)
        ) from exc
    set_phase(Phase.AUTHORIZE)
    for metric_id in _metrics_of(checked):
        metrics.metric_for_owner(metric_id=metric_id, owner_id=actor_id)
    return checked


def _metrics_of(settings) -> list[int]:
    """The metrics a provider's settings send data to: one, or one per stream."""
    many = getattr(settings, "metric_ids", None)
    return list(many) if many is not None else [settings.metric_id]


def import_file(
    *,
    actor_id: int,
    provider_key: str,
    name: str,
    settings: dict,
    upload,
    now: dt.datetime,
    enqueue: Callable[[int], object],
    providers=provider_registry,
    executors=source_executors,
    metrics=metric_selectors,
) -> Result:
    """Check the settings with the provider's own model and that the metric is the
    actor's, then queue the import; a worker runs it."""
    try:
        checked = _checked_settings(
            provider_key,
            settings,
            able_to=Capability.FILE_IMPORT,
            refusal="This provider imports no files.",
            actor_id=actor_id,
            providers=providers,
            metrics=metrics,
        )
    except ApplicationError as exc:
        return Result.failure(exc)
    return execute(
        partial(
            executors.file_import_queue,
            owner_id=actor_id,
            provider=provider_key,
            name=name,
            settings=checked.model_dump(mode="json"),
            upload=upload,
            now=now,
            on_commit=enqueue,
        )
    )


def receive_delivery(
    source_id: int,
    *,
    headers,
    body: bytes,
    now: dt.datetime,
    selectors=source_selectors,
    executors=source_executors,
    run: Callable[..., Result] = sync,
) -> Result:
    """A signed webhook delivery: check it is the source's, genuine, fresh and not a
    replay, then write it (whole or not at all) at once."""
    set_phase(Phase.AUTHENTICATE)
    try:
        source = selectors.webhook_source(source_id=source_id)
        signed = webhooks.verify(source.secrets.get("signing_secret", ""), headers, body, now)
    except ApplicationError as exc:
        return Result.failure(exc)
    except webhooks.Refused as exc:
        code = ErrorCode.UNAUTHENTICATED if exc.status == 401 else ErrorCode.BAD_REQUEST
        return Result.failure(_detail(code, str(exc)))
    accepted = execute(
        partial(
            executors.delivery_accept,
            source_id=source_id,
            signature=signed,
            now=now,
            forget_before=now - 2 * webhooks.TOLERANCE,
            on_commit=lambda run_id: None,
        )
    )
    return run(accepted.data, payload=body) if accepted.ok else accepted


def create_webhook_source(
    *,
    actor_id: int,
    name: str,
    metric_id: int,
    now: dt.datetime,
    executors=source_executors,
    metrics=metric_selectors,
) -> Result:
    """A webhook source with a new signing secret; the result carries the secret,
    shown once."""
    try:
        set_phase(Phase.AUTHORIZE)
        metrics.metric_for_owner(metric_id=metric_id, owner_id=actor_id)
    except ApplicationError as exc:
        return Result.failure(exc)
    secret = secrets.token_urlsafe(32)
    created = execute(
        partial(
            executors.source_create,
            owner_id=actor_id,
            provider="webhook",
            name=name,
            settings={"metric_id": metric_id},
            streams={},
            secrets={"signing_secret": secret},
            now=now,
        )
    )
    if not created.ok:
        return created
    return Result.success({"source_id": created.data, "secret": secret})


def queue_due_syncs(
    *,
    now: dt.datetime,
    enqueue: Callable[[int], object],
    selectors=source_selectors,
    executors=source_executors,
) -> list[int]:
    """Queue a run for every source whose schedule says it is time; the run ids."""
    queued = []
    for source in selectors.due_sources(now=now):
        result = queue_sync(
            source.id, actor_id=source.owner_id, now=now, enqueue=enqueue, executors=executors
        )
        if result.ok:
            queued.append(result.data)
    return queued


def follow_source(
    *,
    actor_id: int,
    provider_key: str,
    name: str,
    settings: dict,
    every_minutes: int | None,
    now: dt.datetime,
    enqueue: Callable[[int], object],
    providers=provider_registry,
    executors=source_executors,
    metrics=metric_selectors,
) -> Result:
    """A source to pull from (on a schedule, if `every_minutes`), checked with the
    provider's settings model; its first pull is queued at once."""
    try:
        checked = _checked_settings(
            provider_key,
            settings,
            able_to=Capability.FULL_PULL | Capability.INCREMENTAL_PULL,
            refusal="This provider cannot be pulled.",
            actor_id=actor_id,
            providers=providers,
            metrics=metrics,
        )
    except ApplicationError as exc:
        return Result.failure(exc)
    created = execute(
        partial(
            executors.source_create,
            owner_id=actor_id,
            provider=provider_key,
            name=name,
            settings=checked.model_dump(mode="json"),
            streams={},
            every_minutes=every_minutes,
            now=now,
        )
    )
    if not created.ok:
        return created
    return queue_sync(
        created.data, actor_id=actor_id, now=now, enqueue=enqueue, executors=executors
    )


def retry_run(
    run_id: int,
    *,
    actor_id: int,
    now: dt.datetime,
    enqueue: Callable[[int], object],
    selectors=source_selectors,
    executors=source_executors,
) -> Result:
    """Run a failed run's source again: the same file for an import, a pull from the
    stored cursor otherwise."""
    try:
        set_phase(Phase.AUTHORIZE)
        failed = selectors.run_for_owner(run_id=run_id, owner_id=actor_id)
    except ApplicationError as exc:
        return Result.failure(exc)
    return queue_sync(
        failed.source_id,
        actor_id=actor_id,
        now=now,
        enqueue=enqueue,
        upload=failed.upload or None,
        executors=executors,
    )
