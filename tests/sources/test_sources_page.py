"""The sources page: a CSV is previewed then imported, a calendar feed is followed,
a failed run is retried; another user's runs are not found."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from sources.models import DataSource, RunStatus, SyncRun
from tests.factories import MetricFactory

pytestmark = pytest.mark.django_db

CSV = b"Date;Weight (kg);Comment\n2026-11-20 07:00;81,4;morning\n2026-11-21 07:00;heavy;oops\n"


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


@pytest.fixture
def metric(user):
    return MetricFactory(owner=user, name="Weight", unit="kg")


def test_a_csv_is_previewed_with_suggested_columns_and_then_imported(signed_in, metric):
    upload = SimpleUploadedFile("weights.csv", CSV, content_type="text/csv")
    preview = signed_in.post("/sources/csv/", {"csv-file": upload, "csv-metric": metric.id})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "81.4 kg" in page and "heavy" in page
    assert 'value="Weight (kg)" selected' in page
    mapping = {
        "value_column": "Weight (kg)",
        "time_column": "Date",
        "note_column": "Comment",
        "time_zone": "Europe/Berlin",
    }
    imported = signed_in.post("/sources/csv/import/", mapping)
    assert imported.status_code == 302
    run = SyncRun.objects.get()
    assert run.source.provider == "csv" and run.upload.name.startswith("imports/")


def test_a_calendar_feed_needs_a_web_address(signed_in, metric):
    response = signed_in.post(
        "/sources/feeds/",
        {
            "feed-name": "Gym",
            "feed-url": "ftp://example.com/x.ics",
            "feed-metric": metric.id,
            "feed-count": "events",
        },
    )
    assert response.status_code == 200
    assert not DataSource.objects.exists()


def test_following_a_feed_queues_its_first_pull(signed_in, metric):
    response = signed_in.post(
        "/sources/feeds/",
        {
            "feed-name": "Gym",
            "feed-url": "https://calendar.example.com/private/basic.ics",
            "feed-metric": metric.id,
            "feed-match": "gym",
            "feed-count": "events",
            "feed-every_minutes": "60",
        },
    )
    assert response.status_code == 302
    source = DataSource.objects.get()
    assert (source.provider, source.every_minutes) == ("icalendar", 60)
    assert source.settings["match"] == "gym"
    assert SyncRun.objects.get(source=source).status == RunStatus.QUEUED


def test_a_failed_run_is_retried_and_a_strangers_is_not_found(
    signed_in, client, metric, other_user
):
    source = DataSource.objects.create(
        owner=metric.owner, provider="icalendar", name="Gym", created=metric.created
    )
    failed = SyncRun.objects.create(source=source, created=metric.created, status=RunStatus.FAILED)
    assert signed_in.post(f"/sources/runs/{failed.id}/retry/").status_code == 302
    assert SyncRun.objects.filter(source=source).count() == 2
    assert signed_in.get(f"/sources/runs/{failed.id}/").status_code == 200
    signed_in.force_login(other_user)
    assert signed_in.post(f"/sources/runs/{failed.id}/retry/").status_code == 404


APPLE = (Path(__file__).parent / "files" / "apple_health_export.xml").read_bytes()


def test_an_apple_health_export_is_queued_with_a_metric_per_kind_of_record(signed_in, metric):
    steps = MetricFactory(owner=metric.owner, name="Steps", unit="steps")
    upload = SimpleUploadedFile("export.xml", APPLE, content_type="text/xml")
    response = signed_in.post(
        "/sources/apple-health/",
        {"apple-file": upload, "apple-body_mass": metric.id, "apple-steps": steps.id},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    source = DataSource.objects.get()
    assert source.settings["metrics"] == {"body_mass": metric.id, "steps": steps.id}
    assert SyncRun.objects.get(source=source).status == RunStatus.QUEUED


def test_an_apple_health_import_needs_at_least_one_metric(signed_in, metric):
    upload = SimpleUploadedFile("export.xml", APPLE, content_type="text/xml")
    response = signed_in.post("/sources/apple-health/", {"apple-file": upload})
    assert response.status_code == 200
    assert "Choose a metric for at least one kind of record." in response.content.decode()
    assert not DataSource.objects.exists()


def test_making_a_webhook_shows_its_url_and_secret_once(signed_in, metric):
    response = signed_in.post(
        "/sources/webhooks/", {"hook-name": "Scale", "hook-metric": metric.id}
    )
    page = response.content.decode()
    source = DataSource.objects.get(provider="webhook")
    assert f"/sources/hooks/{source.id}/" in page
    assert source.secrets["signing_secret"] in page
    assert source.secrets["signing_secret"] not in signed_in.get("/sources/").content.decode()


def test_each_source_reads_as_its_provider_says_and_only_pullable_ones_sync(
    signed_in, user, metric
):
    """The row asks the provider (its label, its capabilities), never its key: a
    calendar feed offers "Sync now", a webhook and a file import do not."""
    now = timezone.now()
    for provider, name in (("icalendar", "Gym"), ("webhook", "Scale"), ("csv", "Old export")):
        DataSource.objects.create(owner=user, provider=provider, name=name, created=now)

    page = signed_in.get("/sources/").content.decode()
    rows = {
        name: page.split(f'<strong class="source-name">{name}</strong>')[1].split("</li>")[0]
        for name in ("Gym", "Scale", "Old export")
    }
    assert "Calendar feed (iCalendar)" in rows["Gym"] and "Sync now" in rows["Gym"]
    assert "Signed webhook" in rows["Scale"] and "Sync now" not in rows["Scale"]
    assert "CSV file" in rows["Old export"] and "Sync now" not in rows["Old export"]
