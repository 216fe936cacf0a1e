"""Policy for recording measurements and creating metrics. Every channel (browser,
API, import, tasks, commands) writes through these."""

import datetime as dt
from collections.abc import Callable
from functools import partial

from config.envelope import ApplicationError, Result
from config.orchestration import execute
from config.request_context import Phase, set_phase
from config.revalidation import METRICS_LIST, metric_key

from . import dependents
from . import executors as measurement_executors
from . import selectors as measurement_selectors
from .contracts import CreateMetric, EditMeasurement, MeasurementRef, RecordMeasurement

UNDO_WINDOW = dt.timedelta(minutes=10)
"""How long a deleted measurement can be brought back with Undo."""


def _changing_metric_data(
    *,
    find_metric: Callable[[], int],
    action: Callable[[], Result],
    resolve_dependents: Callable[[list[int]], list[str]],
) -> Result:
    """The shape of every change to a metric's measurements: find the metric (the
    actor's, or it is not found), name what depends on it, run the executor. The
    change affects the metric and everything built on it."""
    try:
        set_phase(Phase.AUTHORIZE)
        metric_id = find_metric()
        set_phase(Phase.PLAN)
        affected = resolve_dependents([metric_id])
    except ApplicationError as exc:
        return Result.failure(exc)
    result = execute(action)
    return result.with_affected(affected) if result.ok else result


def record_measurement(
    command: RecordMeasurement,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
    resolve_dependents=dependents.keys_for_metrics,
) -> Result:
    """Record one measurement; it affects its metric and everything built on it."""
    return _changing_metric_data(
        find_metric=lambda: (
            selectors.metric_for_owner(metric_id=command.metric_id, owner_id=actor_id).id
        ),
        action=partial(executors.measurement_record, owner_id=actor_id, command=command, now=now),
        resolve_dependents=resolve_dependents,
    )


def create_metric(
    command: CreateMetric, *, actor_id: int, now: dt.datetime, executors=measurement_executors
) -> Result:
    result = execute(partial(executors.metric_create, owner_id=actor_id, command=command, now=now))
    if not result.ok:
        return result
    return result.with_affected([METRICS_LIST, metric_key(result.data.id)])


def _metric_of(selectors, measurement_id: int, actor_id: int) -> Callable[[], int]:
    return lambda: (
        selectors.measurement_for_owner(measurement_id=measurement_id, owner_id=actor_id).metric_id
    )


def edit_measurement(
    command: EditMeasurement,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
    resolve_dependents=dependents.keys_for_metrics,
) -> Result:
    return _changing_metric_data(
        find_metric=_metric_of(selectors, command.measurement_id, actor_id),
        action=partial(executors.measurement_update, owner_id=actor_id, command=command, now=now),
        resolve_dependents=resolve_dependents,
    )


def delete_measurement(
    command: MeasurementRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
    resolve_dependents=dependents.keys_for_metrics,
) -> Result:
    """Delete; `undelete_measurement` brings it back for `UNDO_WINDOW`."""
    return _changing_metric_data(
        find_metric=_metric_of(selectors, command.measurement_id, actor_id),
        action=partial(
            executors.measurement_delete,
            owner_id=actor_id,
            measurement_id=command.measurement_id,
            now=now,
        ),
        resolve_dependents=resolve_dependents,
    )


def undelete_measurement(
    command: MeasurementRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
    resolve_dependents=dependents.keys_for_metrics,
) -> Result:
    """Undo a delete within `UNDO_WINDOW`; after that there is nothing to undo."""
    since = now - UNDO_WINDOW
    return _changing_metric_data(
        find_metric=lambda: (
            selectors.recently_deleted_measurement(
                measurement_id=command.measurement_id, owner_id=actor_id, since=since
            ).metric_id
        ),
        action=partial(
            executors.measurement_restore,
            owner_id=actor_id,
            measurement_id=command.measurement_id,
            deleted_since=since,
            now=now,
        ),
        resolve_dependents=resolve_dependents,
    )
