import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from measurements.contracts import RecordMeasurement
from measurements.orchestrators import record_measurement
from notifications.models import NotificationSettings
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory, UserFactory
from tests.notifications.push_service import (  # noqa: F401
    push_service_fixture,
    push_settings_fixture,
)


def person(*, email="ada@example.com", zone="America/New_York", quiet=False, **settings):
    """Someone with a verified email address, in `zone`, with no quiet hours unless
    `quiet` (then 22:00 to 07:00)."""
    user = UserFactory(email=email, profile__time_zone=zone)
    NotificationSettings.objects.create(
        user=user,
        quiet_start=dt.time(22, 0) if quiet else None,
        quiet_end=dt.time(7, 0) if quiet else None,
        **settings,
    )
    return user


def weight_goal(owner, *, days_in=30, title="Weigh 75 kg"):
    """A reach goal from 82 kg to 75 kg over 90 days, `days_in` days under way: the
    line stands near 79.7 kg today at 30 days in."""
    metric = MetricFactory(owner=owner, name="Weight", unit="kg")
    start = timezone.localdate() - dt.timedelta(days=days_in)
    return GoalFactory(
        metric=metric,
        owner=owner,
        title=title,
        start_date=start,
        deadline=start + dt.timedelta(days=90),
    )


def record(metric, value: str, *, at: dt.datetime | None = None):
    """A measurement recorded through the real orchestrator and executor."""
    when = at or timezone.now() - dt.timedelta(minutes=1)
    command = RecordMeasurement(metric_id=metric.id, value=Decimal(value), measured_at=when)
    return record_measurement(command, actor_id=metric.owner_id, now=timezone.now()).unwrap()


def behind_on_clock_day(owner):
    """A weight goal under way since October, last weighed above its line on 31 Oct
    2026, the eve of the day the clocks go back in New York."""
    metric = MetricFactory(owner=owner, name="Weight", unit="kg")
    goal = GoalFactory(
        metric=metric,
        owner=owner,
        title="Weigh 75 kg",
        start_date=dt.date(2026, 10, 1),
        deadline=dt.date(2026, 12, 30),
    )
    MeasurementFactory(
        metric=metric, value=Decimal("81"), measured_at=dt.datetime(2026, 10, 31, 12, tzinfo=dt.UTC)
    )
    return goal


@pytest.fixture
def ada(db):
    return person()
