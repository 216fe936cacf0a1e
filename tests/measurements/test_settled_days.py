"""Settled days (measurements/days.py): the scheduler's chore sums each metric's days
that are over into a row a day, in its owner's zone; a write to a settled day takes
the settling back to the day before; a new zone settles the days again in it. That
reads give the raw rows' values throughout is tests/goals/test_rollup_property.py."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from background.scheduler import CHORES
from measurements.choices import Source
from measurements.contracts import IngestRow, MeasurementValues
from measurements.days import local_midnight
from measurements.executors import measurements_ingest
from measurements.models import MeasurementDay, Metric
from measurements.rollup import bucket_of
from tests.factories import MetricFactory

#: 36 hours earlier is 29 November, 05:30 in Kolkata: days through the 28th are over.
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
KOLKATA = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")
SETTLE = next(chore for chore in CHORES if chore.name == "settle_days")


def _record(metric, *moments: dt.datetime, value: str = "1") -> None:
    rows = [
        IngestRow(
            index=index,
            metric_id=metric.id,
            values=MeasurementValues(value=Decimal(value), measured_at=moment),
        )
        for index, moment in enumerate(moments)
    ]
    assert measurements_ingest(
        owner_id=metric.owner_id, rows=rows, source=Source.API, now=NOW
    ).data.created == len(moments)


def _settled(metric) -> dict[dt.date, int]:
    """Settled day -> its count, of the days the metric's settling covers."""
    end = Metric.objects.get(id=metric.id).days_end
    return {
        dt.date(1970, 1, 1) + dt.timedelta(days=day): count
        for day, count in MeasurementDay.objects.filter(
            metric_id=metric.id, end_bucket__lte=end
        ).values_list("day", "count")
    }


@pytest.fixture
def metric(user):
    user.profile.time_zone = KOLKATA.key
    user.profile.save()
    return MetricFactory(owner=user)


def _local(day: int, hour: int, zone: ZoneInfo = KOLKATA) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=zone)


@pytest.mark.django_db
def test_the_chore_settles_the_days_that_ended_36_hours_ago_in_the_owners_zone(metric):
    # 28 Nov, 23:30 in Kolkata is 18:00 UTC: a UTC day would hold it on the 28th too,
    # but 29 Nov, 02:00 in Kolkata is the 28th in UTC.
    _record(metric, *(_local(day, 12) for day in range(20, 30)), _local(28, 23), _local(29, 2))

    assert SETTLE.run(NOW) == "settled 9 day(s)"

    assert _settled(metric) == {dt.date(2026, 11, day): 1 for day in range(20, 28)} | {
        dt.date(2026, 11, 28): 2
    }
    stored = Metric.objects.get(id=metric.id)
    assert stored.days_zone == KOLKATA.key
    assert stored.days_end == bucket_of(local_midnight(dt.date(2026, 11, 29), KOLKATA))
    assert SETTLE.run(NOW) == "settled 0 day(s)"
    assert SETTLE.run(NOW + dt.timedelta(days=1)) == "settled 1 day(s)"


@pytest.mark.django_db
def test_a_write_to_a_settled_day_takes_the_settling_back_to_the_day_before(metric):
    _record(metric, *(_local(day, 12) for day in range(20, 29)))
    SETTLE.run(NOW)

    _record(metric, _local(25, 8))

    assert list(_settled(metric)) == [dt.date(2026, 11, day) for day in range(20, 25)]
    assert SETTLE.run(NOW) == "settled 4 day(s)"
    assert _settled(metric)[dt.date(2026, 11, 25)] == 2


@pytest.mark.django_db
def test_a_write_of_the_last_hours_leaves_the_settled_days_alone(metric):
    _record(metric, *(_local(day, 12) for day in range(20, 29)))
    SETTLE.run(NOW)
    settled = Metric.objects.get(id=metric.id).days_end

    _record(metric, NOW - dt.timedelta(hours=2))

    assert Metric.objects.get(id=metric.id).days_end == settled


@pytest.mark.django_db
def test_a_new_zone_settles_the_days_again_in_it(metric, user):
    # 21 Nov, 08:00 in Kolkata is 20 Nov, 21:30 in New York.
    _record(metric, _local(21, 8), _local(21, 20))
    SETTLE.run(NOW)
    assert _settled(metric) == {dt.date(2026, 11, 21): 2}

    user.profile.time_zone = NEW_YORK.key
    user.profile.save()
    SETTLE.run(NOW)

    assert _settled(metric) == {dt.date(2026, 11, 20): 1, dt.date(2026, 11, 21): 1}
    assert Metric.objects.get(id=metric.id).days_zone == NEW_YORK.key


@pytest.mark.django_db
def test_a_metric_without_measurements_settles_no_day_and_deleting_one_deletes_its_days(metric):
    empty = MetricFactory(owner=metric.owner, name="Sleep")
    _record(metric, _local(21, 8))
    SETTLE.run(NOW)

    assert _settled(empty) == {}
    assert Metric.objects.get(id=empty.id).days_zone == KOLKATA.key
    metric.delete()
    assert not MeasurementDay.objects.exists()
