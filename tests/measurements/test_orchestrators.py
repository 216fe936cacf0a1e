"""Recording policy with fakes: no database."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from config.envelope import NotFound, Result
from measurements.contracts import MeasurementData, RecordMeasurement
from measurements.orchestrators import record_measurement

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
COMMAND = RecordMeasurement(metric_id=7, value=Decimal("81.2"), measured_at=NOW)


def selectors(owned):
    def metric_for_owner(*, metric_id, owner_id):
        if metric_id not in owned:
            raise NotFound("There is no such metric.")
        return SimpleNamespace(id=metric_id)

    return SimpleNamespace(metric_for_owner=metric_for_owner)


def executors(calls):
    def measurement_record(**kwargs):
        calls.append(kwargs)
        return Result.success(
            MeasurementData(
                id=1, metric_id=7, value=Decimal("81.2"), measured_at=NOW, note="", source="manual"
            )
        )

    return SimpleNamespace(measurement_record=measurement_record)


def test_recording_checks_the_metric_then_calls_the_executor():
    calls = []
    result = record_measurement(
        COMMAND,
        actor_id=1,
        now=NOW,
        executors=executors(calls),
        selectors=selectors({7}),
    )
    assert result.ok
    assert calls == [{"owner_id": 1, "command": COMMAND, "now": NOW, "metric": None}]
    assert result.data.id == 1


def test_a_metric_the_page_already_read_for_the_actor_is_passed_down_not_read_again():
    calls = []
    known = SimpleNamespace(id=7, owner_id=1)
    result = record_measurement(
        COMMAND,
        actor_id=1,
        now=NOW,
        metric=known,
        executors=executors(calls),
        selectors=selectors(set()),  # a read would find nothing: it is not made
    )
    assert result.ok
    assert calls == [{"owner_id": 1, "command": COMMAND, "now": NOW, "metric": known}]


def test_a_metric_of_someone_else_passed_down_is_checked_like_any_other():
    calls = []
    theirs = SimpleNamespace(id=7, owner_id=2)
    result = record_measurement(
        COMMAND,
        actor_id=1,
        now=NOW,
        metric=theirs,
        executors=executors(calls),
        selectors=selectors(set()),
    )
    assert (result.error.code, result.error.phase) == ("not_found", "authorize")
    assert calls == []


def test_recording_on_a_metric_that_is_not_yours_writes_nothing():
    calls = []
    result = record_measurement(
        COMMAND,
        actor_id=1,
        now=NOW,
        executors=executors(calls),
        selectors=selectors(set()),
    )
    assert (result.error.code, result.error.phase) == ("not_found", "authorize")
    assert calls == []
