"""A realistic account to benchmark against, written through the orchestrators the
way `demo_seed` does, plus history bulk-inserted (recording it one request at a time
would take longer than the bench)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone
from pydantic import SecretStr

from accounts.contracts import SignUp
from accounts.orchestrators import sign_up
from goals.contracts import CreateGoal, GoalFields, NewMetric
from goals.orchestrators import create_goal
from measurements.models import Measurement

TIME_ZONE = "Europe/Berlin"


@dataclass(frozen=True)
class Account:
    user: object
    metric_id: int
    """The metric the bench records into: weight, in kg."""
    goals_on_metric: int
    history: int


def _ok(result):
    if not result.ok:
        raise RuntimeError(f"Seeding failed: {result.error.message}")
    return result.data


def _goal(user_id: int, now: dt.datetime, fields: GoalFields, **metric) -> int:
    data = _ok(create_goal(CreateGoal(fields=fields, **metric), actor_id=user_id, now=now))
    return data.metric_id


def _history(metric_id: int, count: int, step: dt.timedelta, value, now: dt.datetime) -> None:
    Measurement.objects.bulk_create(
        Measurement(
            metric_id=metric_id,
            value=value(i),
            measured_at=now - step * (i + 1),
            created=now,
            updated=now,
        )
        for i in range(count)
    )


def seed_account(*, username: str = "bench", history: int = 2000) -> Account:
    """A user with a weight metric under three goals (reach, range, quota) and
    `history` weight measurements, plus running and sleep metrics with a goal each."""
    now = timezone.now()
    today = timezone.localdate(now, timezone=ZoneInfo(TIME_ZONE))
    account = sign_up(
        SignUp(username=username, password=SecretStr("bench-password-2026"), time_zone=TIME_ZONE),
        now=now,
    )
    user_id = _ok(account).user_id
    weight_goals = [
        GoalFields(
            title="Weigh 75 kg by summer",
            kind="reach",
            start_value=Decimal("82"),
            target=Decimal("75"),
            start_date=today - dt.timedelta(days=60),
            deadline=today + dt.timedelta(days=90),
            aggregation="min",
        ),
        GoalFields(
            title="Keep the weekly mean between 74 and 83 kg",
            kind="range",
            target_low=Decimal("74"),
            target_high=Decimal("83"),
            period="week",
            period_aggregation="mean",
            start_date=today - dt.timedelta(days=120),
            aggregation="mean",
        ),
        GoalFields(
            title="Weigh in 5 times a week",
            kind="quota",
            target=Decimal("5"),
            period="week",
            comparison="at_least",
            start_date=today - dt.timedelta(days=120),
            aggregation="count",
        ),
    ]
    weight = _goal(user_id, now, weight_goals[0], new_metric=NewMetric(name="Weight", unit="kg"))
    for fields in weight_goals[1:]:
        _goal(user_id, now, fields, metric_id=weight)
    running = _goal(
        user_id,
        now,
        GoalFields(
            title="Run 100 km this month",
            kind="total",
            target=Decimal("100"),
            start_date=today.replace(day=1),
            deadline=today.replace(day=1) + dt.timedelta(days=30),
            aggregation="sum",
        ),
        new_metric=NewMetric(name="Running distance", unit="km"),
    )
    sleep = _goal(
        user_id,
        now,
        GoalFields(
            title="Sleep 7 to 9 hours a night",
            kind="range",
            target_low=Decimal("7"),
            target_high=Decimal("9"),
            period="day",
            period_aggregation="sum",
            start_date=today - dt.timedelta(days=60),
            aggregation="sum",
        ),
        new_metric=NewMetric(name="Sleep", unit="h"),
    )
    day = dt.timedelta(days=1)
    _history(weight, history, dt.timedelta(hours=8), lambda i: Decimal(800 + i % 40) / 10, now)
    _history(running, 100, 3 * day, lambda i: Decimal(50 + i % 70) / 10, now)
    _history(sleep, 200, day, lambda i: Decimal(60 + i % 32) / 10, now)
    return Account(
        user=get_user_model().objects.get(id=user_id),
        metric_id=weight,
        goals_on_metric=len(weight_goals),
        history=history,
    )
