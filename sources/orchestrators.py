"""The mutations of data sources: queue a run, import a file, follow a feed, make a
webhook, take a delivery, retry a run, queue what the schedule says is due.

Running a run (modes, retries, fallback, heartbeats) is `sources.engine`; settling
runs whose worker died is `sources.recovery`. Like every orchestrator, these build
no queries and make no writes: selectors read, executors write.
"""

import datetime as dt
import secrets
from collections.abc import Callable
from functools import partial

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
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
from config.request_context import Phase, current_phase, set_phase
from measurements import selectors as metric_selectors

from . import executors as source_executors
from . import providers as provider_registry
from . import selectors as source_selectors
from . import webhooks
from .engine import RetryPolicy, choose_mode, sync
from .providers import PULLS, Capability
from .providers.webhook import SignedWebhook

__all__ = [
    "RetryPolicy",
    "choose_mode",
    "create_webhook_source",
    "follow_source",
    "import_file",
    "queue_due_syncs",
    "queue_sync",
    "receive_delivery",
    "retry_run",
    "sync",
]


def _detail(code: ErrorCode, message: str) -> ErrorDetail:
    return ErrorDetail(code=code, message=message, phase=current_phase())


def queue_sync(
    source_id: int,
    *,
    actor_id: int,
    now: dt.datetime,
    enqueue: Callable[[int], object],
    upload=None,
    mode: str = "",
    executors=source_executors,
) -> Result:
    """Queue a run of the actor's source (an import when a file comes with it, a
    delivery again with `mode` "push"); `enqueue(run_id)` hands it to a worker once
    it is committed."""
    return execute(
        partial(
            executors.run_queue,
            source_id=source_id,
            owner_id=actor_id,
            now=now,
            on_commit=enqueue,
            upload=upload,
            mode=mode,
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
    enqueue: Callable[[int], object],
    admit: Callable[[], bool] = lambda: True,
    selectors=source_selectors,
    executors=source_executors,
) -> Result:
    """A signed webhook delivery: check it is the source's, genuine, fresh, within
    the source's rate (`admit`, asked only once the signature holds) and not a
    replay, then store it and queue the run that writes it (whole or not at all);
    the envelope's data is the run id."""
    set_phase(Phase.AUTHENTICATE)
    try:
        source = selectors.webhook_source(source_id=source_id)
        signed = webhooks.verify(source.secrets.get("signing_secret", ""), headers, body, now)
    except ApplicationError as exc:
        return Result.failure(exc)
    except webhooks.Refused as exc:
        code = ErrorCode.UNAUTHENTICATED if exc.status == 401 else ErrorCode.BAD_REQUEST
        return Result.failure(_detail(code, str(exc)))
    set_phase(Phase.AUTHORIZE)
    if not admit():
        message = "Too many deliveries to this webhook; retry later."
        return Result.failure(_detail(ErrorCode.RATE_LIMITED, message))
    return execute(
        partial(
            executors.delivery_accept,
            source_id=source_id,
            signature=signed,
            now=now,
            forget_before=now - 2 * webhooks.TOLERANCE,
            payload=ContentFile(body, name="delivery.json"),
            on_commit=enqueue,
        )
    )


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
            provider=SignedWebhook.key,
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
    """Queue a run for every source whose schedule says it is time; the run ids. A
    run whose worker died does not hold its source back (the reaper settles it)."""
    stale_before = now - dt.timedelta(seconds=django_settings.SYNC_STALE_AFTER_SECONDS)
    queued = []
    for source in selectors.due_sources(now=now, stale_before=stale_before):
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
            able_to=PULLS,
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
    """Run the source of a run that ended without success again: the same file for an
    import, the same body for a delivery, a pull from the stored cursor otherwise."""
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
        mode="push" if failed.mode == "push" else "",
        executors=executors,
    )
