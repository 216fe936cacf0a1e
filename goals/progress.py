"""The one progress mapper: goals plus their measurements in, progress payloads out.

Pages, the JSON API, the admin and exports all call `progress_for_goals` (or
`progress_for_goal`); nothing else computes progress. The mapper does three things:
it asks each goal's kind which days it needs, reads those days for all the goals at
once (`goals.daily_values`: a fixed number of queries however many goals), and hands
each goal's daily values to its kind. Everything about what progress *means* lives in
the kinds (`goals.kinds`), found through the registry.
"""

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from . import kinds
from .daily_values import daily_values_for_goals, metrics_for_goals
from .kinds import wording
from .kinds.base import GoalKind
from .kinds.payload import PeriodStatus, Progress, ProgressPoint, ProgressStatus
from .kinds.payload import ProgressContext as _Context
from .models import Goal

__all__ = [
    "PeriodStatus",
    "Progress",
    "ProgressPoint",
    "ProgressStatus",
    "progress_for_goal",
    "progress_for_goals",
]


def progress_for_goals(
    goals: Iterable[Goal],
    *,
    profile_zone: ZoneInfo,
    week_start: int,
    now: dt.datetime,
    series: bool = True,
) -> dict[int, Progress]:
    """Progress of each of one owner's goals at `now`, by goal id.

    `profile_zone` and `week_start` (0 Monday .. 6 Sunday) come from the owner's
    profile: they cut days, weeks and months, and `today` is `now`'s date there.
    Select the goals with their metric (`select_related("metric")`) to save the one
    query that otherwise reads the units. Without `series`, the chart's day-by-day
    points are left out (a status is judged without them, at a fraction of the cost).
    """
    goals = list(goals)
    today = now.astimezone(profile_zone).date()
    policies = {goal.id: _kind_of(goal) for goal in goals}
    ranges = {goal.id: policies[goal.id].days_to_read(goal, today) for goal in goals}
    daily = daily_values_for_goals(goals, zone=profile_zone, ranges=ranges)
    metrics = metrics_for_goals(goals)
    return {
        goal.id: _progress(
            policies[goal.id],
            goal,
            daily[goal.id],
            _Context(
                today=today,
                week_start=week_start,
                unit=metrics[goal.id].unit,
                goal_id=goal.id,
                series=series,
            ),
            places=metrics[goal.id].places,
        )
        for goal in goals
    }


def _progress(kind: GoalKind, goal: Goal, days, context: _Context, *, places: int) -> Progress:
    """The kind's progress, its words written at the metric's display places."""
    with wording.places(places):
        progress = kind.progress(goal, days, context)
    return progress.model_copy(update={"places": places})


def progress_for_goal(
    goal: Goal, *, profile_zone: ZoneInfo, week_start: int, now: dt.datetime
) -> Progress:
    """One goal's progress: the batch path with a batch of one."""
    batch = progress_for_goals([goal], profile_zone=profile_zone, week_start=week_start, now=now)
    return batch[goal.id]


def _kind_of(goal: Goal) -> GoalKind:
    kind = kinds.get(goal.kind)
    if kind is None:
        raise LookupError(f"Goal {goal.id} has the kind {goal.kind!r}, which is not registered.")
    return kind
