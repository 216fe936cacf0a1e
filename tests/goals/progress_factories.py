"""Builders for the progress tests: in-memory goals and daily series for the kinds'
tables, and plain ORM rows for the tests that read the database."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from goals import kinds
from goals.contracts import GoalFields
from goals.kinds.days import DailySeries
from goals.kinds.payload import Progress, ProgressContext
from goals.models import Goal
from measurements.models import Measurement, Metric
from measurements.rollup import rollup_refresh

BERLIN = ZoneInfo("Europe/Berlin")
MOMENT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def terms(kind: str, **fields) -> GoalFields:
    """A valid goal of `kind`, as the form would hand it over."""
    fields = {"title": "A goal", "kind": kind, "start_date": day("2026-03-01"), **fields}
    for name in ("target", "target_low", "target_high", "start_value"):
        if isinstance(fields.get(name), str | int):
            fields[name] = Decimal(fields[name])
    for name in ("start_date", "deadline"):
        if isinstance(fields.get(name), str):
            fields[name] = day(fields[name])
    goal = GoalFields(**fields)
    assert kinds.get(kind).validate(goal) == [], kinds.get(kind).validate(goal)
    return goal


def series(values: dict[str, str | int]) -> DailySeries:
    return DailySeries.of({day(key): Decimal(value) for key, value in values.items()})


def progress_of(
    goal: GoalFields,
    values: dict[str, str | int],
    *,
    today: str,
    week_start: int = 0,
    unit: str = "kg",
) -> Progress:
    """The kind's progress for `goal` on `today`, from daily values given by ISO day."""
    context = ProgressContext(today=day(today), week_start=week_start, unit=unit)
    return kinds.get(goal.kind).progress(goal, series(values), context)


def assert_progress(progress: Progress, expected: dict) -> None:
    """Compares the fields named in `expected`; numbers may be given as strings."""
    found = {name: getattr(progress, name) for name in expected}
    wanted = {
        name: Decimal(value) if isinstance(value, str) and _is_number(value) else value
        for name, value in expected.items()
    }
    wanted = {
        name: day(value) if isinstance(value, str) and _is_day(value) else value
        for name, value in wanted.items()
    }
    assert found == wanted, f"\n found: {found}\nwanted: {wanted}"


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _is_day(text: str) -> bool:
    try:
        day(text)
    except ValueError:
        return False
    return True


def make_owner(username: str = "owner"):
    return get_user_model().objects.create_user(username=username, password="x")


def make_metric(owner, name: str = "Weight", unit: str = "kg") -> Metric:
    return Metric.objects.create(owner=owner, name=name, unit=unit, created=MOMENT)


def make_goal(metric: Metric, **fields) -> Goal:
    fields = {
        "title": "A goal",
        "kind": "total",
        "target": Decimal(100),
        "start_date": day("2026-03-01"),
        "deadline": day("2026-03-31"),
        "aggregation": "sum",
        **fields,
    }
    return Goal.objects.create(
        owner=metric.owner, metric=metric, created=MOMENT, updated=MOMENT, **fields
    )


def record(metric: Metric, value: str | int, at: dt.datetime) -> Measurement:
    """A measurement saved as the executors save it: with its rollup bucket refreshed."""
    with transaction.atomic():
        measurement = Measurement.objects.create(
            metric=metric, value=Decimal(value), measured_at=at, created=MOMENT, updated=MOMENT
        )
        rollup_refresh([(metric.id, at)])
    return measurement


def local(text: str, zone: ZoneInfo = BERLIN) -> dt.datetime:
    """An aware moment from a local wall-clock time, "2026-03-29 00:30"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)
