"""A metric's measurements as a streamed CSV or JSON download: numbers as written,
times in the owner's zone, oldest first, a date range, and memory that stays flat
however many rows there are."""

import csv
import datetime as dt
import io
import json
import tracemalloc
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from measurements.models import Measurement
from tests.factories import MeasurementFactory, MetricFactory

HEADER = [
    "measured_at",
    "value",
    "unit",
    "entered_value",
    "entered_unit",
    "note",
    "source",
    "external_id",
]
NOTE = 'felt "great", really'


def content(response) -> str:
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content(response), newline="")))


def export_url(metric, fmt: str) -> str:
    return reverse("measurements:export", args=[metric.id, fmt])


@pytest.fixture
def metric(user):
    user.profile.time_zone = "America/New_York"
    user.profile.save()
    metric = MetricFactory(owner=user, name="Body weight", unit="kg")
    MeasurementFactory(
        metric=metric,
        value=Decimal("81.646627"),
        original_value=Decimal("180"),
        original_unit="lb",
        measured_at=dt.datetime(2026, 7, 1, 3, 30, tzinfo=dt.UTC),
    )
    MeasurementFactory(
        metric=metric,
        value=Decimal("81.4"),
        measured_at=dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC),
        note=NOTE,
    )
    MeasurementFactory(metric__owner=user, value=Decimal("5"))
    return metric


@pytest.mark.django_db
def test_csv_holds_the_values_as_written_oldest_first_in_the_owners_zone(signed_in, metric):
    response = signed_in.get(export_url(metric, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_rows(response) == [
        HEADER,
        ["2026-01-15T07:00:00-05:00", "81.4", "kg", "", "", NOTE, "manual", ""],
        ["2026-06-30T23:30:00-04:00", "81.646627", "kg", "180", "lb", "", "manual", ""],
    ]


@pytest.mark.django_db
def test_json_holds_the_metric_and_its_measurements(signed_in, metric):
    response = signed_in.get(export_url(metric, "json"))
    assert response["Content-Type"] == "application/json"
    data = json.loads(content(response))
    assert list(data) == ["metric", "measurements"]
    assert data["metric"] == {"id": metric.id, "name": "Body weight", "unit": "kg"}
    assert data["measurements"] == [
        {
            "measured_at": "2026-01-15T07:00:00-05:00",
            "value": "81.4",
            "unit": "kg",
            "entered_value": "",
            "entered_unit": "",
            "note": NOTE,
            "source": "manual",
            "external_id": "",
        },
        {
            "measured_at": "2026-06-30T23:30:00-04:00",
            "value": "81.646627",
            "unit": "kg",
            "entered_value": "180",
            "entered_unit": "lb",
            "note": "",
            "source": "manual",
            "external_id": "",
        },
    ]


@pytest.mark.django_db
def test_an_empty_metric_exports_an_empty_list(signed_in, user):
    metric = MetricFactory(owner=user)
    assert json.loads(content(signed_in.get(export_url(metric, "json"))))["measurements"] == []
    assert csv_rows(signed_in.get(export_url(metric, "csv"))) == [HEADER]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_date_range_is_cut_in_the_owners_zone(signed_in, metric, fmt):
    response = signed_in.get(export_url(metric, fmt), {"start": "2026-06-30", "end": "2026-06-30"})
    text = content(response)
    assert "2026-06-30T23:30:00-04:00" in text
    assert "2026-01-15" not in text
    later = content(signed_in.get(export_url(metric, fmt), {"start": "2026-07-01"}))
    assert "81.646627" not in later and "81.4" not in later


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_download_is_named_after_the_metric_and_the_owners_day(signed_in, metric, fmt):
    def owners_today() -> dt.date:
        return timezone.now().astimezone(ZoneInfo("America/New_York")).date()

    before = owners_today()
    response = signed_in.get(export_url(metric, fmt))
    names = {
        f'attachment; filename="body-weight-{day.isoformat()}.{fmt}"'
        for day in (before, owners_today())
    }
    assert response["Content-Disposition"] in names


@pytest.mark.django_db
def test_an_unknown_format_is_not_found(signed_in, metric):
    assert signed_in.get(export_url(metric, "xml")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_another_users_metric_is_not_found(signed_in, other_user, fmt):
    theirs = MeasurementFactory(metric__owner=other_user).metric
    response = signed_in.get(export_url(theirs, fmt))
    assert response.status_code == 404
    assert not response.streaming


def peak_bytes(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


ROWS = 30_000
#: Measured with these rows: loading them as models peaks near 30 MB, as tuples near
#: 12-17 MB, and the whole export held as one string at 7 MB (CSV) or 14 MB (JSON);
#: the streamed download peaks under 2 MB, two thousand rows per query at a time.
STREAM_PEAK_LIMIT = 4 * 1024 * 1024


def add_rows(metric, count: int) -> None:
    """`count` measurements: a sixteenth by bulk_create, then copied onto itself four
    times in the database (bulk_create alone spends seconds building 30,000 rows)."""
    doublings = 4
    start = timezone.now() - dt.timedelta(days=400)
    Measurement.objects.bulk_create(
        Measurement(
            metric=metric,
            value=Decimal("80.123456"),
            measured_at=start + dt.timedelta(minutes=index),
            note="a note of some length, to make rows of a realistic size",
            created=start,
            updated=start,
        )
        for index in range(count >> doublings)
    )
    quote = connection.ops.quote_name
    table = quote(Measurement._meta.db_table)
    copied = ", ".join(
        quote(field.column)
        for field in Measurement._meta.concrete_fields
        if field.column not in {"id", "submission_token"}
    )
    with connection.cursor() as cursor:
        for _ in range(doublings):
            cursor.execute(
                f"INSERT INTO {table} ({copied}) SELECT {copied} FROM {table} WHERE metric_id = %s",
                [metric.id],
            )


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_large_export_streams_in_bounded_memory(signed_in, user, fmt):
    metric = MetricFactory(owner=user)
    add_rows(metric, ROWS)
    assert metric.measurements.count() == ROWS
    # The first request fills caches that would count against the streamed one.
    warm_up = signed_in.get(export_url(metric, fmt), {"start": "2000-01-01", "end": "2000-01-01"})
    b"".join(warm_up.streaming_content)
    rows = 0

    def download():
        nonlocal rows
        response = signed_in.get(export_url(metric, fmt))
        assert isinstance(response, StreamingHttpResponse)
        for chunk in response.streaming_content:
            rows += chunk.count(b"80.123456")

    assert peak_bytes(download) < STREAM_PEAK_LIMIT
    assert rows == ROWS


@pytest.mark.django_db
def test_a_date_range_that_makes_no_sense_is_refused_not_ignored(signed_in, metric):
    backwards = {"start": "2026-07-02", "end": "2026-07-01"}
    response = signed_in.get(export_url(metric, "csv"), backwards)
    assert response.status_code == 422
    assert "The end comes before the start." in response.content.decode()
