"""Goal templates: common goals the new-goal form starts from, pre-filled.

A template is a link (`/goals/new/?template=lose-weight`), so it works without
JavaScript; it fills the form (kind, metric and unit, period, direction and sensible
numbers) and the person changes what does not fit before saving. The metric is one of
the person's own when they already have one of that name, else a new one.
"""

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GoalPreset:
    key: str
    #: What the start screen calls it, and one line of what it sets up.
    label: str
    description: str
    kind: str
    title: str
    metric_name: str
    unit: str
    #: Form values beyond kind, title and metric; dates come from `dates(today)`.
    values: dict = field(default_factory=dict)
    dates: Callable[[dt.date], dict] = lambda today: {"start_date": today}


def _weeks_ahead(weeks: int) -> Callable[[dt.date], dict]:
    def dates(today: dt.date) -> dict:
        return {"start_date": today, "deadline": today + dt.timedelta(weeks=weeks)}

    return dates


def _this_month(today: dt.date) -> dict:
    last = calendar.monthrange(today.year, today.month)[1]
    return {"start_date": today.replace(day=1), "deadline": today.replace(day=last)}


PRESETS: dict[str, GoalPreset] = {
    preset.key: preset
    for preset in (
        GoalPreset(
            key="lose-weight",
            label="Lose weight by a date",
            description="From today's weight to a target weight in 12 weeks.",
            kind="reach",
            title="Lose weight",
            metric_name="Weight",
            unit="kg",
            values={"aggregation": "last"},
            dates=_weeks_ahead(12),
        ),
        GoalPreset(
            key="run-distance",
            label="Run a distance this month",
            description="Add up 50 km of running by the end of the month.",
            kind="total",
            title="Run 50 km this month",
            metric_name="Running distance",
            unit="km",
            values={"target": 50, "aggregation": "sum"},
            dates=_this_month,
        ),
        GoalPreset(
            key="workouts-week",
            label="Workouts a week",
            description="At least 3 workouts each week.",
            kind="quota",
            title="3 workouts a week",
            metric_name="Workouts",
            unit="workouts",
            values={
                "target": 3,
                "period": "week",
                "comparison": "at_least",
                "aggregation": "sum",
                "required_share": 100,
            },
        ),
        GoalPreset(
            key="sleep-range",
            label="Sleep within a range",
            description="Between 7 and 9 hours each night.",
            kind="range",
            title="Sleep 7 to 9 hours",
            metric_name="Sleep",
            unit="h",
            values={
                "target_low": 7,
                "target_high": 9,
                "period": "day",
                "period_aggregation": "sum",
                "aggregation": "sum",
                "required_share": 100,
            },
        ),
        GoalPreset(
            key="at-most-a-day",
            label="At most N a day",
            description="A daily limit: at most 2 coffees a day.",
            kind="quota",
            title="At most 2 coffees a day",
            metric_name="Coffee",
            unit="cups",
            values={
                "target": 2,
                "period": "day",
                "comparison": "at_most",
                "aggregation": "sum",
                "required_share": 100,
            },
        ),
    )
}


def preset_initial(preset: GoalPreset, *, today: dt.date, metrics: Iterable) -> dict:
    """The form's initial values for `preset`: its kind, title, numbers and dates, and
    the person's metric of that name or a new metric to create."""
    own = next(
        (metric for metric in metrics if metric.name.casefold() == preset.metric_name.casefold()),
        None,
    )
    metric = (
        {"metric": own.id}
        if own is not None
        else {"metric": "", "new_metric_name": preset.metric_name, "new_metric_unit": preset.unit}
    )
    return {
        "kind": preset.kind,
        "title": preset.title,
        "period_aggregation": "mean",
        "required_share": 100,
        **preset.values,
        **preset.dates(today),
        **metric,
    }
