"""What a write to a metric's data does to the goals built on it, judged inside the
writing transaction (registered with `measurements.dependents` at start-up).

Each active goal's progress status is kept on the goal (`Goal.standing`); after the
write the mapper judges the goals again, and a goal whose status moved records
`goal.status_changed` with the status before and after. Judging after the write, with
the status before read from the goal, costs one progress computation per write, not
two.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from itertools import chain, groupby

from accounts.selectors import preferences_for
from config.revalidation import GOALS_SUMMARY, goal_key
from events import types
from events.outbox import emit
from measurements.dependents import Dependents
from measurements.models import Metric

from .choices import GoalStatus
from .metric_read import goals_from
from .models import Goal
from .progress import progress_for_goals
from .selectors import outside_note
from .shown import goal_shown


def after_metric_change(
    metric_ids: list[int],
    now: dt.datetime,
    measured_at: dt.datetime | None,
    known: Mapping[int, Metric],
) -> dict[int, Dependents]:
    """The keys of the goals over these metrics (and the summary, when there are any),
    by metric, once their statuses are brought up to date; and which active goals'
    windows a recorded `measured_at` falls outside of. The goals come from `known`
    metrics read with them (`goals.metric_read`), else from a query."""
    goals = _goals_over(metric_ids, known)
    found: dict[int, Dependents] = defaultdict(Dependents)
    for goal in goals:
        found[goal.metric_id].affected += [goal_key(goal.id), GOALS_SUMMARY]
    active = [goal for goal in goals if goal.status == GoalStatus.ACTIVE]
    if measured_at is not None:
        for goal in active:
            zone = preferences_for(goal.owner).zone
            note = outside_note(goal, measured_at, now, zone)
            if note:
                found[goal.metric_id].outside.append(note)
    restate(active, now=now)
    return found


def _goals_over(metric_ids: list[int], known: Mapping[int, Metric]) -> list[Goal]:
    read = [goals_from(known[id]) if id in known else None for id in metric_ids]
    if all(goals is not None for goals in read):
        return sorted(chain.from_iterable(read), key=lambda goal: (goal.owner_id, goal.id))
    return list(
        Goal.objects.filter(metric_id__in=metric_ids, deleted_at__isnull=True)
        .select_related("metric", "owner__profile")
        .order_by("owner_id", "id")
    )


def restate(goals: list[Goal], *, now: dt.datetime) -> None:
    """Judge the goals (select them with `metric` and `owner__profile`) and record
    each status that moved, with the one before. A goal never judged (just created)
    has no status before: its first is stored without an event."""
    moved = []
    for _owner, owned in groupby(goals, key=lambda goal: goal.owner_id):
        owned = list(owned)
        preferences = preferences_for(owned[0].owner)
        progress = progress_for_goals(
            owned,
            profile_zone=preferences.zone,
            week_start=preferences.week_start,
            now=now,
            series=False,
        )
        for goal in owned:
            status = progress[goal.id].status
            if status == goal.standing:
                continue
            before, goal.standing = goal.standing, status
            moved.append(goal)
            if not before:
                continue
            emit(
                types.GOAL_STATUS_CHANGED,
                owner_id=goal.owner_id,
                affected=[goal_key(goal.id), GOALS_SUMMARY],
                subject=("goal", goal.id),
                data={
                    "goal": goal_shown(goal),
                    "previous_status": before,
                    "status": status,
                    "percent": progress[goal.id].percent,
                },
            )
    Goal.objects.bulk_update(moved, ["standing"])
