"""The goal pages end to end through the test client, with and without HTMX."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal
from measurements.models import Metric
from tests.factories import GoalFactory, MetricFactory


def events(response) -> set[str]:
    return set(json.loads(response.headers.get("HX-Trigger", "{}")))


def reach_form(**overrides):
    data = {
        "title": "Weigh 75 kg",
        "kind": "reach",
        "metric": "",
        "new_metric_name": "Weight",
        "new_metric_unit": "kg",
        "start_date": "2026-11-01",
        "start_value": "82",
        "target": "75",
        "deadline": "2027-03-01",
        "aggregation": "min",
    }
    return {**data, **overrides}


@pytest.mark.django_db
def test_create_a_goal_with_a_new_metric_without_javascript(signed_in, user):
    response = signed_in.post(reverse("goals:create"), reach_form())
    goal = Goal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("goals:detail", args=[goal.id])
    assert (goal.owner, goal.metric.name, goal.metric.unit, goal.aggregation) == (
        user,
        "Weight",
        "kg",
        "min",
    )
    page = signed_in.get(response["Location"])
    assert "Weigh 75 kg" in page.content.decode()
    assert "is set" in page.content.decode()


@pytest.mark.django_db
def test_a_bad_goal_form_comes_back_with_plain_errors_and_keeps_what_was_typed(signed_in):
    response = signed_in.post(
        reverse("goals:create"), reach_form(target="82", deadline="2026-10-01")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The target must differ from the start value." in body
    assert "The deadline must come after the start date." in body
    assert 'value="Weigh 75 kg"' in body
    assert not Goal.objects.exists() and not Metric.objects.exists()


@pytest.mark.django_db
def test_a_missing_metric_is_explained(signed_in):
    response = signed_in.post(reverse("goals:create"), reach_form(new_metric_name=""))
    assert "Name the new metric and its unit, or choose one." in response.content.decode()


@pytest.mark.django_db
def test_changing_the_kind_swaps_the_fields_with_htmx(signed_in):
    response = signed_in.get(
        reverse("goals:create"),
        {"kind": "range", "title": "Sleep well"},
        headers={"HX-Request": "true", "HX-Target": "kind-fields"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<fieldset id="kind-fields"')
    assert 'name="target_low"' in body and 'name="target_high"' in body
    assert 'name="start_value"' not in body


@pytest.mark.django_db
def test_without_javascript_the_kind_is_chosen_by_reloading_the_form(signed_in):
    body = signed_in.get(reverse("goals:create"), {"kind": "quota", "title": "Gym"}).content
    body = body.decode()
    assert 'name="comparison"' in body and 'name="target_low"' not in body
    assert 'value="Gym"' in body


@pytest.mark.django_db
def test_edit_a_goal(signed_in, user):
    goal = GoalFactory(metric__owner=user)
    url = reverse("goals:edit", args=[goal.id])
    assert 'value="82' in signed_in.get(url).content.decode()
    response = signed_in.post(
        url, reach_form(title="Weigh 74 kg", target="74", metric=str(goal.metric_id))
    )
    goal.refresh_from_db()
    assert response.status_code == 302
    assert (goal.title, str(goal.target.normalize())) == ("Weigh 74 kg", "74")


@pytest.mark.django_db
def test_archive_with_htmx_answers_204_and_the_exact_events(signed_in, user):
    goal = GoalFactory(metric__owner=user)
    response = signed_in.post(
        reverse("goals:archive", args=[goal.id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert events(response) == {
        f"goal-{goal.id}-changed",
        "goals-list-changed",
        "goals-summary-changed",
    }
    goal.refresh_from_db()
    assert goal.status == "archived"


@pytest.mark.django_db
def test_archive_and_restore_without_javascript(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    response = signed_in.post(reverse("goals:archive", args=[goal.id]), follow=True)
    body = response.content.decode()
    assert "“Read 20 books” is archived." in body
    assert 'id="archived-goals"' in body
    signed_in.post(reverse("goals:restore", args=[goal.id]))
    goal.refresh_from_db()
    assert goal.status == "active"


@pytest.mark.django_db
def test_each_fragment_listens_for_its_own_events(signed_in, user):
    goal = GoalFactory(metric__owner=user)
    body = signed_in.get(reverse("goals:dashboard")).content.decode()
    assert f'hx-trigger="goal-{goal.id}-changed from:body"' in body
    assert 'hx-trigger="goals-summary-changed from:body"' in body
    assert body.count('hx-trigger="goals-list-changed from:body"') == 3
    card = signed_in.get(reverse("goals:card", args=[goal.id]))
    assert card.content.decode().lstrip().startswith('<div class="goal-card-body"')


@pytest.mark.django_db
def test_recording_revalidates_exactly_the_goals_over_that_metric(signed_in, user):
    weight = MetricFactory(owner=user, name="Weight")
    running = MetricFactory(owner=user, name="Running", unit="km")
    weight_goals = [GoalFactory(metric=weight), GoalFactory(metric=weight)]
    GoalFactory(metric=running, kind="total", start_value=None, target=100)
    GoalFactory(metric__owner=user)  # a third metric
    response = signed_in.post(
        reverse("measurements:record", args=[weight.id]),
        {"value": "81.5"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert events(response) == {
        f"metric-{weight.id}-changed",
        *(f"goal-{goal.id}-changed" for goal in weight_goals),
        "goals-summary-changed",
    }
    body = response.content.decode()
    assert body.lstrip().startswith('<form class="quick-entry"')
    assert "Recorded 81.5 kg." in body
    assert 'value=""' in body


@pytest.mark.django_db
def test_a_bad_value_keeps_the_input_and_says_why(signed_in, user):
    metric = MetricFactory(owner=user)
    response = signed_in.post(
        reverse("measurements:record", args=[metric.id]),
        {"value": "eighty"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "HX-Trigger" not in response.headers
    assert "Enter a number, optionally with a unit" in body and 'value="eighty"' in body
    assert not metric.measurements.exists()


@pytest.mark.django_db
def test_recording_without_javascript_redirects_back_with_a_message(signed_in, user):
    metric = MetricFactory(owner=user, unit="km")
    response = signed_in.post(
        reverse("measurements:record", args=[metric.id]),
        {"value": "5.2", "next": "/"},
        follow=True,
    )
    assert response.redirect_chain == [("/", 302)]
    assert "Recorded 5.2 km." in response.content.decode()
    assert metric.measurements.get().value == Decimal("5.2")


@pytest.mark.django_db
def test_recording_refuses_an_offsite_next(signed_in, user):
    metric = MetricFactory(owner=user)
    response = signed_in.post(
        reverse("measurements:record", args=[metric.id]),
        {"value": "1", "next": "https://evil.example/"},
    )
    assert response["Location"] == metric.get_absolute_url()


def htmx(**extra):
    return {"HX-Request": "true", **extra}


@pytest.mark.django_db
def test_the_card_title_opens_the_rename_form_with_htmx_and_the_page_without(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    body = signed_in.get(reverse("goals:dashboard")).content.decode()
    title_url = reverse("goals:title", args=[goal.id])
    assert f'href="{reverse("goals:detail", args=[goal.id])}"' in body
    assert f'hx-get="{title_url}"' in body
    form = signed_in.get(title_url, headers=htmx()).content.decode()
    assert form.lstrip().startswith(f'<form id="goal-{goal.id}-rename"')
    assert 'value="Read 20 books"' in form and "Cancel" in form
    assert "<html" not in form


@pytest.mark.django_db
def test_rename_with_htmx_answers_the_card_body_and_only_the_goals_event(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    response = signed_in.post(
        reverse("goals:title", args=[goal.id]), {"title": " Read 25 books "}, headers=htmx()
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert events(response) == {f"goal-{goal.id}-changed"}
    assert body.lstrip().startswith('<div class="goal-card-body"')
    assert "Read 25 books" in body
    goal.refresh_from_db()
    assert goal.title == "Read 25 books"


@pytest.mark.django_db
@pytest.mark.parametrize("title", ["", "   "])
def test_a_blank_title_stays_in_the_inline_form_with_an_error(signed_in, user, title):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    response = signed_in.post(
        reverse("goals:title", args=[goal.id]), {"title": title}, headers=htmx()
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "HX-Trigger" not in response.headers
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("this", "outerHTML")
    assert body.lstrip().startswith(f'<form id="goal-{goal.id}-rename"')
    assert "Give the goal a title." in body
    goal.refresh_from_db()
    assert goal.title == "Read 20 books"


@pytest.mark.django_db
def test_rename_without_javascript_redirects_with_a_message(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    url = reverse("goals:title", args=[goal.id])
    assert "<html" in signed_in.get(url).content.decode()
    response = signed_in.post(url, {"title": "Read 25 books"}, follow=True)
    assert response.redirect_chain == [(reverse("goals:dashboard"), 302)]
    assert "Renamed to “Read 25 books”." in response.content.decode()


@pytest.mark.django_db
def test_without_javascript_delete_asks_for_confirmation_first(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    dashboard = signed_in.get(reverse("goals:dashboard")).content.decode()
    delete_url = reverse("goals:delete", args=[goal.id])
    assert f'method="get" action="{delete_url}" hx-post="{delete_url}"' in dashboard
    assert "hx-confirm=" in dashboard
    page = signed_in.get(delete_url).content.decode()
    assert "Delete “Read 20 books”?" in page and 'method="post"' in page
    goal.refresh_from_db()
    assert goal.deleted_at is None


@pytest.mark.django_db
def test_delete_with_htmx_shows_undo_and_sends_the_exact_events(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    response = signed_in.post(reverse("goals:delete", args=[goal.id]), headers=htmx())
    body = response.content.decode()
    assert response.status_code == 200
    assert events(response) == {
        f"goal-{goal.id}-changed",
        "goals-list-changed",
        "goals-summary-changed",
    }
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#undo-region", "innerHTML")
    assert "“Read 20 books” was deleted." in body
    assert f'action="{reverse("goals:undelete", args=[goal.id])}"' in body
    goal.refresh_from_db()
    assert goal.deleted_at is not None
    assert signed_in.get(reverse("goals:card", args=[goal.id])).status_code == 404


@pytest.mark.django_db
def test_delete_from_the_goal_page_with_htmx_goes_to_the_dashboard(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    page = signed_in.get(reverse("goals:detail", args=[goal.id])).content.decode()
    assert f'hx-post="{reverse("goals:delete", args=[goal.id])}"' in page
    response = signed_in.post(
        reverse("goals:delete", args=[goal.id]), {"next": "/"}, headers=htmx()
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/"
    dashboard = signed_in.get("/").content.decode()
    assert "“Read 20 books” was deleted." in dashboard
    assert 'id="recently-deleted"' in dashboard and ">Undo<" in dashboard


@pytest.mark.django_db
def test_undelete_with_htmx_sends_the_exact_events(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    signed_in.post(reverse("goals:delete", args=[goal.id]), headers=htmx())
    response = signed_in.post(reverse("goals:undelete", args=[goal.id]), headers=htmx())
    assert response.status_code == 200
    assert events(response) == {
        f"goal-{goal.id}-changed",
        "goals-list-changed",
        "goals-summary-changed",
    }
    assert "“Read 20 books” is back on your dashboard." in response.content.decode()
    goal.refresh_from_db()
    assert goal.deleted_at is None


@pytest.mark.django_db
def test_delete_and_undo_without_javascript(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    response = signed_in.post(reverse("goals:delete", args=[goal.id]), follow=True)
    body = response.content.decode()
    assert response.redirect_chain == [(reverse("goals:dashboard"), 302)]
    assert "“Read 20 books” was deleted." in body
    assert 'id="recently-deleted"' in body
    assert f'action="{reverse("goals:undelete", args=[goal.id])}"' in body
    assert 'class="goal-card"' not in body
    response = signed_in.post(reverse("goals:undelete", args=[goal.id]), follow=True)
    body = response.content.decode()
    assert "“Read 20 books” is back on your dashboard." in body
    assert 'class="goal-card"' in body


@pytest.mark.django_db
def test_undo_after_ten_minutes_is_not_found(signed_in, user):
    goal = GoalFactory(
        metric__owner=user, deleted_at=timezone.now() - dt.timedelta(minutes=10, seconds=5)
    )
    assert 'id="deleted-title"' not in signed_in.get("/").content.decode()
    response = signed_in.post(reverse("goals:undelete", args=[goal.id]), headers=htmx())
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#error-region"
    goal.refresh_from_db()
    assert goal.deleted_at is not None


def sleep_form(**overrides):
    data = {
        "title": "Sleep 7 to 9 hours",
        "kind": "range",
        "metric": "",
        "new_metric_name": "Sleep",
        "new_metric_unit": "h",
        "start_date": "2026-11-01",
        "target_low": "7",
        "target_high": "9",
        "period": "day",
        "period_aggregation": "sum",
        "aggregation": "sum",
    }
    return {**data, **overrides}


@pytest.mark.django_db
def test_the_share_of_periods_is_asked_for_quota_and_range_goals_only(signed_in):
    for kind, asked in (("range", True), ("quota", True), ("reach", False), ("total", False)):
        body = signed_in.get(reverse("goals:create"), {"kind": kind}).content.decode()
        assert ('name="required_share"' in body) is asked, kind
    body = signed_in.get(reverse("goals:create"), {"kind": "range"}).content.decode()
    assert "Periods to meet (%)" in body and 'name="required_share" value="100"' in body


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "stored"), [("71", 71), ("", 100)])
def test_a_range_goal_keeps_the_share_typed_or_every_period(signed_in, typed, stored):
    response = signed_in.post(reverse("goals:create"), sleep_form(required_share=typed))
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.required_share == stored
    edit = signed_in.get(reverse("goals:edit", args=[goal.id])).content.decode()
    assert f'name="required_share" value="{stored}"' in edit


@pytest.mark.django_db
def test_a_share_out_of_range_is_explained(signed_in):
    response = signed_in.post(reverse("goals:create"), sleep_form(required_share="0"))
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()
    assert not Goal.objects.exists()
