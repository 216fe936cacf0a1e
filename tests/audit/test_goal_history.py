"""The goal page's History: the goal's own changes and corrections to the data it is
built on, in words."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from goals.contracts import RenameGoal
from goals.orchestrators import rename_goal
from goals.selectors import goal_history
from measurements.contracts import EditMeasurement, MeasurementRef, RecordMeasurement
from measurements.orchestrators import delete_measurement, edit_measurement, record_measurement
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

MEASURED = timezone.now() - dt.timedelta(hours=3)


@pytest.fixture
def goal(user):
    return GoalFactory(metric=MetricFactory(owner=user, unit="kg"), title="Weigh 75 kg")


def history(client, goal) -> str:
    page = client.get(reverse("goals:detail", args=[goal.id])).content.decode()
    start = page.index('<section id="goal-history"')
    return page[start : page.index("</section>", start)]


def rename(goal, title: str) -> None:
    result = rename_goal(
        RenameGoal(goal_id=goal.id, title=title), actor_id=goal.owner_id, now=timezone.now()
    )
    assert result.ok


def edit(measurement, value: str) -> None:
    command = EditMeasurement(
        measurement_id=measurement.id, value=Decimal(value), measured_at=measurement.measured_at
    )
    owner_id = measurement.metric.owner_id
    assert edit_measurement(command, actor_id=owner_id, now=timezone.now()).ok


def delete(measurement) -> None:
    command = MeasurementRef(measurement_id=measurement.id)
    owner_id = measurement.metric.owner_id
    assert delete_measurement(command, actor_id=owner_id, now=timezone.now()).ok


@pytest.mark.django_db
def test_a_new_goal_has_no_history(signed_in, goal):
    assert "No changes yet." in history(signed_in, goal)


@pytest.mark.django_db
def test_a_rename_shows_the_old_and_the_new_title(signed_in, goal):
    rename(goal, "Weigh 74 kg")
    shown = history(signed_in, goal)
    assert "Changed the goal" in shown
    assert "Title: <del>Weigh 75 kg</del> → <ins>Weigh 74 kg</ins>" in shown
    assert "No changes yet." not in shown


@pytest.mark.django_db
def test_editing_a_measurement_of_the_goals_metric_shows_in_its_history(signed_in, goal):
    measurement = MeasurementFactory(metric=goal.metric, value=Decimal("80"), measured_at=MEASURED)
    edit(measurement, "79.5")
    shown = history(signed_in, goal)
    assert "Changed a measurement: 79.5 kg" in shown
    assert "Value: <del>80</del> → <ins>79.5</ins>" in shown


@pytest.mark.django_db
def test_deleting_a_measurement_of_the_goals_metric_shows_in_its_history(signed_in, goal):
    measurement = MeasurementFactory(metric=goal.metric, value=Decimal("80"), measured_at=MEASURED)
    delete(measurement)
    assert "Deleted a measurement: 80 kg" in history(signed_in, goal)


@pytest.mark.django_db
def test_recording_a_new_measurement_adds_no_history_item(signed_in, goal, user):
    command = RecordMeasurement(metric_id=goal.metric_id, value=Decimal("80"), measured_at=MEASURED)
    assert record_measurement(command, actor_id=user.id, now=timezone.now()).ok
    shown = history(signed_in, goal)
    assert "No changes yet." in shown
    assert "a measurement" not in shown


@pytest.mark.django_db
def test_another_goals_changes_stay_out_of_the_history(signed_in, goal, user):
    elsewhere = GoalFactory(metric=MetricFactory(owner=user), title="Run 100 km")
    same_metric = GoalFactory(metric=goal.metric, title="Stay under 80 kg")
    rename(elsewhere, "Run 120 km")
    rename(same_metric, "Stay under 78 kg")
    delete(MeasurementFactory(metric=elsewhere.metric, measured_at=MEASURED))
    shown = history(signed_in, goal)
    assert "No changes yet." in shown
    assert "Run 1" not in shown and "Stay under" not in shown


@pytest.mark.django_db
def test_the_history_fragment_answers_the_partial_only(signed_in, goal):
    rename(goal, "Weigh 74 kg")
    response = signed_in.get(reverse("goals:history", args=[goal.id]))
    body = response.content.decode().strip()
    assert response.status_code == 200
    assert body.startswith('<section id="goal-history"')
    assert body.endswith("</section>")
    assert "Changed the goal" in body
    assert "<html" not in body and 'id="goal-progress"' not in body


@pytest.mark.django_db
def test_another_users_goal_history_is_not_found(client, goal, other_user):
    client.force_login(other_user)
    response = client.get(reverse("goals:history", args=[goal.id]))
    assert response.status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
@pytest.mark.django_db
def test_the_history_of_a_goal_on_a_metric_of_many_entries_reads_only_its_corrections(goal):
    """Every measurement recorded has its `created` entry; the history reads the
    corrections through the partial index that leaves those out."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEntry._meta.db_table} (at, owner_id, actor_id, action,"
            " subject_type, subject_id, metric_id, summary, changes, channel, correlation_id)"
            " SELECT now() - make_interval(secs => i), %s, %s, 'created', 'measurement', i,"
            " %s, '1 kg', '{}', 'api', '' FROM generate_series(1, 50000) AS i",
            [goal.owner_id, goal.owner_id, goal.metric_id],
        )
        cursor.execute(f"ANALYZE {AuditEntry._meta.db_table}")
    query = goal_history(goal)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        found = cursor.fetchone()[0]
    plan = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]

    scans = [node for node in _nodes(plan) if "Index Name" in node or "Scan" in node["Node Type"]]
    assert "audit_metric_corrections" in {node.get("Index Name") for node in scans}, plan
    assert sum(node.get("Actual Rows", 0) for node in scans) < 10, plan


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]
