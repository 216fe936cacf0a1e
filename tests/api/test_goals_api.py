"""Goals through the JSON API: the same commands and orchestrators as the pages, the
kind's validation as field errors, another user's goals not found, and every goal
with the progress the dashboard shows, read in a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import jsonschema_rs
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.selectors import preferences_for
from api.urls import api as ninja_api
from audit.models import AuditEntry
from goals.dashboard import Dashboard
from goals.models import Goal
from measurements.export import json_ready
from measurements.models import Metric
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

pytestmark = pytest.mark.django_db

REACH = {
    "title": "Weigh 75 kg",
    "kind": "reach",
    "start_value": "82",
    "target": "75",
    "start_date": "2026-01-01",
    "deadline": "2026-12-31",
}


def today_of(user) -> dt.date:
    return timezone.now().astimezone(preferences_for(user).zone).date()


def mapper_progress(user, goal: Goal, now: dt.datetime) -> dict:
    """The progress the dashboard renders for `goal`, JSON-ready like an export."""
    goal = Goal.objects.select_related("metric").get(id=goal.id)
    (card,) = Dashboard(user, now=now).cards_for([goal])
    return json_ready(card.progress.model_dump())


def send(client, method: str, path: str, body=None):
    """`client.call`, with a bodiless POST sent as JSON (the API refuses a form)."""
    if body is None and method == "post":
        return client.call(method, path, content_type="application/json")
    return client.call(method, path, body)


def field_names(response) -> set[str]:
    return {field["field"] for field in response.json()["error"]["fields"]}


def days_ago(days: int, *, hour: int = 12) -> dt.datetime:
    return (timezone.now() - dt.timedelta(days=days)).replace(hour=hour)


@pytest.fixture
def metric(owner):
    return MetricFactory(owner=owner, name="Weight", unit="kg")


@pytest.fixture
def goal(metric):
    return GoalFactory(metric=metric, start_date=today_of(metric.owner) - dt.timedelta(days=20))


# The operations


def test_a_goal_is_created_with_a_new_metric_and_read_back(api, owner):
    created = api.call("post", "goals", {**REACH, "new_metric": {"name": "Weight", "unit": "kg"}})
    assert created.status_code == 201, created.content
    body = created.json()
    metric = Metric.objects.get(owner=owner)
    assert body["metric"] == {"id": metric.id, "name": "Weight", "unit": "kg"}
    assert (body["title"], body["kind"], body["status"]) == ("Weigh 75 kg", "reach", "active")
    assert (body["start_value"], body["target"], body["target_low"]) == ("82", "75", None)
    assert (body["deadline"], body["period"], body["aggregation"]) == ("2026-12-31", None, "last")
    assert body["progress"]["goal_id"] == body["id"] and body["progress"]["unit"] == "kg"

    assert api.call("get", f"goals/{body['id']}").json() == body
    assert [goal["id"] for goal in api.call("get", "goals").json()] == [body["id"]]
    assert AuditEntry.objects.get(subject_type="goal").channel == "api"


def test_left_out_fields_take_the_forms_defaults(api, owner, metric):
    created = api.call(
        "post",
        "goals",
        {
            "title": "Three workouts a week",
            "kind": "quota",
            "target": 3,
            "period": "week",
            "comparison": "at_least",
            "metric_id": metric.id,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["start_date"] == today_of(owner).isoformat()
    assert body["aggregation"] == "sum"  # the quota kind's default, as in the form
    assert body["progress"]["period"] == "week"


def test_numbers_keep_what_the_database_keeps(api, metric):
    body = {**REACH, "target": "75.100000000", "start_value": 82.5, "metric_id": metric.id}
    created = api.call("post", "goals", body)
    assert created.status_code == 201, created.content
    assert (created.json()["target"], created.json()["start_value"]) == ("75.1", "82.5")


def test_fields_the_kind_does_not_use_are_cleared(api, metric):
    created = api.call(
        "post", "goals", {**REACH, "kind": "total", "target": "100", "metric_id": metric.id}
    )
    assert created.status_code == 201, created.content
    assert (created.json()["start_value"], created.json()["target"]) == (None, "100")


def test_put_replaces_the_fields(api, goal, metric):
    other = MetricFactory(owner=metric.owner, name="Running", unit="km")
    replaced = api.call(
        "put",
        f"goals/{goal.id}",
        {
            "title": "Run 100 km",
            "kind": "total",
            "target": "100",
            "start_date": "2026-12-01",
            "deadline": "2026-12-31",
            "metric_id": other.id,
        },
    )
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert (body["title"], body["kind"], body["target"], body["start_value"]) == (
        "Run 100 km",
        "total",
        "100",
        None,
    )
    assert body["metric"]["id"] == other.id and body["progress"]["unit"] == "km"
    goal.refresh_from_db()
    assert (goal.kind, goal.metric_id, goal.target) == ("total", other.id, Decimal(100))


def test_patch_changes_only_what_is_sent(api, goal):
    patched = api.call("patch", f"goals/{goal.id}", {"target": "74.5", "title": "Lighter"})
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert (body["title"], body["target"], body["start_value"]) == ("Lighter", "74.5", "82")
    assert body["metric"]["id"] == goal.metric_id
    goal.refresh_from_db()
    assert (goal.title, goal.target, goal.deadline) == (
        "Lighter",
        Decimal("74.5"),
        goal.start_date + dt.timedelta(days=90),
    )


def test_archive_and_restore(api, goal):
    archived = send(api, "post", f"goals/{goal.id}/archive")
    assert archived.status_code == 200, archived.content
    assert archived.json()["status"] == "archived"
    assert api.call("get", "goals").json() == []
    assert [g["id"] for g in api.call("get", "goals", data={"status": "archived"}).json()] == [
        goal.id
    ]
    assert api.call("get", f"goals/{goal.id}").json()["status"] == "archived"

    restored = send(api, "post", f"goals/{goal.id}/restore")
    assert restored.status_code == 200 and restored.json()["status"] == "active"
    assert [g["id"] for g in api.call("get", "goals").json()] == [goal.id]


def test_the_list_filters_by_status_and_never_shows_deleted_goals(api, metric):
    active, archived, deleted = GoalFactory.create_batch(3, metric=metric)
    Goal.objects.filter(id=archived.id).update(status="archived")
    Goal.objects.filter(id=deleted.id).update(deleted_at=timezone.now())

    def listed(status=None):
        query = {"status": status} if status else {}
        return [goal["id"] for goal in api.call("get", "goals", data=query).json()]

    assert listed() == listed("active") == [active.id]
    assert listed("archived") == [archived.id]
    assert listed("all") == [active.id, archived.id]
    assert api.call("get", "goals", data={"status": "deleted"}).status_code == 422


def test_delete_is_soft_and_can_be_undone(api, goal):
    assert api.call("delete", f"goals/{goal.id}").status_code == 204
    assert api.call("get", f"goals/{goal.id}").status_code == 404
    assert api.call("get", "goals", data={"status": "all"}).json() == []
    assert Goal.objects.filter(id=goal.id, deleted_at__isnull=False).exists()

    undone = send(api, "post", f"goals/{goal.id}/undelete")
    assert undone.status_code == 200, undone.content
    assert api.call("get", f"goals/{goal.id}").status_code == 200


# Ownership


def test_another_users_goals_are_not_found_at_every_url(api, stranger_api, goal):
    before = Goal.objects.values().get(id=goal.id)
    put = {**REACH, "metric_id": goal.metric_id}
    for method, path, body in [
        ("get", f"goals/{goal.id}", None),
        ("put", f"goals/{goal.id}", put),
        ("patch", f"goals/{goal.id}", {"title": "Mine now"}),
        ("post", f"goals/{goal.id}/archive", None),
        ("post", f"goals/{goal.id}/restore", None),
        ("delete", f"goals/{goal.id}", None),
        ("post", f"goals/{goal.id}/undelete", None),
    ]:
        response = send(stranger_api, method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["error"]["code"] == "not_found"
    assert stranger_api.call("get", "goals", data={"status": "all"}).json() == []
    assert Goal.objects.values().get(id=goal.id) == before

    api.call("delete", f"goals/{goal.id}")
    assert send(stranger_api, "post", f"goals/{goal.id}/undelete").status_code == 404
    assert Goal.objects.get(id=goal.id).deleted_at is not None


def test_a_goal_cannot_be_set_on_another_users_metric(stranger_api, metric):
    response = stranger_api.call("post", "goals", {**REACH, "metric_id": metric.id})
    assert response.status_code == 422
    assert field_names(response) == {"metric"}
    assert not Goal.objects.exists()


# Validation


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"target": None}, {"target"}),
        ({"start_value": None, "deadline": None}, {"start_value", "deadline"}),
        ({"target": "82"}, {"target"}),
        ({"deadline": "2025-12-31"}, {"deadline"}),
        (
            {"kind": "range", "target_low": "9", "target_high": "7", "period": "day"},
            {"target_high"},
        ),
        ({"kind": "quota", "target": "3"}, {"period", "comparison"}),
        ({"kind": "horoscope"}, {"kind"}),
        ({"title": "   "}, {"title"}),
        ({"target": "1e13"}, {"target"}),
        ({"period": "fortnight"}, {"period"}),
        ({"colour": "blue"}, {"colour"}),
        # What the database cannot store, or the mapper cannot count days to
        ({"deadline": "2037-01-01"}, {"deadline"}),
        ({"start_date": "0001-01-01"}, {"start_date"}),
        ({"deadline": "9999-12-31"}, {"deadline"}),
        ({"metric_id": None, "new_metric": {"name": " ", "unit": "kg"}}, {"new_metric.name"}),
    ],
)
def test_invalid_goals_answer_422_with_the_fields_named(api, metric, changes, fields):
    response = api.call("post", "goals", {**REACH, "metric_id": metric.id, **changes})
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert field_names(response) == fields
    assert all(field["message"] for field in error["fields"])
    assert not Goal.objects.exists()


def test_a_target_finer_than_the_database_keeps_is_rounded_to_six_places(api, metric):
    response = api.call("post", "goals", {**REACH, "metric_id": metric.id, "target": "75.1234567"})
    assert response.status_code == 201, response.content
    assert response.json()["target"] == "75.123457"


def test_a_goal_needs_exactly_one_metric(api, metric):
    neither = api.call("post", "goals", REACH)
    assert neither.status_code == 422 and field_names(neither) == {"metric"}
    both = {**REACH, "metric_id": metric.id, "new_metric": {"name": "Weight", "unit": "kg"}}
    assert api.call("post", "goals", both).status_code == 422
    assert not Goal.objects.exists()


def test_an_update_that_breaks_the_kind_is_refused_and_changes_nothing(api, goal):
    before = Goal.objects.values().get(id=goal.id)
    patched = api.call("patch", f"goals/{goal.id}", {"kind": "range", "period": "day"})
    assert patched.status_code == 422
    assert field_names(patched) == {"target_low", "target_high"}
    cleared = api.call("patch", f"goals/{goal.id}", {"title": None})
    assert cleared.status_code == 422 and field_names(cleared) == {"title"}
    too_far = api.call("patch", f"goals/{goal.id}", {"deadline": "9999-12-31"})
    assert too_far.status_code == 422 and field_names(too_far) == {"deadline"}
    put = api.call(
        "put", f"goals/{goal.id}", {**REACH, "target": None, "metric_id": goal.metric_id}
    )
    assert put.status_code == 422 and field_names(put) == {"target"}
    assert Goal.objects.values().get(id=goal.id) == before


# Progress: the mapper's payload, as the dashboard shows it


def _reach(metric):
    goal = GoalFactory(
        metric=metric,
        start_value=Decimal("82"),
        target=Decimal("75"),
        start_date=today_of(metric.owner) - dt.timedelta(days=20),
        deadline=today_of(metric.owner) + dt.timedelta(days=40),
    )
    MeasurementFactory(metric=metric, value=Decimal("81.000000"), measured_at=days_ago(12))
    MeasurementFactory(metric=metric, value=Decimal("79.4"), measured_at=days_ago(2))
    return goal


def _total(metric):
    goal = GoalFactory(
        metric=metric,
        kind="total",
        start_value=None,
        target=Decimal("100"),
        aggregation="sum",
        start_date=today_of(metric.owner) - dt.timedelta(days=10),
        deadline=today_of(metric.owner) + dt.timedelta(days=20),
    )
    for days, value in ((8, "5"), (8, "2.5"), (3, "10.25")):
        MeasurementFactory(metric=metric, value=Decimal(value), measured_at=days_ago(days))
    return goal


def _quota(metric):
    goal = GoalFactory(
        metric=metric,
        kind="quota",
        start_value=None,
        target=Decimal("3"),
        period="week",
        comparison="at_least",
        aggregation="count",
        deadline=None,
        start_date=today_of(metric.owner) - dt.timedelta(days=30),
    )
    for days in (1, 9, 10, 11, 16):
        MeasurementFactory(metric=metric, value=Decimal(1), measured_at=days_ago(days))
    return goal


def _range(metric):
    goal = GoalFactory(
        metric=metric,
        kind="range",
        start_value=None,
        target=None,
        target_low=Decimal("7"),
        target_high=Decimal("9"),
        period="day",
        aggregation="sum",
        period_aggregation="mean",
        deadline=None,
        start_date=today_of(metric.owner) - dt.timedelta(days=7),
    )
    for days, value in ((1, "7.5"), (2, "6"), (3, "8.25")):
        MeasurementFactory(metric=metric, value=Decimal(value), measured_at=days_ago(days))
    return goal


@pytest.mark.parametrize("make", [_reach, _total, _quota, _range], ids=lambda f: f.__name__[1:])
def test_progress_is_the_mappers_payload(api, owner, metric, make):
    goal = make(metric)
    now = timezone.now()
    response = api.call("get", f"goals/{goal.id}")
    expected = mapper_progress(owner, goal, now)
    progress = response.json()["progress"]
    assert progress == expected
    assert progress["status"] not in ("", None) and progress["headline"]
    assert isinstance(progress["percent"], int)
    listed = {g["id"]: g["progress"] for g in api.call("get", "goals").json()}
    assert listed[goal.id] == expected


def test_progress_numbers_are_plain_strings(api, metric):
    goal = _reach(metric)
    progress = api.call("get", f"goals/{goal.id}").json()["progress"]
    assert (progress["current"], progress["start"], progress["target"]) == ("79.4", "82", "75")
    assert progress["status"] in ("on_track", "behind")
    assert all(isinstance(p["pace"], str) for p in progress["series"])


def test_progress_reads_as_the_goal_page_renders_it(api, owner, metric):
    goal = _reach(metric)
    progress = api.call("get", f"goals/{goal.id}").json()["progress"]
    page = Client()
    page.force_login(owner)
    html = page.get(reverse("goals:progress", args=[goal.id])).content.decode()
    assert f'<p class="headline">{escape(progress["headline"])}</p>' in html
    assert f'<p class="summary-text">{escape(progress["summary_text"])}</p>' in html
    assert f'<span class="pill status-{progress["status"]}">{progress["status_label"]}' in html
    assert (
        f'<progress class="bar tone-{progress["status"]}" max="100" value="{progress["percent"]}"'
        in html
    )


QUOTA = {
    "title": "Three workouts a week",
    "kind": "quota",
    "target": 3,
    "period": "week",
    "comparison": "at_least",
}


def test_a_quota_goal_asks_for_a_share_of_its_periods(api, metric):
    created = api.call("post", "goals", {**QUOTA, "required_share": 71, "metric_id": metric.id})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["required_share"], body["progress"]["required_share"]) == (71, 71)
    patched = api.call("patch", f"goals/{body['id']}", {"required_share": 100})
    assert patched.status_code == 200, patched.content
    assert patched.json()["required_share"] == 100
    for wrong in (0, 101, "most"):
        refused = api.call("patch", f"goals/{body['id']}", {"required_share": wrong})
        assert refused.status_code == 422 and field_names(refused) == {"required_share"}
    assert Goal.objects.get(id=body["id"]).required_share == 100


def test_a_kind_without_periods_keeps_every_period(api, metric):
    created = api.call("post", "goals", {**REACH, "required_share": 50, "metric_id": metric.id})
    assert created.status_code == 201, created.content
    assert created.json()["required_share"] == 100
    assert created.json()["progress"]["required_share"] is None


def test_progress_says_achieved_and_its_exact_percent(api, owner, metric):
    goal = _total(metric)
    progress = api.call("get", f"goals/{goal.id}").json()["progress"]
    assert progress["achieved"] is (progress["status"] == "achieved")
    assert isinstance(progress["percent_exact"], str)
    assert int(Decimal(progress["percent_exact"])) == progress["percent"]
    MeasurementFactory(metric=metric, value=Decimal(500), measured_at=days_ago(0, hour=0))
    done = api.call("get", f"goals/{goal.id}").json()["progress"]
    assert (done["status"], done["achieved"], done["percent"]) == ("achieved", True, 100)
    assert Decimal(done["percent_exact"]) > 100


@pytest.mark.parametrize(
    "fields",
    [QUOTA, {"kind": "range", "target_low": 7, "target_high": 9, "period": "week"}],
    ids=["quota", "range"],
)
def test_an_empty_period_is_null_whatever_the_kind(api, metric, fields):
    body = {"title": "Empty", **fields, "metric_id": metric.id}
    progress = api.call("post", "goals", body).json()["progress"]
    assert (progress["current"], progress["percent_exact"]) == (None, None)
    assert progress["series"][-1]["value"] is None
    assert (progress["status"], progress["status_label"]) == ("no_data", "No data yet")


def test_the_list_costs_the_same_queries_for_one_goal_as_for_ten(
    api, owner, django_assert_max_num_queries
):
    def make_goal():
        goal = _reach(MetricFactory(owner=owner))
        Goal.objects.filter(id=goal.id).update(title=f"Goal {goal.id}")

    make_goal()
    api.call("get", "goals")  # the first request of a token also marks it used
    with CaptureQueriesContext(connection) as one:
        assert len(api.call("get", "goals").json()) == 1
    for _ in range(9):
        make_goal()
    with django_assert_max_num_queries(len(one)):
        assert len(api.call("get", "goals").json()) == 10
    Goal.objects.filter(id__in=Goal.objects.order_by("id").values("id")[:5]).update(
        status="archived"
    )
    with django_assert_max_num_queries(len(one) + 1):  # active and archived: one each
        assert len(api.call("get", "goals", data={"status": "all"}).json()) == 10


# The schema: what the API answers is what it declares


def _validator(path: str, method: str, status: int):
    schema = ninja_api.get_openapi_schema()
    content = schema["paths"][path][method]["responses"][status]["content"]
    declared = content["application/json"]["schema"]
    return jsonschema_rs.validator_for({**declared, "components": schema["components"]})


def test_every_answer_matches_the_declared_schema(api, stranger_api, metric):
    goals = [make(metric) for make in (_reach, _total, _quota, _range)]
    item = "/api/v1/goals/{goal_id}"
    listed = api.call("get", "goals", data={"status": "all"})
    _validator("/api/v1/goals", "get", 200).validate(listed.json())
    for goal in goals:
        _validator(item, "get", 200).validate(api.call("get", f"goals/{goal.id}").json())
    created = api.call("post", "goals", {**REACH, "metric_id": metric.id})
    _validator("/api/v1/goals", "post", 201).validate(created.json())
    archived = send(api, "post", f"goals/{goals[0].id}/archive")
    _validator(item + "/archive", "post", 200).validate(archived.json())
    invalid = api.call("post", "goals", {**REACH, "target": None, "metric_id": metric.id})
    _validator("/api/v1/goals", "post", 422).validate(invalid.json())
    missing = stranger_api.call("get", f"goals/{goals[1].id}")
    _validator(item, "get", 404).validate(missing.json())
    anonymous = Client().get("/api/v1/goals")
    assert anonymous.status_code == 401
    _validator("/api/v1/goals", "get", 401).validate(anonymous.json())
