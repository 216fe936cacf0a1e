"""Reads for goals."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import dateformat

from audit.models import Action, AuditEntry
from config.envelope import NotFound
from measurements.models import Measurement

from .choices import GoalStatus
from .models import Goal


def _visible(owner_id: int) -> QuerySet[Goal]:
    return Goal.objects.filter(owner_id=owner_id, deleted_at__isnull=True)


def goal_for_owner(*, goal_id: int, owner_id: int) -> Goal:
    """The goal, if it is the owner's and not deleted; otherwise it does not exist."""
    goal = _visible(owner_id).select_related("metric").filter(id=goal_id).first()
    if goal is None:
        raise NotFound("There is no such goal.")
    return goal


def deleted_goal_for_owner(*, goal_id: int, owner_id: int, since: dt.datetime) -> Goal:
    """The owner's goal if it was deleted at or after `since`; otherwise it does not exist."""
    goal = (
        Goal.objects.filter(id=goal_id, owner_id=owner_id, deleted_at__gte=since)
        .select_related("metric")
        .first()
    )
    if goal is None:
        raise NotFound("There is no such deleted goal, or it is too late to undo.")
    return goal


def recently_deleted_goals(*, owner_id: int, since: dt.datetime) -> QuerySet[Goal]:
    """The owner's goals deleted at or after `since`, newest deletion first."""
    return (
        Goal.objects.filter(owner_id=owner_id, deleted_at__gte=since)
        .select_related("metric")
        .order_by("-deleted_at", "-id")
    )


def active_goals(*, owner_id: int) -> QuerySet[Goal]:
    return (
        _visible(owner_id)
        .filter(status=GoalStatus.ACTIVE)
        .select_related("metric")
        .order_by("created", "id")
    )


def owners_with_active_goals() -> list[int]:
    return list(
        Goal.objects.filter(deleted_at__isnull=True, status=GoalStatus.ACTIVE)
        .values_list("owner_id", flat=True)
        .distinct()
        .order_by("owner_id")
    )


def archived_goals(*, owner_id: int) -> QuerySet[Goal]:
    return (
        _visible(owner_id)
        .filter(status=GoalStatus.ARCHIVED)
        .select_related("metric")
        .order_by("-updated", "-id")
    )


def _day(date: dt.date, today: dt.date) -> str:
    """ "1 Dec", with the year when it is not this one ("1 Dec 2027")."""
    return dateformat.format(date, "j M" if date.year == today.year else "j M Y")


def outside_note(
    goal: Goal, measured_at: dt.datetime, now: dt.datetime, zone: ZoneInfo
) -> str | None:
    """When the goal's window does not hold `measured_at` (judged by days in the owner's
    `zone`, as the window is cut): when that window starts or ends, in words."""
    day = measured_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    if goal.start_date > day:
        verb = "starts" if goal.start_date > today else "started"
        return f"“{goal.title}” {verb} on {_day(goal.start_date, today)}"
    if goal.deadline and goal.deadline < day:
        verb = "ended" if goal.deadline < today else "ends"
        return f"“{goal.title}” {verb} on {_day(goal.deadline, today)}"
    return None


def window_measurements(goal: Goal, *, zone: ZoneInfo) -> QuerySet[Measurement]:
    """The goal's measurements: those of its metric from the start of its first day to
    the end of its last (open-ended goals: up to now), in the owner's zone; unordered."""
    starts = dt.datetime.combine(goal.start_date, dt.time.min, tzinfo=zone)
    window = Measurement.objects.filter(metric_id=goal.metric_id, measured_at__gte=starts)
    if goal.deadline:
        ends = dt.datetime.combine(goal.deadline + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        window = window.filter(measured_at__lt=ends)
    return window


def measurements_in_window(goal: Goal, *, zone: ZoneInfo, limit: int = 200):
    """The newest of the goal's measurements, for its page."""
    return window_measurements(goal, zone=zone).order_by("-measured_at", "-id")[:limit]


def goal_history(goal: Goal, *, limit: int = 30) -> QuerySet[AuditEntry]:
    """The goal's own changes and the corrections to the data it is built on (changed,
    deleted, restored measurements of its metric; new ones are in its list already)."""
    own = Q(subject_type="goal", subject_id=goal.id)
    data = Q(subject_type="measurement", metric_id=goal.metric_id) & ~Q(action=Action.CREATED)
    return AuditEntry.objects.filter(own | data, owner_id=goal.owner_id).order_by("-at", "-id")[
        :limit
    ]
