"""Recording a value that falls outside a goal's window says so in the confirmation
("Recorded 5 km; “Run 100 km in December” starts on 1 Dec."), in the HTMX fragment,
in the message after a redirect without JavaScript and in the API's answer. Only the
active goals over that metric whose window (cut by days in the owner's zone) does not
hold the measured time are named."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from goals.choices import GoalStatus
from tests.api.conftest import ApiClient, token_for
from tests.factories import GoalFactory, MetricFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def today() -> dt.date:
    return timezone.now().astimezone(BERLIN).date()


def day_words(date: dt.date) -> str:
    return dateformat.format(date, "j M" if date.year == today().year else "j M Y")


@pytest.fixture
def running(user):
    return MetricFactory(owner=user, name="Running", unit="km")


def total_goal(metric, title, start, deadline, **extra):
    """A total over a window; with no deadline, a weekly quota (a total needs an end)."""
    fields = {"kind": "total", "start_value": None, "target": 100, "aggregation": "sum"}
    if deadline is None:
        fields |= {"kind": "quota", "period": "week", "comparison": "at_least"}
    return GoalFactory(
        metric=metric, title=title, start_date=start, deadline=deadline, **fields, **extra
    )


def record(client, metric, value="5", measured_at=None, htmx=True):
    data = {"value": value}
    if measured_at:
        data["measured_at"] = measured_at
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        reverse("measurements:record", args=[metric.id]), data, headers=headers, follow=not htmx
    )


def test_a_value_before_a_goal_starts_says_when_it_starts(signed_in, running):
    start = today() + dt.timedelta(days=3)
    total_goal(running, "Run 100 km in December", start, start + dt.timedelta(days=30))
    body = record(signed_in, running).content.decode()
    expected = f"Recorded 5 km; “Run 100 km in December” starts on {day_words(start)}."
    assert expected in body
    assert running.measurements.count() == 1


def test_without_javascript_the_message_says_it_too(signed_in, running):
    start = today() + dt.timedelta(days=3)
    total_goal(running, "Run 100 km in December", start, start + dt.timedelta(days=30))
    response = record(signed_in, running, htmx=False)
    assert response.redirect_chain[-1][1] == 302
    expected = f"Recorded 5 km; “Run 100 km in December” starts on {day_words(start)}."
    assert expected in response.content.decode()


def test_a_value_after_a_goal_ended_says_when_it_ended(signed_in, running):
    deadline = today() - dt.timedelta(days=2)
    total_goal(running, "Autumn kilometres", deadline - dt.timedelta(days=60), deadline)
    body = record(signed_in, running).content.decode()
    assert f"Recorded 5 km; “Autumn kilometres” ended on {day_words(deadline)}." in body


def test_a_backdated_value_before_a_goal_that_has_started_says_started(signed_in, running):
    start = today() - dt.timedelta(days=5)
    total_goal(running, "This month", start, start + dt.timedelta(days=30))
    before = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(8))
    body = record(signed_in, running, measured_at=before.isoformat(timespec="minutes"))
    when = dateformat.format(before, "D j M" if before.year == today().year else "D j M Y")
    expected = f"Recorded 5 km for {when} at 08:00; “This month” started on {day_words(start)}."
    assert expected in body.content.decode()


def test_a_value_inside_every_window_says_nothing_more(signed_in, running, user):
    total_goal(running, "Open ended", today() - dt.timedelta(days=1), None)
    total_goal(running, "This quarter", today(), today() + dt.timedelta(days=90))
    later = today() + dt.timedelta(days=10)
    total_goal(MetricFactory(owner=user), "Other metric", later, later)
    total_goal(running, "Archived", later, later, status=GoalStatus.ARCHIVED)
    total_goal(running, "Deleted", later, later, deleted_at=timezone.now())
    body = record(signed_in, running).content.decode()
    assert "Recorded 5 km." in body
    for title in ("Open ended", "This quarter", "Other metric", "Archived", "Deleted"):
        assert title not in body


def test_every_goal_missed_is_named_in_the_order_they_were_made(signed_in, running):
    soon = today() + dt.timedelta(days=2)
    over = today() - dt.timedelta(days=3)
    total_goal(running, "Next", soon, soon + dt.timedelta(days=7))
    total_goal(running, "Current", today(), None)
    total_goal(running, "Past", over - dt.timedelta(days=7), over)
    body = record(signed_in, running).content.decode()
    assert (
        f"Recorded 5 km; “Next” starts on {day_words(soon)}; “Past” ended on {day_words(over)}."
    ) in body


def test_the_window_is_cut_in_the_owners_zone(signed_in, running):
    """The goal starts today in Berlin: 23:30 yesterday (Berlin) is outside, 00:30
    today inside, whatever the server's zone says."""
    total_goal(running, "From today", today(), None)
    yesterday = dt.datetime.combine(today() - dt.timedelta(days=1), dt.time(23, 30))
    outside = record(signed_in, running, measured_at=yesterday.isoformat(timespec="minutes"))
    assert "“From today” started on" in outside.content.decode()
    just_after = dt.datetime.combine(today(), dt.time(0, 30))
    inside = record(signed_in, running, measured_at=just_after.isoformat(timespec="minutes"))
    assert "From today" not in inside.content.decode()


def test_a_year_that_is_not_this_one_is_named(signed_in, running):
    start = today().replace(year=today().year + 1, day=1)
    total_goal(running, "Next year", start, None)
    body = record(signed_in, running).content.decode()
    assert f"“Next year” starts on {dateformat.format(start, 'j M Y')}." in body


def test_the_api_answer_lists_the_goals_the_value_falls_outside_of(user, running):
    start = today() + dt.timedelta(days=3)
    total_goal(running, "Run 100 km in December", start, None)
    total_goal(running, "Now", today(), None)
    api = ApiClient(token_for(user))
    response = api.call("post", "measurements", {"metric_id": running.id, "value": "5"})
    assert response.status_code == 201, response.content
    assert response.json()["outside_goals"] == [
        f"“Run 100 km in December” starts on {day_words(start)}"
    ]
    walking = MetricFactory(owner=user, name="Walking", unit="km")
    total_goal(walking, "Walk", today(), None)
    inside = api.call("post", "measurements", {"metric_id": walking.id, "value": "5"})
    assert inside.status_code == 201, inside.content
    assert inside.json()["outside_goals"] == []
