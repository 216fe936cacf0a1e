"""The goal pages end to end through the test client, with and without HTMX."""

import datetime as dt
import json
import re
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
def test_the_card_title_opens_the_goal_and_rename_is_its_own_control(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    body = signed_in.get(reverse("goals:dashboard")).content.decode()
    title_url = reverse("goals:title", args=[goal.id])
    detail_url = reverse("goals:detail", args=[goal.id])
    # The title is a plain link to the goal.
    heading = re.search(rf'<h2 id="goal-{goal.id}-title".*?</h2>', body, re.S).group(0)
    assert f'<a href="{detail_url}">Read 20 books</a>' in heading
    assert "hx-" not in heading
    # Rename: the inline form with HTMX, the edit page without.
    rename = re.search(r'<form class="rename-control".*?</form>', body, re.S).group(0)
    assert f'action="{reverse("goals:edit", args=[goal.id])}"' in rename
    assert 'method="get"' in rename
    assert f'hx-get="{title_url}" hx-target="#goal-{goal.id}-heading"' in rename
    assert 'aria-label="Rename “Read 20 books”"' in rename and ">Rename</button>" in rename
    form = signed_in.get(title_url, headers=htmx()).content.decode()
    assert form.lstrip().startswith(f'<form id="goal-{goal.id}-rename"')
    assert 'value="Read 20 books"' in form and "Cancel" in form
    # Escape (js/inline-edit.js) clicks Cancel, which brings the focus back to Rename.
    assert "data-escape-cancels" in form
    cancel = re.search(r"<button[^>]*data-cancel[^>]*>", form).group(0)
    assert f'hx-get="{reverse("goals:card", args=[goal.id])}?focus=rename"' in cancel
    assert "<html" not in form


@pytest.mark.django_db
def test_a_card_asked_to_focus_rename_autofocuses_the_rename_button(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    card_url = reverse("goals:card", args=[goal.id])
    plain = signed_in.get(card_url, headers=htmx()).content.decode()
    assert "autofocus" not in plain
    focused = signed_in.get(card_url, {"focus": "rename"}, headers=htmx()).content.decode()
    button = re.search(rf'<button[^>]*id="goal-{goal.id}-rename-button"[^>]*>', focused)
    assert "autofocus" in button.group(0)


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
    assert re.search(r"<button[^>]*rename-button[^>]*autofocus", body)
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
    assert body.lstrip().startswith('<div class="page-notice')
    assert "“Read 20 books” was deleted." in body
    assert f'action="{reverse("goals:undelete", args=[goal.id])}"' in body
    assert re.search(r'<button[^>]*aria-label="Undo deleting “Read 20 books”"[^>]*autofocus', body)
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
    assert response["HX-Redirect"] == f"/?undo={goal.id}"
    dashboard = signed_in.get(response["HX-Redirect"]).content.decode()
    region = re.search(r'<div id="undo-region".*?</form>', dashboard, re.S).group(0)
    assert "“Read 20 books” was deleted." in region
    assert f'action="{reverse("goals:undelete", args=[goal.id])}"' in region
    assert 'id="recently-deleted"' in dashboard


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
    assert response.redirect_chain == [(f"{reverse('goals:dashboard')}?undo={goal.id}", 302)]
    assert "“Read 20 books” was deleted." in body
    assert 'id="recently-deleted"' in body
    assert f'action="{reverse("goals:undelete", args=[goal.id])}"' in body
    assert 'class="goal-card"' not in body
    response = signed_in.post(reverse("goals:undelete", args=[goal.id]), follow=True)
    body = response.content.decode()
    assert "“Read 20 books” is back on your dashboard." in body
    # The "is back" notice replaces the "was deleted" one: never both.
    assert "was deleted" not in body
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


def _notices(body: str) -> list[str]:
    """The words of each notice in #undo-region, in order."""
    region = re.search(r'<div id="undo-region"[^>]*>(.*?)\n    </div>', body, re.S).group(1)
    return re.findall(r'<p class="page-notice-text">(.*?)</p>', region)


@pytest.mark.django_db
def test_the_undo_offer_is_one_notice_in_the_notice_region_and_only_while_undoable(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    signed_in.post(reverse("goals:delete", args=[goal.id]))
    body = signed_in.get("/", {"undo": goal.id}).content.decode()
    assert _notices(body) == ["“Read 20 books” was deleted."]
    # Someone else's goal, a goal not deleted, or nonsense: no notice.
    other = GoalFactory(title="Not yours")
    other.deleted_at = timezone.now()
    other.save()
    kept = GoalFactory(metric__owner=user, title="Kept")
    for undo in (other.id, kept.id, "x"):
        assert _notices(signed_in.get("/", {"undo": undo}).content.decode()) == []
    Goal.objects.filter(id=goal.id).update(deleted_at=timezone.now() - dt.timedelta(minutes=11))
    assert _notices(signed_in.get("/", {"undo": goal.id}).content.decode()) == []


@pytest.mark.django_db
def test_messages_and_notices_share_one_region_and_one_shape(signed_in, user):
    goal = GoalFactory(metric__owner=user, title="Read 20 books")
    body = signed_in.post(reverse("goals:archive", args=[goal.id]), follow=True).content.decode()
    assert _notices(body) == ["“Read 20 books” is archived."]
    assert 'class="messages"' not in body
    # Dismiss is there for the script to show; the notices script comes with every page.
    assert "data-dismiss-notice hidden" in body
    assert "js/notices.js" in body


@pytest.mark.django_db
def test_each_new_notice_replaces_the_last_with_htmx(signed_in, user):
    """Every notice answer swaps the region's whole content: a second delete's notice
    replaces the first's, and "is back" replaces "was deleted"."""
    first, second = (
        GoalFactory(metric__owner=user, title="First"),
        GoalFactory(metric__owner=user, title="Second"),
    )
    for goal in (first, second):
        response = signed_in.post(reverse("goals:delete", args=[goal.id]), headers=htmx())
        assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#undo-region", "innerHTML")
        assert response.content.decode().count('<div class="page-notice ') == 1
    back = signed_in.post(reverse("goals:undelete", args=[second.id]), headers=htmx())
    assert (back["HX-Retarget"], back["HX-Reswap"]) == ("#undo-region", "innerHTML")
    body = back.content.decode()
    assert body.count('<div class="page-notice ') == 1
    assert "“Second” is back on your dashboard." in body and "deleted" not in body
    # With no Undo to go to, the notice itself takes the focus.
    assert re.search(r'<div class="page-notice[^>]*autofocus', body)


@pytest.mark.django_db
def test_the_dashboard_sections_name_themselves_only_when_they_show_a_heading(signed_in, user):
    body = signed_in.get("/").content.decode()
    for section in ("archived-goals", "recently-deleted"):
        tag = re.search(rf'<section id="{section}"[^>]*>', body).group(0)
        assert "aria-labelledby" not in tag
    archived = GoalFactory(metric__owner=user, status="archived")
    deleted = GoalFactory(metric__owner=user)
    signed_in.post(reverse("goals:delete", args=[deleted.id]))
    body = signed_in.get("/").content.decode()
    for section, title in (
        ("archived-goals", "archived-title"),
        ("recently-deleted", "deleted-title"),
    ):
        tag = re.search(rf'<section id="{section}"[^>]*>', body).group(0)
        assert f'role="region" aria-labelledby="{title}"' in tag
        assert f'id="{title}"' in body
    assert archived.title in body
