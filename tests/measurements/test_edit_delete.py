"""The metric page's inline edit and delete with undo, with and without HTMX: the
fragments each answers, the exact events, what is stored, and who may touch what."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry
from config.envelope import ErrorCode
from goals.models import Goal
from measurements.contracts import MeasurementRef
from measurements.models import Measurement
from measurements.orchestrators import delete_measurement, undelete_measurement
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

HTMX = {"HX-Request": "true"}
ZONE = "Asia/Kolkata"
WHEN = dt.datetime(2026, 3, 10, 12, 34, 56, 789000, tzinfo=dt.UTC)
WHEN_LOCAL = "2026-03-10T18:04"
#: Session, user, profile; the measurement read by the view and by the orchestrator;
#: the locked read, the update and its audit entry inside a savepoint; the goals over
#: the metric, their daily values (the mapper judges their statuses after the write),
#: the statuses they moved to (one UPDATE for all), the events (one INSERT, announced
#: with NOTIFY on PostgreSQL) and the owner's webhook endpoints that want them; the
#: measurement read again for the row; the rollup buckets it left and entered
#: refreshed in one upsert (after locking its metric, where rows can be locked).
QUERIES_PER_EDIT = (
    17 + connection.features.has_select_for_update + (settings.EVENTS_FANOUT == "postgres")
)


def events(response) -> set[str]:
    return set(json.loads(response.headers.get("HX-Trigger", "{}")))


def stored(measurement: Measurement) -> tuple:
    measurement = Measurement.objects.get(id=measurement.id)
    return (
        measurement.metric_id,
        measurement.value,
        measurement.original_value,
        measurement.original_unit,
        measurement.measured_at,
        measurement.note,
        measurement.source,
        measurement.created,
    )


def field_errors(response) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', response.content.decode())


def edit_url(measurement) -> str:
    return reverse("measurements:edit", args=[measurement.id])


def form_data(**overrides) -> dict:
    return {"value": "81.5", "measured_at": WHEN_LOCAL, "note": "after breakfast", **overrides}


@pytest.fixture
def metric(user):
    user.profile.time_zone = ZONE
    user.profile.save()
    return MetricFactory(owner=user, name="Weight", unit="kg")


@pytest.fixture
def measurement(metric):
    return MeasurementFactory(
        metric=metric, value=Decimal("80.2"), measured_at=WHEN, note="before breakfast"
    )


@pytest.fixture
def goals_over_metric(metric):
    return [GoalFactory(metric=metric), GoalFactory(metric=metric)]


@pytest.fixture
def unrelated_goals(user, metric):
    deleted = GoalFactory(metric=metric, deleted_at=WHEN)
    elsewhere = GoalFactory(metric__owner=user, kind="total", start_value=None, target=100)
    return [deleted, elsewhere]


def expected_events(metric, goals: list[Goal]) -> set[str]:
    return {
        f"metric-{metric.id}-changed",
        *(f"goal-{goal.id}-changed" for goal in goals),
        "goals-summary-changed",
    }


@pytest.mark.django_db
def test_htmx_edit_answers_the_edit_row_with_the_current_values(signed_in, measurement):
    response = signed_in.get(edit_url(measurement), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="measurement-{measurement.id}" class="row-editing">')
    assert "<html" not in body
    assert f'hx-post="{edit_url(measurement)}"' in body
    assert 'name="value" value="80.2"' in body
    assert f'name="measured_at" value="{WHEN_LOCAL}"' in body
    assert 'name="note" value="before breakfast"' in body


@pytest.mark.django_db
def test_the_row_url_answers_the_display_row(signed_in, measurement):
    response = signed_in.get(reverse("measurements:row", args=[measurement.id]), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="measurement-{measurement.id}">')
    assert "80.2 kg" in body and "before breakfast" in body
    assert 'class="measurement-form"' not in body


@pytest.mark.django_db
@pytest.mark.usefixtures("unrelated_goals")
def test_htmx_edit_in_another_unit_stores_the_conversion_and_sends_the_exact_events(
    signed_in, metric, measurement, goals_over_metric
):
    response = signed_in.post(edit_url(measurement), form_data(value="180 lb"), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="measurement-{measurement.id}">')
    assert re.search(rf'<a id="edit-{measurement.id}"[^>]*\sautofocus>Edit</a>', body)
    assert "81.6 kg" in body and "(180 lb)" in body
    assert events(response) == expected_events(metric, goals_over_metric)
    measurement.refresh_from_db()
    assert (measurement.value, measurement.original_value, measurement.original_unit) == (
        Decimal("81.646627"),
        Decimal("180"),
        "lb",
    )
    assert measurement.note == "after breakfast"


@pytest.mark.django_db
def test_editing_only_the_note_keeps_the_stored_seconds(signed_in, measurement):
    signed_in.post(edit_url(measurement), form_data(value="80.2", note="new note"), headers=HTMX)
    measurement.refresh_from_db()
    assert measurement.note == "new note"
    assert measurement.measured_at == WHEN


@pytest.mark.django_db
def test_a_new_time_is_read_in_the_owners_zone(signed_in, measurement):
    signed_in.post(edit_url(measurement), form_data(measured_at="2026-03-10T09:15"), headers=HTMX)
    measurement.refresh_from_db()
    assert measurement.measured_at == dt.datetime(2026, 3, 10, 3, 45, tzinfo=dt.UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value": "abc"}, "Enter a number, optionally with a unit"),
        ({"value": "5 km"}, "km cannot be converted to kg."),
        ({"value": "nan"}, "Enter a number, optionally with a unit"),
        ({"value": "1e20"}, "is not a unit we know."),
        ({"value": "1000000000000"}, "That number is too large to store."),
        ({"measured_at": "2100-01-01T00:00"}, "That time is in the future."),
        ({"measured_at": ""}, "This field is required."),
    ],
)
def test_bad_input_comes_back_in_the_edit_row_and_changes_nothing(
    signed_in, measurement, overrides, message
):
    before, entries = stored(measurement), AuditEntry.objects.count()
    response = signed_in.post(edit_url(measurement), form_data(**overrides), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="measurement-{measurement.id}" class="row-editing">')
    assert any(message in error for error in field_errors(response))
    assert "HX-Trigger" not in response.headers
    assert stored(measurement) == before
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_without_javascript_edit_is_a_page_that_saves_and_redirects(signed_in, metric, measurement):
    page = signed_in.get(edit_url(measurement)).content.decode()
    assert "<html" in page and "Edit a measurement" in page
    assert f'action="{edit_url(measurement)}"' in page and "hx-post" not in page
    response = signed_in.post(edit_url(measurement), form_data(), follow=True)
    assert response.redirect_chain == [(metric.get_absolute_url(), 302)]
    assert "Saved 81.5 kg." in response.content.decode()
    measurement.refresh_from_db()
    assert measurement.value == Decimal("81.5")


@pytest.mark.django_db
def test_without_javascript_a_bad_edit_shows_the_page_with_the_error(signed_in, measurement):
    before = stored(measurement)
    response = signed_in.post(edit_url(measurement), form_data(value="5 km"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body and "km cannot be converted to kg." in body
    assert 'value="5 km"' in body
    assert stored(measurement) == before


@pytest.mark.django_db
@pytest.mark.usefixtures("unrelated_goals")
def test_htmx_delete_offers_undo_and_undo_restores_it_as_it_was(
    signed_in, metric, measurement, goals_over_metric
):
    measurement.original_value, measurement.original_unit = Decimal("176.8"), "lb"
    measurement.save()
    before = stored(measurement)
    undelete_url = reverse("measurements:undelete", args=[measurement.id])

    deleted = signed_in.post(reverse("measurements:delete", args=[measurement.id]), headers=HTMX)
    assert deleted.status_code == 200
    assert (deleted["HX-Retarget"], deleted["HX-Reswap"]) == ("#undo-region", "innerHTML")
    assert "Deleted 176.8 lb (80.2 kg)." in deleted.content.decode()
    assert f'hx-post="{undelete_url}"' in deleted.content.decode()
    assert events(deleted) == expected_events(metric, goals_over_metric)
    assert not Measurement.objects.filter(id=measurement.id).exists()
    history = signed_in.get(reverse("measurements:measurements", args=[metric.id]), headers=HTMX)
    assert f'id="measurement-{measurement.id}"' not in history.content.decode()
    assert 'id="undo-region"' in signed_in.get(metric.get_absolute_url()).content.decode()

    restored = signed_in.post(undelete_url, headers=HTMX)
    assert restored.status_code == 200
    assert restored["HX-Retarget"] == "#undo-region"
    assert "Restored 176.8 lb (80.2 kg)." in restored.content.decode()
    assert events(restored) == expected_events(metric, goals_over_metric)
    assert stored(measurement) == before


@pytest.mark.django_db
def test_undo_works_within_ten_minutes_and_not_after(signed_in, user, measurement):
    signed_in.post(reverse("measurements:delete", args=[measurement.id]), headers=HTMX)
    deleted_at = AuditEntry.objects.get(subject_id=measurement.id, action=Action.DELETED).at
    ref = MeasurementRef(measurement_id=measurement.id)

    late = undelete_measurement(ref, actor_id=user.id, now=deleted_at + dt.timedelta(minutes=11))
    assert not late.ok and late.error.code == ErrorCode.NOT_FOUND
    assert not Measurement.objects.filter(id=measurement.id).exists()

    in_time = undelete_measurement(ref, actor_id=user.id, now=deleted_at + dt.timedelta(minutes=9))
    assert in_time.ok
    assert Measurement.objects.filter(id=measurement.id).exists()


@pytest.mark.django_db
def test_a_second_undo_is_not_found(signed_in, measurement):
    signed_in.post(reverse("measurements:delete", args=[measurement.id]), headers=HTMX)
    url = reverse("measurements:undelete", args=[measurement.id])
    assert signed_in.post(url, headers=HTMX).status_code == 200
    again = signed_in.post(url, headers=HTMX)
    assert again.status_code == 404
    assert again["HX-Retarget"] == "#error-region"
    assert "HX-Trigger" not in again.headers
    assert Measurement.objects.filter(id=measurement.id).count() == 1


@pytest.mark.django_db
def test_without_javascript_delete_redirects_to_the_page_that_offers_undo(
    signed_in, metric, measurement
):
    response = signed_in.post(reverse("measurements:delete", args=[measurement.id]))
    assert response.status_code == 302
    assert response["Location"] == f"{metric.get_absolute_url()}?undo={measurement.id}"
    page = signed_in.get(response["Location"]).content.decode()
    undelete_url = reverse("measurements:undelete", args=[measurement.id])
    assert "Deleted 80.2 kg." in page
    assert f'method="post" action="{undelete_url}"' in page
    restored = signed_in.post(undelete_url, follow=True)
    assert restored.redirect_chain == [(metric.get_absolute_url(), 302)]
    assert "Restored 80.2 kg." in restored.content.decode()
    assert Measurement.objects.filter(id=measurement.id).exists()


@pytest.mark.django_db
def test_the_undo_offer_is_only_for_a_recent_delete_of_this_metric(signed_in, metric, measurement):
    page = signed_in.get(f"{metric.get_absolute_url()}?undo={measurement.id}").content.decode()
    assert "Undo" not in page
    other = MeasurementFactory(metric=MetricFactory(owner=metric.owner))
    signed_in.post(reverse("measurements:delete", args=[other.id]))
    page = signed_in.get(f"{metric.get_absolute_url()}?undo={other.id}").content.decode()
    assert "Undo" not in page


def another_users_requests(measurement_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("measurements:row", args=[measurement_id]), {}),
        ("get", reverse("measurements:edit", args=[measurement_id]), {}),
        ("post", reverse("measurements:edit", args=[measurement_id]), form_data()),
        ("post", reverse("measurements:delete", args=[measurement_id]), {}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_another_users_measurement_is_not_found_and_stays_as_it_was(signed_in, other_user, headers):
    theirs = MeasurementFactory(metric__owner=other_user, measured_at=WHEN)
    before = stored(theirs)
    for method, url, data in another_users_requests(theirs.id):
        response = getattr(signed_in, method)(url, data, headers=headers)
        assert response.status_code == 404, (method, url)
    assert stored(theirs) == before


@pytest.mark.django_db
def test_another_users_deleted_measurement_cannot_be_undone(signed_in, other_user):
    theirs = MeasurementFactory(metric__owner=other_user, measured_at=WHEN)
    ref = MeasurementRef(measurement_id=theirs.id)
    assert delete_measurement(ref, actor_id=other_user.id, now=timezone.now()).ok
    for headers in ({}, HTMX):
        url = reverse("measurements:undelete", args=[theirs.id])
        assert signed_in.post(url, headers=headers).status_code == 404
    assert not Measurement.objects.filter(id=theirs.id).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("goals", [1, 10])
def test_an_htmx_edit_costs_the_same_few_queries_however_many_goals_it_moves(
    signed_in, metric, measurement, goals, django_assert_max_num_queries
):
    GoalFactory.create_batch(goals, metric=metric)
    with django_assert_max_num_queries(QUERIES_PER_EDIT):
        response = signed_in.post(edit_url(measurement), form_data(), headers=HTMX)
    assert len(events(response)) == goals + 2


@pytest.mark.django_db
@pytest.mark.parametrize("hour", [5, 6])
def test_the_note_of_a_measurement_in_the_repeated_autumn_hour_can_be_edited(
    signed_in, metric, hour
):
    metric.owner.profile.time_zone = "America/New_York"
    metric.owner.profile.save()
    when = dt.datetime(2026, 11, 1, hour, 30, 15, tzinfo=dt.UTC)
    measurement = MeasurementFactory(metric=metric, value=Decimal("80"), measured_at=when)
    shown = signed_in.get(edit_url(measurement), headers=HTMX).content.decode()
    assert 'name="measured_at" value="2026-11-01T01:30"' in shown
    response = signed_in.post(
        edit_url(measurement),
        {"value": "80", "measured_at": "2026-11-01T01:30", "note": "new note"},
        headers=HTMX,
    )
    assert field_errors(response) == []
    measurement.refresh_from_db()
    assert (measurement.note, measurement.measured_at) == ("new note", when)
