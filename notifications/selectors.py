"""Reads of notifications: a person's settings and channels, the log they see, and
who is due a reminder now."""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from accounts.models import Profile, Weekday
from events.types import NOTIFICATION_SENT
from goals.choices import GoalStatus
from goals.models import Goal
from webhooks.selectors import listening_endpoints

from . import push
from .choices import NoticeState
from .models import Attempt, Notice, NotificationSettings, PushSubscription, Snooze
from .policy import Reach

#: How many notices the Notifications page shows.
LOG_SIZE = 100


@dataclass(frozen=True)
class Settings:
    """A person's notification settings; the model's defaults until they save theirs."""

    reminder_time: dt.time
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    channels: dict[str, str]
    email_stopped_at: dt.datetime | None

    @classmethod
    def of(cls, row: NotificationSettings | None) -> "Settings":
        row = row or NotificationSettings()
        return cls(
            reminder_time=row.reminder_time,
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            channels=dict(row.channels or {}),
            email_stopped_at=row.email_stopped_at,
        )


@dataclass(frozen=True)
class Person:
    """Someone who may be told something: where and when."""

    user_id: int
    zone: zoneinfo.ZoneInfo
    week_start: int
    settings: Settings


@dataclass(frozen=True)
class Contact:
    """How to reach one person now."""

    person: Person
    email: str
    push_targets: list[tuple[int, push.PushTarget]]
    webhook: bool

    @property
    def reach(self) -> Reach:
        return Reach(
            email=bool(self.email) and self.person.settings.email_stopped_at is None,
            push=bool(self.push_targets) and push.push_configured(),
            webhook=self.webhook,
        )


def settings_for(*, user_id: int) -> Settings:
    return Settings.of(NotificationSettings.objects.filter(user_id=user_id).first())


def _person(user) -> Person:
    profile = getattr(user, "profile", None)
    zone_name = profile.time_zone if isinstance(profile, Profile) else settings.TIME_ZONE
    week_start = profile.week_start if isinstance(profile, Profile) else Weekday.MONDAY
    row = getattr(user, "notification_settings", None)
    return Person(
        user_id=user.id,
        zone=zoneinfo.ZoneInfo(zone_name),
        week_start=week_start,
        settings=Settings.of(row if isinstance(row, NotificationSettings) else None),
    )


def _people() -> QuerySet:
    return get_user_model().objects.select_related("profile", "notification_settings")


def contact_for(*, user_id: int) -> Contact:
    user = _people().get(id=user_id)
    targets = [
        (sub.id, push.PushTarget(endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth))
        for sub in PushSubscription.objects.filter(owner_id=user_id)
    ]
    listeners = listening_endpoints(owner_ids=[user_id])
    return Contact(
        person=_person(user),
        email=user.email,
        push_targets=targets,
        webhook=any(NOTIFICATION_SENT in listener.event_types for listener in listeners),
    )


def people(*, user_ids: Iterable[int] | None = None) -> list[Person]:
    """Active people with their zone and settings (all of them, or these)."""
    users = _people().filter(is_active=True)
    if user_ids is not None:
        users = users.filter(id__in=list(user_ids))
    return [_person(user) for user in users.order_by("id")]


def snoozed_until(*, goal_id: int | None) -> dt.date | None:
    if goal_id is None:
        return None
    return Snooze.objects.filter(goal_id=goal_id).values_list("until", flat=True).first()


def snoozes_for(*, owner_ids: Iterable[int]) -> dict[int, dt.date]:
    """The goals snoozed, by goal id: their last quiet day."""
    return dict(Snooze.objects.filter(owner_id__in=list(owner_ids)).values_list("goal_id", "until"))


def active_goal(*, goal_id: int) -> Goal | None:
    """The goal, with its metric, while it is active and not deleted."""
    return (
        Goal.objects.filter(id=goal_id, deleted_at__isnull=True, status=GoalStatus.ACTIVE)
        .select_related("metric")
        .first()
    )


def active_goals_for(*, owner_ids: Iterable[int]) -> list[Goal]:
    """The active goals of these people, with what the progress mapper reads."""
    return list(
        Goal.objects.filter(
            owner_id__in=list(owner_ids), deleted_at__isnull=True, status=GoalStatus.ACTIVE
        )
        .select_related("metric")
        .order_by("owner_id", "id")
    )


def goals_by_id(*, goal_ids: Iterable[int]) -> dict[int, Goal]:
    goals = Goal.objects.filter(id__in=list(goal_ids), deleted_at__isnull=True)
    return {goal.id: goal for goal in goals.select_related("metric")}


def existing_keys(*, owner_ids: Iterable[int], keys: Iterable[str]) -> set[tuple[int, str]]:
    return set(
        Notice.objects.filter(owner_id__in=list(owner_ids), key__in=list(keys)).values_list(
            "owner_id", "key"
        )
    )


def lost_notices(*, now: dt.datetime, due_before: dt.datetime, limit: int) -> list[int]:
    """Notices due since before `due_before`, waiting, and held by no worker: their
    task was lost (or is very late); handing them over again is safe."""
    return list(
        Notice.objects.filter(state=NoticeState.PLANNED, due_at__lte=due_before)
        .exclude(claimed_until__gt=now)
        .order_by("due_at")
        .values_list("id", flat=True)[:limit]
    )


def notice_log(*, owner_id: int, size: int = LOG_SIZE) -> list[Notice]:
    """The person's latest notices, newest first, each with its attempts."""
    return list(
        Notice.objects.filter(owner_id=owner_id)
        .select_related("goal")
        .prefetch_related(Prefetch("attempts", queryset=Attempt.objects.order_by("at", "id")))
        .order_by("-created", "-id")[:size]
    )


def push_subscriptions_for(*, owner_id: int) -> list[PushSubscription]:
    return list(PushSubscription.objects.filter(owner_id=owner_id))
