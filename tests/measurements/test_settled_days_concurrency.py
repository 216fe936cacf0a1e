"""Settling a metric's days and writing to one of them at the same moment leave the
reads exact, whichever comes first: the settling holds the metric `FOR UPDATE`, which
waits for the writer's key-share lock and holds it off, so a write either lands before
the day is summed or, after it, sees the new end and takes it back."""

import datetime as dt
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from audit.models import Action, AuditEntry
from measurements.days import DaySpan, read_days, settle, unsettle
from measurements.inserts import insert_recorded
from measurements.models import Measurement, Metric
from measurements.rollup import bucket_of
from tests.factories import MeasurementFactory, MetricFactory
from tests.faults.live_processes import is_postgresql

from .test_rollup_concurrency import add as held

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time"),
]

ZONE = ZoneInfo("Europe/Berlin")
DAY = dt.date(2026, 3, 10)
THROUGH = dt.date(2026, 3, 20)
NOW = dt.datetime(2026, 3, 25, 12, tzinfo=dt.UTC)
HOLD_SECONDS = 0.4


def at(hour: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour), tzinfo=ZONE)


def write(metric_id: int) -> None:
    """The record path (one statement on PostgreSQL), then its take-back of settled days."""
    measurement = Measurement(
        metric_id=metric_id, value=Decimal("5"), measured_at=at(18), created=NOW, updated=NOW
    )
    owner_id = Metric.objects.get(id=metric_id).owner_id
    entry = AuditEntry(
        at=NOW, owner_id=owner_id, action=Action.CREATED, subject_type="measurement", summary="5"
    )
    assert insert_recorded(measurement, entry)
    unsettle([(metric_id, measurement.measured_at)], now=NOW)


def settling(metric_id: int) -> None:
    settle(metric_id, ZONE, THROUGH)


def the_day(metric_id: int) -> tuple[int, Decimal]:
    """The day's count and sum as progress reads them (settled rows, or quarter-hours)."""
    number = (DAY - dt.date(1970, 1, 1)).days
    found = [
        (int(count), Decimal(total))
        for _, day, total, count, _, _ in read_days("grouped", {metric_id: DaySpan(DAY, DAY)}, ZONE)
        if day == number
    ]
    return found[0] if found else (0, Decimal(0))


@pytest.mark.parametrize("first", ["write", "settle"])
def test_a_write_and_a_settling_of_its_day_leave_the_day_exact(first):
    metric = MetricFactory()
    MeasurementFactory(metric=metric, value=Decimal("10"), measured_at=at(8))
    errors: list = []
    leader_started, follower_started = threading.Event(), threading.Event()
    lead, follow = (write, settling) if first == "write" else (settling, write)
    leader = threading.Thread(
        target=held, args=(lead, metric.id, HOLD_SECONDS, leader_started, errors)
    )
    leader.start()
    assert leader_started.wait(5)
    follower = threading.Thread(target=held, args=(follow, metric.id, 0, follower_started, errors))
    follower.start()
    leader.join(10)
    follower.join(10)
    assert not errors

    stored = Metric.objects.get(id=metric.id)
    settled_through_day = stored.days_end >= bucket_of(
        dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(), tzinfo=ZONE)
    )
    # Written first: the settling waited and counted it. Settled first: the write
    # waited, then took the settled end back before its day.
    assert settled_through_day == (first == "write")
    assert the_day(metric.id) == (2, Decimal("15"))
