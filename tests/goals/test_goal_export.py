"""A goal's export: the measurements of its window, cut in the owner's zone, and in
JSON the goal and its progress as the mapper computes it."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from config.numbers import plain
from goals.models import Goal
from goals.progress import progress_for_goal
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

NEW_YORK = ZoneInfo("America/New_York")
IN_WINDOW = [
    ("2026-03-01T05:00:00+00:00", "81", "2026-03-01T00:00:00-05:00"),
    ("2026-03-15T12:00:00+00:00", "79", "2026-03-15T08:00:00-04:00"),
    ("2026-04-01T03:30:00+00:00", "77.5", "2026-03-31T23:30:00-04:00"),
]
OUTSIDE = ["2026-03-01T03:00:00+00:00", "2026-04-01T04:00:00+00:00"]


def content(response) -> str:
    return b"".join(response.streaming_content).decode()


def export_url(goal, fmt: str) -> str:
    return reverse("goals:export", args=[goal.id, fmt])


@pytest.fixture
def goal(user):
    user.profile.time_zone = "America/New_York"
    user.profile.save()
    metric = MetricFactory(owner=user, name="Weight", unit="kg")
    goal = GoalFactory(
        metric=metric,
        title="Weigh 75 kg by April",
        start_value=Decimal("82"),
        target=Decimal("75"),
        start_date=dt.date(2026, 3, 1),
        deadline=dt.date(2026, 3, 31),
    )
    for moment, value, _ in IN_WINDOW:
        MeasurementFactory(
            metric=metric, measured_at=dt.datetime.fromisoformat(moment), value=Decimal(value)
        )
    for moment in OUTSIDE:
        MeasurementFactory(metric=metric, measured_at=dt.datetime.fromisoformat(moment))
    MeasurementFactory(metric__owner=user, measured_at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    return goal


@pytest.mark.django_db
def test_csv_holds_only_the_measurements_of_the_goals_window(signed_in, goal):
    response = signed_in.get(export_url(goal, "csv"))
    rows = list(csv.DictReader(io.StringIO(content(response), newline="")))
    assert [(row["measured_at"], row["value"], row["unit"]) for row in rows] == [
        (local, value, "kg") for _, value, local in IN_WINDOW
    ]
    assert response["Content-Disposition"].startswith('attachment; filename="weigh-75-kg-by-april-')


@pytest.mark.django_db
def test_json_holds_the_goal_its_progress_and_its_measurements(signed_in, user, goal):
    data = json.loads(content(signed_in.get(export_url(goal, "json"))))
    assert list(data) == ["goal", "progress", "measurements"]
    assert {key: data["goal"][key] for key in ("id", "title", "kind", "target")} == {
        "id": goal.id,
        "title": "Weigh 75 kg by April",
        "kind": "reach",
        "target": "75",
    }
    assert (data["goal"]["start_date"], data["goal"]["deadline"]) == ("2026-03-01", "2026-03-31")
    assert data["goal"]["metric"] == {"id": goal.metric_id, "name": "Weight", "unit": "kg"}
    stored = Goal.objects.select_related("metric").get(id=goal.id)
    expected = progress_for_goal(
        stored, profile_zone=NEW_YORK, week_start=user.profile.week_start, now=timezone.now()
    ).model_dump()
    stable = ("goal_id", "kind", "status", "current", "start", "target", "percent", "has_data")
    assert {key: data["progress"][key] for key in stable} == {
        key: plain(expected[key]) if isinstance(expected[key], Decimal) else expected[key]
        for key in stable
    }
    assert (data["progress"]["target"], data["progress"]["current"]) == ("75", "77.5")
    assert Decimal(data["progress"]["current"]) == Decimal("77.5")
    assert data["progress"]["status"] == "failed"
    assert [row["measured_at"] for row in data["measurements"]] == [
        local for _, _, local in IN_WINDOW
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_another_users_goal_is_not_found(signed_in, other_user, fmt):
    theirs = GoalFactory(metric__owner=other_user)
    assert signed_in.get(export_url(theirs, fmt)).status_code == 404


@pytest.mark.django_db
def test_a_deleted_goal_or_an_unknown_format_is_not_found(signed_in, goal):
    assert signed_in.get(export_url(goal, "xml")).status_code == 404
    goal.deleted_at = timezone.now()
    goal.save()
    assert signed_in.get(export_url(goal, "csv")).status_code == 404
