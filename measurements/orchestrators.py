"""Policy for recording measurements and creating metrics. Every channel (browser,
API, import, tasks, commands) writes through these."""

import datetime as dt
from functools import partial

from config.envelope import ApplicationError, Result
from config.orchestration import execute
from config.request_context import Phase, set_phase
from config.revalidation import METRICS_LIST, metric_key

from . import dependents
from . import executors as measurement_executors
from . import selectors as measurement_selectors
from .contracts import CreateMetric, RecordMeasurement


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
    try:
        set_phase(Phase.AUTHORIZE)
        selectors.metric_for_owner(metric_id=command.metric_id, owner_id=actor_id)
        set_phase(Phase.PLAN)
        affected = resolve_dependents([command.metric_id])
    except ApplicationError as exc:
        return Result.failure(exc)
    result = execute(
        partial(executors.measurement_record, owner_id=actor_id, command=command, now=now)
    )
    return result.with_affected(affected) if result.ok else result


def create_metric(
    command: CreateMetric, *, actor_id: int, now: dt.datetime, executors=measurement_executors
) -> Result:
    result = execute(partial(executors.metric_create, owner_id=actor_id, command=command, now=now))
    if not result.ok:
        return result
    return result.with_affected([METRICS_LIST, metric_key(result.data.id)])
