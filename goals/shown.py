"""A goal as the API shows it (`GoalOut`, without its progress), for the events that
carry it. A test holds this to the API's own output."""

from typing import Any

from config.numbers import plain
from config.times import exact_time

from .models import Goal


def _number(value) -> str | None:
    return None if value is None else plain(value)


def goal_shown(goal: Goal) -> dict[str, Any]:
    metric = goal.metric
    return {
        "id": goal.id,
        "title": goal.title,
        "kind": goal.kind,
        "metric": {"id": metric.id, "name": metric.name, "unit": metric.unit},
        "target": _number(goal.target),
        "target_low": _number(goal.target_low),
        "target_high": _number(goal.target_high),
        "start_value": _number(goal.start_value),
        "start_date": goal.start_date.isoformat(),
        "deadline": goal.deadline.isoformat() if goal.deadline else None,
        "period": goal.period or None,
        "comparison": goal.comparison or None,
        "aggregation": goal.aggregation,
        "period_aggregation": goal.period_aggregation,
        "required_share": goal.required_share,
        "status": goal.status,
        "created": exact_time(goal.created),
        "updated": exact_time(goal.updated),
    }
