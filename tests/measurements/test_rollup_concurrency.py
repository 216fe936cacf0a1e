"""A bucket stays exact when a transaction adding a measurement to it (no metric lock)
and one recomputing it (after a delete) overlap, whichever of the two comes first: the
recomputing one holds its metric `FOR UPDATE`, which waits for, and holds off, the
key-share lock that inserting a measurement takes on its metric."""

import datetime as dt
import threading
import time
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection, transaction

from audit.models import Action, AuditEntry
from measurements.inserts import insert_recorded
from measurements.models import Measurement, MeasurementRollup, Metric
from measurements.rollup import rollup_add, rollup_rebuild, rollup_refresh
from tests.factories import MeasurementFactory, MetricFactory
from tests.faults.live_processes import is_postgresql

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time"),
]

AT = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
HOLD_SECONDS = 0.4


def added(metric_id: int) -> Measurement:
    return Measurement(
        metric_id=metric_id,
        value=Decimal("90"),
        measured_at=AT + dt.timedelta(minutes=5),
        created=AT,
        updated=AT,
    )


def insert_then_add(metric_id: int) -> None:
    measurement = added(metric_id)
    measurement.save()
    rollup_add([measurement.id])


def insert_with_trail(metric_id: int) -> None:
    """The record path's one statement (on PostgreSQL): insert, audit entry, bucket."""
    measurement = added(metric_id)
    owner_id = Metric.objects.get(id=metric_id).owner_id
    entry = AuditEntry(
        at=AT, owner_id=owner_id, action=Action.CREATED, subject_type="measurement", summary="90"
    )
    assert insert_recorded(measurement, entry)
    assert AuditEntry.objects.get(id=entry.id).subject_id == measurement.id


ADDERS = {"rollup_add": insert_then_add, "insert_recorded": insert_with_trail}


def add(adder, metric_id: int, hold: float, started: threading.Event, errors: list) -> None:
    try:
        with transaction.atomic():
            adder(metric_id)
            started.set()
            time.sleep(hold)
    except Exception as exc:
        errors.append(exc)
    finally:
        connection.close()


def delete_and_refresh(
    measurement: Measurement, hold: float, started: threading.Event, errors: list
) -> None:
    try:
        with transaction.atomic():
            Measurement.objects.filter(id=measurement.id).delete()
            rollup_refresh([(measurement.metric_id, measurement.measured_at)])
            started.set()
            time.sleep(hold)
    except Exception as exc:
        errors.append(exc)
    finally:
        connection.close()


def rows(metric_id: int) -> list[tuple]:
    return sorted(
        MeasurementRollup.objects.filter(metric_id=metric_id, count__gt=0).values_list(
            "bucket", "count", "total", "low", "high", "first_id", "last_id"
        )
    )


@pytest.mark.parametrize("adder", ADDERS)
@pytest.mark.parametrize("first", ["add", "refresh"])
def test_an_addition_and_a_refresh_of_one_bucket_leave_it_as_a_rebuild_does(first, adder):
    metric = MetricFactory()
    kept = MeasurementFactory(metric=metric, value=Decimal("80"), measured_at=AT)
    gone = MeasurementFactory(
        metric=metric, value=Decimal("70"), measured_at=AT + dt.timedelta(minutes=1)
    )
    errors: list = []
    leader_started, follower_started = threading.Event(), threading.Event()
    adding = (partial(add, ADDERS[adder]), metric.id)
    refreshing = (delete_and_refresh, gone)
    (lead, lead_arg), (follow, follow_arg) = (
        (adding, refreshing) if first == "add" else (refreshing, adding)
    )
    leader = threading.Thread(target=lead, args=(lead_arg, HOLD_SECONDS, leader_started, errors))
    leader.start()
    assert leader_started.wait(5)
    follower = threading.Thread(target=follow, args=(follow_arg, 0, follower_started, errors))
    follower.start()
    leader.join(10)
    follower.join(10)
    assert not errors

    written = rows(metric.id)
    rollup_rebuild([metric.id])
    assert written == rows(metric.id)
    assert written[0][1:3] == (2, Decimal("170")), "the kept 80 and the added 90"
    assert kept.id in (written[0][5], written[0][6])
