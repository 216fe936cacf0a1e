"""Quick entry beyond "now": another day or time (in the owner's zone, yesterday a
click away, the future refused), the question a far-off value raises before it is
recorded, and errors that belong to the submit that caused them, tied to their
control."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from measurements.forms import QuickEntryForm
from measurements.models import Measurement
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def weight(user):
    return MetricFactory(owner=user, name="Weight", unit="kg")


def record(client, metric, htmx=True, **data):
    return client.post(
        reverse("measurements:record", args=[metric.id]),
        data,
        headers=HTMX if htmx else {},
        follow=not htmx,
    )


def in_zone(user, name: str) -> ZoneInfo:
    Profile.objects.filter(user=user).update(time_zone=name)
    return ZoneInfo(name)


def local_today(zone: ZoneInfo) -> dt.date:
    return timezone.now().astimezone(zone).date()


# Another day or time, counted in the owner's zone


def dated_form(now: dt.datetime, **data) -> QuickEntryForm:
    """The form as a Berlin owner submits it at `now`."""
    with timezone.override(BERLIN):
        form = QuickEntryForm({"value": "80", **data}, metric_unit="kg", now=now)
        form.is_valid()
    return form


#: Ten past midnight in Berlin on 30 November: still the 29th in UTC.
JUST_AFTER_MIDNIGHT = dt.datetime(2026, 11, 29, 23, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("data", "local"),
    [
        ({"yesterday": "1"}, "2026-11-29 00:10"),
        ({"yesterday": "1", "time": "22:45"}, "2026-11-29 22:45"),
        ({"day": "2026-11-29", "time": "23:50"}, "2026-11-29 23:50"),
        ({"day": "2026-11-28"}, "2026-11-28 00:10"),
        ({"time": "00:05"}, "2026-11-30 00:05"),
        ({"time": "00:14"}, "2026-11-30 00:14"),  # within the minutes a clock may be fast
    ],
)
def test_just_after_midnight_the_days_are_the_owners(data, local):
    form = dated_form(JUST_AFTER_MIDNIGHT, **data)
    assert form.is_valid(), form.errors
    expected = dt.datetime.fromisoformat(local).replace(tzinfo=BERLIN)
    assert form.cleaned_data["measured_at"].replace(second=0, microsecond=0) == expected


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"time": "23:50"}, "time", "That time has not come yet: it is 00:10 now."),
        ({"day": "2026-12-01"}, "day", "That day has not come yet."),
        ({"day": "2026-11-30", "time": "08:00"}, "time", "That time has not come yet"),
        ({"day": "30.11.2026"}, "day", "Enter a valid date."),
        ({"time": "25:00"}, "time", "Enter a valid time."),
    ],
)
def test_a_day_or_time_still_to_come_is_refused(data, field, message):
    form = dated_form(JUST_AFTER_MIDNIGHT, **data)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    assert form.focus == field and form.when_open and not form.value_invalid


def test_a_time_the_clocks_skip_is_refused_and_a_repeated_one_is_the_first():
    spring = dated_form(dt.datetime(2026, 3, 30, 12, tzinfo=dt.UTC), day="2026-03-29", time="02:30")
    assert "the clocks skipped it" in " ".join(spring.errors["time"])
    autumn = dated_form(
        dt.datetime(2026, 10, 26, 12, tzinfo=dt.UTC), day="2026-10-25", time="02:30"
    )
    moment = autumn.cleaned_data["measured_at"].astimezone(dt.UTC)
    assert moment == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("zone_name", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_yesterday_is_the_day_before_today_where_the_owner_lives(
    signed_in, user, weight, zone_name
):
    """+14 and -11 hours: for most of any day one of them is on another date than UTC."""
    zone = in_zone(user, zone_name)
    before = timezone.now().astimezone(zone)
    body = record(signed_in, weight, value="80", yesterday="1").content.decode()
    stored = weight.measurements.get().measured_at.astimezone(zone)
    assert stored.date() == local_today(zone) - dt.timedelta(days=1)
    assert abs(stored.replace(tzinfo=None) + dt.timedelta(days=1) - before.replace(tzinfo=None)) < (
        dt.timedelta(minutes=1)
    )
    assert f"Recorded 80 kg for yesterday at {stored:%H:%M}." in body


def test_a_day_and_time_record_at_that_local_time(signed_in, user, weight):
    zone = in_zone(user, "America/New_York")
    day = local_today(zone) - dt.timedelta(days=3)
    body = record(signed_in, weight, value="80", day=day.isoformat(), time="07:30").content
    stored = weight.measurements.get().measured_at
    assert stored == dt.datetime.combine(day, dt.time(7, 30), tzinfo=zone)
    assert "Recorded 80 kg for " in body.decode() and " at 07:30." in body.decode()


def test_without_javascript_the_message_says_the_day_too(signed_in, user, weight):
    in_zone(user, "Asia/Tokyo")
    response = record(signed_in, weight, htmx=False, value="80", yesterday="1")
    assert response.redirect_chain[-1][1] == 302
    assert "Recorded 80 kg for yesterday at " in response.content.decode()


def test_a_time_still_to_come_writes_nothing_and_points_at_the_time(signed_in, user, weight):
    zone = in_zone(user, "Europe/Berlin")
    later = (timezone.now().astimezone(zone) + dt.timedelta(hours=2)).strftime("%H:%M")
    tomorrow = (local_today(zone) + dt.timedelta(days=1)).isoformat()
    body = record(signed_in, weight, value="80", day=tomorrow, time=later).content.decode()
    assert "That day has not come yet." in body
    assert not weight.measurements.exists()
    details = re.search(r"<details[^>]*>", body)[0]
    assert " open" in details
    day_input = re.search(r'<input type="date"[^>]*>', body)[0]
    assert 'aria-invalid="true"' in day_input and "autofocus" in day_input
    assert f'value="{tomorrow}"' in day_input
    assert f'value="{later}"' in body


def test_the_fresh_form_folds_the_day_away_and_offers_yesterday(signed_in, weight):
    body = signed_in.get(weight.get_absolute_url()).content.decode()
    assert re.search(r'<details class="entry-when">\s*<summary>Another day or time</summary>', body)
    assert '<button type="submit" name="yesterday" value="1"' in body
    assert f'max="{local_today(BERLIN).isoformat()}"' in body


# A value far from the recent ones


@pytest.fixture
def weighed(weight):
    now = timezone.now()
    for hours, value in [(3, "80"), (2, "81"), (1, "79.5")]:
        MeasurementFactory(
            metric=weight, value=Decimal(value), measured_at=now - dt.timedelta(hours=hours)
        )
    return weight


def test_a_far_off_value_is_asked_about_and_not_recorded(signed_in, weighed):
    response = record(signed_in, weighed, value="800")
    body = response.content.decode()
    assert "That is much more than your recent values (around 80 kg). Record 800 kg anyway?" in body
    assert weighed.measurements.count() == 3
    assert "HX-Trigger" not in response.headers
    value_input = re.search(r'<input type="text"[^>]*>', body)[0]
    assert 'value="800"' in value_input
    assert "aria-invalid" not in value_input
    message_id = re.search(r'<p id="([^"]+)">That is much more', body)[1]
    assert f'aria-describedby="{message_id}"' in value_input
    confirm = re.search(r'<button type="submit" name="confirm"[^>]*>', body, re.S)[0]
    assert 'value="800"' in confirm and "autofocus" in confirm
    assert 'role="alert"' in body


def test_confirming_records_it(signed_in, weighed):
    body = record(signed_in, weighed, value="800", confirm="800").content.decode()
    assert "Recorded 800 kg." in body
    assert weighed.measurements.filter(value=800).exists()


def test_a_value_changed_after_the_question_is_weighed_again(signed_in, weighed):
    body = record(signed_in, weighed, value="8", confirm="800").content.decode()
    assert "That is much less than your recent values (around 80 kg). Record 8 kg anyway?" in body
    assert not weighed.measurements.filter(value=8).exists()
    assert (
        "Recorded 81.2 kg."
        in record(signed_in, weighed, value="81.2", confirm="800").content.decode()
    )


def test_the_question_names_the_unit_typed(signed_in, weighed):
    body = record(signed_in, weighed, value="1800 lb").content.decode()
    assert "Record 1800 lb (816.5 kg) anyway?" in body


def test_a_far_off_value_for_yesterday_keeps_the_day_for_the_confirmation(signed_in, user, weighed):
    zone = in_zone(user, "Pacific/Auckland")
    yesterday = local_today(zone) - dt.timedelta(days=1)
    body = record(signed_in, weighed, value="800", yesterday="1").content.decode()
    assert "Record 800 kg anyway?" in body
    assert f'value="{yesterday.isoformat()}"' in re.search(r'<input type="date"[^>]*>', body)[0]
    record(signed_in, weighed, value="800", confirm="800", day=yesterday.isoformat())
    stored = weighed.measurements.get(value=800).measured_at.astimezone(zone)
    assert stored.date() == yesterday


def test_without_javascript_the_question_comes_on_the_page(signed_in, weighed):
    response = record(signed_in, weighed, htmx=False, value="800")
    assert response.redirect_chain == []
    assert "Record 800 kg anyway?" in response.content.decode()
    assert weighed.measurements.count() == 3


def test_the_question_costs_no_statement_more_than_a_refusal(signed_in, weighed):
    """The recent values come with the metric, in the statement that reads it."""
    with CaptureQueriesContext(connection) as refused:
        record(signed_in, weighed, value="eighty")
    with CaptureQueriesContext(connection) as asked:
        record(signed_in, weighed, value="800")
    assert len(asked.captured_queries) == len(refused.captured_queries)


def test_the_api_records_what_it_is_sent(user, weighed):
    from tests.api.conftest import ApiClient, token_for

    api = ApiClient(token_for(user))
    response = api.call("post", "measurements", {"metric_id": weighed.id, "value": "800"})
    assert response.status_code == 201, response.content
    assert weighed.measurements.filter(value=800).exists()


# Errors belong to the submit that caused them


def test_an_empty_submit_says_so_in_place_of_the_last_error(signed_in, weight):
    first = record(signed_in, weight, value="eighty").content.decode()
    assert "Enter a number, optionally with a unit" in first
    body = record(signed_in, weight, value="").content.decode()
    assert "Enter a value to record." in body
    assert "Enter a number, optionally with a unit" not in body
    assert not weight.measurements.exists()


def test_the_error_is_tied_to_the_value(signed_in, weight):
    body = record(signed_in, weight, value="-80").content.decode()
    error = re.search(r'<p class="field-error" id="([^"]+)" role="alert">([^<]*)</p>', body)
    assert error[2].strip() == "A weight cannot be negative."
    value_input = re.search(r'<input type="text"[^>]*>', body)[0]
    assert 'aria-invalid="true"' in value_input
    assert f'aria-describedby="{error[1]}"' in value_input
    assert "autofocus" in value_input and 'value="-80"' in value_input
    assert not weight.measurements.exists()


def test_a_recorded_value_clears_the_error(signed_in, weight):
    record(signed_in, weight, value="eighty")
    body = record(signed_in, weight, value="7h 30min").content.decode()
    assert "min cannot be converted to kg" in body
    body = record(signed_in, weight, value="80").content.decode()
    assert "field-error" not in body and "aria-invalid" not in body
    assert 'role="status">Recorded 80 kg.' in body


def test_the_browser_lets_an_empty_submit_through_to_be_answered(signed_in, weight):
    body = signed_in.get(weight.get_absolute_url()).content.decode()
    form = re.search(r'<form class="quick-entry"[^>]*>', body, re.S)[0]
    assert "novalidate" in form


def test_two_cards_over_one_metric_have_ids_of_their_own(signed_in, user, weight):
    goals = [GoalFactory(metric=weight, owner=user) for _ in range(2)]
    body = signed_in.get(reverse("goals:dashboard")).content.decode()
    ids = re.findall(r'id="(qe-[^"]+)"', body)
    assert len(ids) == len(set(ids)) == 6
    response = record(signed_in, weight, value="", entry_key=str(goals[1].id))
    assert f'id="qe-{goals[1].id}-value"' in response.content.decode()
    hostile = record(signed_in, weight, value="", entry_key='"><script>')
    assert f'id="qe-{weight.id}-value"' in hostile.content.decode()


@pytest.mark.parametrize(
    ("entry", "stored"),
    [("7h 30min", "7.5"), ("7:30", "7.5"), ("90 min", "1.5"), ("1.5 h", "1.5")],
)
def test_durations_are_recorded_in_the_metrics_unit(signed_in, user, entry, stored):
    sleep = MetricFactory(owner=user, name="Sleep", unit="h")
    body = record(signed_in, sleep, value=entry).content.decode()
    assert 'role="status">Recorded' in body
    assert Measurement.objects.get(metric=sleep).value == Decimal(stored)


@pytest.mark.parametrize("entry", ["1 workout", "2 workouts", "1 Workout"])
def test_a_count_takes_its_label_in_the_singular_or_plural(signed_in, user, entry):
    workouts = MetricFactory(owner=user, name="Gym", unit="workouts")
    assert 'role="status">Recorded' in record(signed_in, workouts, value=entry).content.decode()
    assert Measurement.objects.get(metric=workouts).value == int(entry[0])
