"""The mutations of data sources: add one of any provider (import a file, follow a
feed, make a webhook), rename, pause, resume or delete one, queue a run, take a
delivery, retry a run, queue what the schedule says is due.

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
    "add_source",
    "choose_mode",
    "create_push_source",
    "create_webhook_source",
    "delete_source",
    "follow_source",
    "import_file",
    "pause_source",
    "queue_due_syncs",
    "queue_sync",
    "receive_delivery",
    "rename_source",
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
        pushed = [p.key for p in provider_registry.all_providers() if p.receives_pushes]
        source = selectors.webhook_source(source_id=source_id, providers=pushed)
        signed = webhooks.verify(source.secrets.get("signing_secret", ""), headers, body, now)
    except ApplicationError as exc:
        return Result.failure(exc)
    except webhooks.Refused as exc:
        code = ErrorCode.UNAUTHENTICATED if exc.status == 401 else ErrorCode.BAD_REQUEST
        return Result.failure(_detail(code, str(exc)))
    set_phase(Phase.AUTHORIZE)
    if not source.enabled:
        return Result.failure(_detail(ErrorCode.CONFLICT, source_executors.PAUSED_DELIVERY))
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
    selectors=source_selectors,
) -> Result:
    """A signed webhook into one metric (see `create_push_source`)."""
    return create_push_source(
        actor_id=actor_id,
        provider_key=SignedWebhook.key,
        name=name,
        settings={"metric_id": metric_id},
        now=now,
        executors=executors,
        metrics=metrics,
        selectors=selectors,
    )


def create_push_source(
    *,
    actor_id: int,
    provider_key: str,
    name: str,
    settings: dict,
    now: dt.datetime,
    providers=provider_registry,
    executors=source_executors,
    metrics=metric_selectors,
    selectors=source_selectors,
) -> Result:
    """A source others send data to, with a new signing secret; the result carries
    the secret, shown once. A second one of the same name is refused."""
    try:
        checked = _checked_settings(
            provider_key,
            settings,
            able_to=Capability.PUSH,
            refusal="This provider is not sent data.",
            actor_id=actor_id,
            providers=providers,
            metrics=metrics,
        )
        _refuse_duplicate(actor_id, provider_key, name, None, selectors=selectors)
    except ApplicationError as exc:
        return Result.failure(exc)
    secret = secrets.token_urlsafe(32)
    created = execute(
        partial(
            executors.source_create,
            owner_id=actor_id,
            provider=provider_key,
            name=name,
            settings=checked.model_dump(mode="json"),
            streams={},
            secrets={"signing_secret": secret},
            now=now,
        )
    )
    if not created.ok:
        return created
    return Result.success({"source_id": created.data, "secret": secret})


def _refuse_duplicate(
    actor_id: int, provider_key: str, name: str, settings: dict | None, *, selectors
) -> None:
    """Refuse a source the actor has already: one of the provider with the same name,
    or (`settings` given) with the same settings, which would bring the same data in
    twice."""
    set_phase(Phase.VALIDATE)
    twin = selectors.same_source(
        owner_id=actor_id, provider=provider_key, name=name, settings=settings
    )
    if twin is None:
        return
    if twin.name.casefold() == name.casefold():
        raise ValidationFailed.on(
            "name", f"You already have a source called “{twin.name}”; choose another name."
        )
    raise ValidationFailed(
        f"You already have this source, as “{twin.name}”: it reads the same address into "
        "the same metric the same way. Rename or change that one instead."
    )


def add_source(
    *,
    actor_id: int,
    provider_key: str,
    name: str,
    settings: dict,
    now: dt.datetime,
    enqueue: Callable[[int], object],
    every_minutes: int | None = None,
    upload=None,
    providers=provider_registry,
    executors=source_executors,
    metrics=metric_selectors,
    selectors=source_selectors,
) -> Result:
    """Add a source of any provider, by what the provider can do: a file is imported,
    a source that can be pulled is followed (its first pull queued), one that is sent
    data gets its address's signing secret (in the result, shown once)."""
    provider = providers.get(provider_key)
    if provider is None:
        return Result.failure(_detail(ErrorCode.NOT_FOUND, "There is no such kind of source."))
    common = {
        "actor_id": actor_id,
        "provider_key": provider_key,
        "name": name,
        "settings": settings,
        "now": now,
        "providers": providers,
        "executors": executors,
        "metrics": metrics,
    }
    if upload is not None and provider.imports_files:
        return import_file(**common, upload=upload, enqueue=enqueue)
    if provider.can_pull:
        return follow_source(
            **common, every_minutes=every_minutes, enqueue=enqueue, selectors=selectors
        )
    if provider.receives_pushes:
        return create_push_source(**common, selectors=selectors)
    return Result.failure(_detail(ErrorCode.VALIDATION_FAILED, "Choose the file to import."))


def rename_source(
    source_id: int, *, actor_id: int, name: str, now: dt.datetime, executors=source_executors
) -> Result:
    name = name.strip()
    if not name:
        return Result.failure(ValidationFailed.on("name", "Give the source a name."))
    return execute(
        partial(executors.source_rename, source_id=source_id, owner_id=actor_id, name=name, now=now)
    )


def pause_source(
    source_id: int,
    *,
    actor_id: int,
    paused: bool,
    now: dt.datetime,
    executors=source_executors,
) -> Result:
    """Pause a source (`paused`) or resume it: a paused one is not pulled, on a
    schedule or when asked, and deliveries to it are refused, not stored."""
    return execute(
        partial(
            executors.source_pause, source_id=source_id, owner_id=actor_id, paused=paused, now=now
        )
    )


def delete_source(
    source_id: int,
    *,
    actor_id: int,
    keep_measurements: bool,
    now: dt.datetime,
    executors=source_executors,
) -> Result:
    """Delete a source and its runs, keeping the measurements it brought or deleting
    them with it."""
    return execute(
        partial(
            executors.source_delete,
            source_id=source_id,
            owner_id=actor_id,
            keep_measurements=keep_measurements,
            now=now,
        )
    )


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
    selectors=source_selectors,
) -> Result:
    """A source to pull from (on a schedule, if `every_minutes`), checked with the
    provider's settings model; its first pull is queued at once. One that has the
    name or the settings of a source the actor has already is refused."""
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
        _refuse_duplicate(
            actor_id,
            provider_key,
            name,
            checked.model_dump(mode="json"),
            selectors=selectors,
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
