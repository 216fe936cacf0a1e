"""Managing sources on the Sources page: rename, pause and resume, delete (keeping
the measurements a source brought, or deleting them too), duplicates refused, the
page drawn from the providers' declarations, failures and rejections in words, and
the CSV preview's dates in the person's own time zone."""

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from pydantic import BaseModel

from audit.models import Action, AuditEntry
from events.models import Event
from measurements.models import Measurement
from sources import providers as registry
from sources.engine import PAUSED_MESSAGE
from sources.forms import SourceForm
from sources.models import DataSource, RunStatus, SyncRun, WebhookDelivery
from sources.orchestrators import create_webhook_source, sync
from sources.providers import Capability, Provider
from sources.providers import registry as registry_module
from sources.selectors import due_sources
from sources.webhooks import signature
from tests.factories import MeasurementFactory, MetricFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


@pytest.fixture
def metric(user):
    return MetricFactory(owner=user, name="Weight", unit="kg")


def _feed(owner, name="Gym", **settings):
    return DataSource.objects.create(
        owner=owner,
        provider="icalendar",
        name=name,
        settings={
            "url": "https://calendar.example.com/private/basic.ics",
            "metric_id": settings.pop("metric_id", 1),
            "match": "gym",
            "count": "events",
            "time_zone": "Europe/Berlin",
            **settings,
        },
        every_minutes=60,
        created=timezone.now(),
    )


def _imported(metric, name="weights.csv", rows=3):
    """A CSV source with a finished run and the measurements it brought."""
    source = DataSource.objects.create(
        owner=metric.owner, provider="csv", name=name, settings={}, created=timezone.now()
    )
    run = SyncRun.objects.create(
        source=source, created=timezone.now(), status=RunStatus.SUCCEEDED, mode="file_import"
    )
    for day in range(rows):
        MeasurementFactory(
            metric=metric,
            value=80 + day,
            measured_at=timezone.now() - dt.timedelta(days=day + 1),
            source="import",
            external_id=f"csv:{day}",
            data_source_id=source.id,
            sync_run_id=run.id,
        )
    return source


# Rename ------------------------------------------------------------------------------


def test_a_source_is_renamed_with_an_audit_entry_and_an_event(signed_in, user):
    source = _feed(user)
    response = signed_in.post(f"/sources/{source.id}/rename/", {"name": "  Climbing gym "})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.name == "Climbing gym"
    entry = AuditEntry.objects.get(subject_type="data_source", subject_id=source.id)
    assert entry.action == Action.UPDATED
    assert entry.changes == {"name": ["Gym", "Climbing gym"]}
    event = Event.objects.get(type="source.changed")
    assert event.data == {
        "id": source.id,
        "name": "Climbing gym",
        "provider": "icalendar",
        "paused": False,
    }


def test_renaming_in_place_answers_with_the_row_and_its_event(signed_in, user, htmx_headers):
    source = _feed(user)
    form = signed_in.get(f"/sources/{source.id}/rename/", headers=htmx_headers)
    assert form.status_code == 200
    assert 'name="name"' in form.content.decode() and "<html" not in form.content.decode()
    response = signed_in.post(
        f"/sources/{source.id}/rename/", {"name": "Bouldering"}, headers=htmx_headers
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="source-{source.id}"' in page and "Bouldering" in page
    assert "sources-list-changed" in json.loads(response["HX-Trigger"])


def test_a_blank_name_is_refused_in_words_and_changes_nothing(signed_in, user, htmx_headers):
    source = _feed(user)
    response = signed_in.post(f"/sources/{source.id}/rename/", {"name": " "}, headers=htmx_headers)
    assert response.status_code == 200
    assert "Give the source a name." in response.content.decode()
    source.refresh_from_db()
    assert source.name == "Gym"
    assert not AuditEntry.objects.exists()


def test_another_users_source_is_not_found(signed_in, other_user):
    theirs = _feed(other_user)
    for path in ("rename/", "pause/", "delete/"):
        assert signed_in.post(f"/sources/{theirs.id}/{path}", {"name": "x"}).status_code == 404
    assert signed_in.get(f"/sources/{theirs.id}/delete/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.enabled) == ("Gym", True)


# Pause and resume -------------------------------------------------------------------


def test_a_paused_feed_is_not_pulled_on_its_schedule_or_when_asked(signed_in, user):
    source = _feed(user)
    assert signed_in.post(f"/sources/{source.id}/pause/").status_code == 302
    source.refresh_from_db()
    assert source.enabled is False
    assert due_sources(now=timezone.now()) == []
    refused = signed_in.post(f"/sources/{source.id}/sync/")
    assert refused.status_code == 409
    assert "“Gym” is paused" in refused.content.decode()
    assert not SyncRun.objects.exists()
    page = signed_in.get("/sources/").content.decode()
    row = page.split(f'id="source-{source.id}"')[1].split("</li>")[0]
    assert "Paused" in row and "Resume" in row and "Sync now" not in row

    assert signed_in.post(f"/sources/{source.id}/pause/", {"resume": "1"}).status_code == 302
    assert due_sources(now=timezone.now())[0].id == source.id
    assert signed_in.post(f"/sources/{source.id}/sync/").status_code == 302
    assert SyncRun.objects.filter(source=source).count() == 1
    changes = AuditEntry.objects.filter(subject_id=source.id).order_by("id")
    assert [e.changes for e in changes] == [{"enabled": [True, False]}, {"enabled": [False, True]}]


def test_a_pull_queued_before_the_pause_does_not_go_on(signed_in, user):
    source = _feed(user)
    assert signed_in.post(f"/sources/{source.id}/sync/").status_code == 302
    assert signed_in.post(f"/sources/{source.id}/pause/").status_code == 302
    run = SyncRun.objects.get(source=source)
    assert not sync(run.id).ok
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error_message == PAUSED_MESSAGE
    source.refresh_from_db()
    assert source.leased_until is None


def test_pausing_in_place_keeps_the_focus_on_the_control(signed_in, user, htmx_headers):
    source = _feed(user)
    response = signed_in.post(f"/sources/{source.id}/pause/", headers=htmx_headers)
    row = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<button[^>]*name="resume"[^>]*autofocus', row), row


def _deliver(client, url, secret):
    raw = json.dumps(
        {"measurements": [{"id": "w-1", "value": 81.4, "measured_at": "2026-11-25T07:30:00Z"}]}
    ).encode()
    stamp = str(int(time.time()))
    headers = {
        "X-Goaltrack-Timestamp": stamp,
        "X-Goaltrack-Signature": signature(secret, stamp, raw),
    }
    return client.post(url, raw, content_type="application/json", headers=headers)


def test_a_paused_webhook_says_so_and_stores_nothing(client, metric):
    made = create_webhook_source(
        actor_id=metric.owner_id, name="Scale", metric_id=metric.id, now=timezone.now()
    ).unwrap()
    url = f"/sources/hooks/{made['source_id']}/"
    DataSource.objects.filter(id=made["source_id"]).update(enabled=False)
    refused = _deliver(client, url, made["secret"])
    assert refused.status_code == 409
    assert "This webhook is paused" in refused.json()["error"]["message"]
    assert not SyncRun.objects.exists() and not WebhookDelivery.objects.exists()
    # A forged delivery learns nothing of the pause: its signature is checked first.
    assert _deliver(client, url, "not-the-secret").status_code == 401

    DataSource.objects.filter(id=made["source_id"]).update(enabled=True)
    assert _deliver(client, url, made["secret"]).status_code == 202


# Delete -----------------------------------------------------------------------------


def test_the_delete_page_asks_what_becomes_of_the_measurements(signed_in, metric):
    source = _imported(metric)
    page = signed_in.get(f"/sources/{source.id}/delete/").content.decode()
    assert "It brought 3 measurements" in page
    assert "<legend>What becomes of its 3 measurements?</legend>" in page
    assert re.search(r'value="keep"[^>]*checked', page)
    assert 'value="delete"' in page


def test_deleting_a_source_can_keep_its_measurements(signed_in, metric):
    source = _imported(metric)
    response = signed_in.post(f"/sources/{source.id}/delete/", {"measurements": "keep"})
    assert response.status_code == 302
    assert not DataSource.objects.exists() and not SyncRun.objects.exists()
    kept = Measurement.objects.filter(metric=metric)
    assert kept.count() == 3
    assert set(kept.values_list("data_source_id", "sync_run_id")) == {(None, None)}
    entry = AuditEntry.objects.get(subject_type="data_source")
    assert entry.action == Action.DELETED
    assert Event.objects.get(type="source.deleted").data["measurements_deleted"] == 0
    assert not Event.objects.filter(type="measurement.deleted").exists()
    page = signed_in.get("/sources/").content.decode()
    assert "“weights.csv” was deleted; its measurements are kept." in page


def test_deleting_a_source_can_delete_its_measurements_too(signed_in, metric):
    source = _imported(metric)
    by_hand = MeasurementFactory(metric=metric, value=79)
    response = signed_in.post(f"/sources/{source.id}/delete/", {"measurements": "delete"})
    assert response.status_code == 302
    assert list(Measurement.objects.filter(metric=metric)) == [by_hand]
    assert Event.objects.filter(type="measurement.deleted").count() == 3
    assert AuditEntry.objects.filter(subject_type="measurement", action=Action.DELETED).count() == 3
    assert Event.objects.get(type="source.deleted").data["measurements_deleted"] == 3
    page = signed_in.get("/sources/").content.decode()
    assert "3 measurements deleted with it" in page


def test_a_source_with_a_live_run_is_not_deleted(signed_in, metric):
    source = _imported(metric)
    DataSource.objects.filter(id=source.id).update(
        leased_until=timezone.now() + dt.timedelta(minutes=5)
    )
    response = signed_in.post(f"/sources/{source.id}/delete/", {"measurements": "delete"})
    assert response.status_code == 200
    assert "is in progress" in response.content.decode()
    assert DataSource.objects.filter(id=source.id).exists()
    assert Measurement.objects.filter(metric=metric).count() == 3


# Duplicates -------------------------------------------------------------------------


def _follow(client, metric, name="Gym", url="https://calendar.example.com/private/basic.ics"):
    return client.post(
        "/sources/feeds/",
        {
            "feed-name": name,
            "feed-url": url,
            "feed-metric": metric.id,
            "feed-match": "gym",
            "feed-count": "events",
        },
    )


def test_following_the_same_feed_twice_is_refused_in_words(signed_in, metric):
    assert _follow(signed_in, metric).status_code == 302
    again = _follow(signed_in, metric, name="Gym again")
    assert again.status_code == 200
    assert "You already have this source, as “Gym”" in again.content.decode()
    same_name = _follow(signed_in, metric, name="gym", url="https://other.example.com/a.ics")
    assert "You already have a source called “Gym”" in same_name.content.decode()
    assert DataSource.objects.count() == 1


def test_a_second_webhook_of_the_same_name_is_refused(signed_in, metric):
    form = {"hook-name": "Scale", "hook-metric": metric.id}
    assert "signing_secret" not in signed_in.post("/sources/webhooks/", form).content.decode()
    again = signed_in.post("/sources/webhooks/", form)
    assert "You already have a source called “Scale”" in again.content.decode()
    assert DataSource.objects.count() == 1


def test_previewing_a_file_imported_before_warns(signed_in, metric):
    _imported(metric, name="weights.csv")
    upload = SimpleUploadedFile("weights.csv", b"Date,Weight\n2026-11-20,81\n")
    page = signed_in.post("/sources/csv/", {"csv-file": upload, "csv-metric": metric.id})
    assert "You imported a file named “weights.csv” before" in page.content.decode()


def test_importing_an_export_of_a_name_imported_before_warns(signed_in, metric):
    export = (Path(__file__).parent / "files" / "apple_health_export.xml").read_bytes()
    for _ in range(2):
        upload = SimpleUploadedFile("export.xml", export, content_type="text/xml")
        response = signed_in.post(
            "/sources/apple-health/", {"apple-file": upload, "apple-body_mass": metric.id}
        )
        assert response.status_code == 302
    page = signed_in.get("/sources/").content.decode()
    assert "You imported a file named “export.xml” before" in page
    assert SyncRun.objects.count() == 2


# The page from the providers' declarations ------------------------------------------


class _PedometerSettings(BaseModel):
    metric_id: int
    account: str


class _PedometerForm(SourceForm):
    prefix = "pedo"
    name = forms.CharField(max_length=80)
    metric = forms.ModelChoiceField(queryset=None, label="Into the metric")
    account = forms.CharField(label="Account number")

    def settings(self) -> dict:
        return {
            "metric_id": self.cleaned_data["metric"].id,
            "account": self.cleaned_data["account"],
        }


class _Pedometer(Provider):
    key = "pedometer_cloud"
    label = "Pedometer cloud"
    capabilities = Capability.FULL_PULL
    settings_model = _PedometerSettings
    form_class = _PedometerForm
    slug = "pedometer"
    add_title = "Connect a pedometer"
    add_button = "Connect"


@pytest.fixture
def pedometer():
    registry.register(_Pedometer)
    yield
    registry_module._providers.pop(_Pedometer.key)


def test_a_new_provider_appears_and_is_added_without_a_template_or_view(
    signed_in, metric, pedometer
):
    page = signed_in.get("/sources/").content.decode()
    assert "Connect a pedometer" in page and 'action="/sources/pedometer/"' in page
    assert "Account number" in page
    response = signed_in.post(
        "/sources/pedometer/",
        {"pedo-name": "Steps", "pedo-metric": metric.id, "pedo-account": "42"},
    )
    assert response.status_code == 302
    source = DataSource.objects.get()
    assert (source.provider, source.settings) == (
        "pedometer_cloud",
        {"metric_id": metric.id, "account": "42"},
    )
    row = signed_in.get("/sources/").content.decode().split(f'id="source-{source.id}"')[1]
    row = row.split("</li>")[0]
    assert "Pedometer cloud" in row and "Sync now" in row and "Pause" in row
    assert "pedometer_cloud" not in row


def test_no_template_or_view_names_a_provider():
    texts = [
        *(path.read_text() for path in (ROOT / "templates" / "sources").glob("*.html")),
        (ROOT / "sources" / "views.py").read_text(),
    ]
    for provider in registry.all_providers():
        for text in texts:
            for quoted in (f'"{provider.key}"', f"'{provider.key}'", f"== {provider.key}"):
                assert quoted not in text, (provider.key, quoted)


def test_pages_name_providers_and_failures_in_words(signed_in, user, metric):
    now = timezone.now()
    for number, provider in enumerate(("icalendar", "apple_health", "webhook", "csv")):
        DataSource.objects.create(owner=user, provider=provider, name=f"S{number}", created=now)
    source = DataSource.objects.get(provider="icalendar")
    SyncRun.objects.create(
        source=source,
        created=now,
        status=RunStatus.FAILED,
        error_code="internal_error",
        error_message="The calendar feed at cal.example.com could not be fetched: no server "
        "of that name exists.",
        error_phase="execute",
        correlation_id="3f9a2b1c8d7e4f00aa11",
    )
    SyncRun.objects.create(
        source=DataSource.objects.get(provider="csv"),
        created=now,
        status=RunStatus.SUCCEEDED,
        rejected_count=1,
        rejections=[
            {
                "index": 3,
                "fields": [
                    {
                        "field": "value",
                        "message": "Input should be a valid decimal",
                        "code": "decimal_parsing",
                    }
                ],
            }
        ],
    )
    page = signed_in.get("/sources/").content.decode()
    shown = re.sub(r"<[^>]+>", " ", page)
    for key in ("apple_health", "icalendar", "pedometer_cloud"):
        assert key not in shown
    assert "Apple Health export" in shown and "Calendar feed (iCalendar)" in shown
    assert "ref 3f9a2b1c" in shown and "in execute" not in shown
    assert "Row 5: The value is not a number." in shown
    assert "Input should be" not in shown


# The CSV preview ----------------------------------------------------------------------


def _preview(client, metric, content: bytes):
    upload = SimpleUploadedFile("days.csv", content, content_type="text/csv")
    return client.post("/sources/csv/", {"csv-file": upload, "csv-metric": metric.id})


def test_the_time_zone_is_a_choice_of_zones_defaulting_to_the_persons_own(signed_in, metric):
    page = _preview(signed_in, metric, b"Date,Weight\n2026-11-20 07:00,81\n").content.decode()
    select = page.split('name="time_zone"')[1].split("</select>")[0]
    assert '<option value="Europe/Berlin" selected>' in select
    assert '<option value="America/New_York">' in select
    assert "UTC" in select


def test_the_preview_shows_each_rows_date_and_value_as_read(signed_in, metric):
    content = b"Date,Weight\n01/11/2026 07:00,81.5\n13/11/2026 07:00,82\n"
    page = _preview(signed_in, metric, content).content.decode()
    # Month first unless asked: 01/11 is 11 January, and 13/11 cannot be read.
    assert "Sun 11 January 2026, 07:00" in page and "81.5 kg" in page
    assert "“13/11/2026 07:00” is not a time we can read" in page
    assert "Dates and times as read in Europe/Berlin" in page

    mapping = {
        "value_column": "Weight",
        "time_column": "Date",
        "time_zone": "America/New_York",
        "day_first": "on",
        "check": "1",
    }
    again = signed_in.post("/sources/csv/import/", mapping).content.decode()
    assert "Sun 1 November 2026, 07:00" in again and "Fri 13 November 2026, 07:00" in again
    assert "Dates and times as read in America/New_York" in again
    assert "not a time we can read" not in again


def test_a_zone_that_is_not_offered_is_refused(signed_in, metric):
    _preview(signed_in, metric, b"Date,Weight\n2026-11-20 07:00,81\n")
    mapping = {"value_column": "Weight", "time_column": "Date", "time_zone": "Mars/Olympus"}
    response = signed_in.post("/sources/csv/import/", mapping)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not SyncRun.objects.exists()
