"""The metric page's history: keyset pages, newest first, exact at page boundaries
even when rows share a timestamp, and a date range cut in the owner's zone."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from measurements.models import Measurement
from measurements.selectors import Cursor, measurements_page
from tests.factories import MeasurementFactory, MetricFactory

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def walk(metric_id: int, size: int, **filters) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = measurements_page(metric_id=metric_id, after=after, size=size, **filters)
        pages.append([row.id for row in page.rows])
        if page.next_cursor is None:
            return pages
        after = Cursor.decode(page.next_cursor.encode())


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_pages_cover_every_row_once_in_order_with_equal_timestamps(size):
    metric = MetricFactory()
    times = [NOON] * 5 + [NOON - dt.timedelta(hours=1)] * 2 + [NOON + dt.timedelta(hours=1)]
    for moment in times:
        MeasurementFactory(metric=metric, measured_at=moment)
    MeasurementFactory(measured_at=NOON)  # another metric's row never shows
    expected = list(
        Measurement.objects.filter(metric=metric)
        .order_by("-measured_at", "-id")
        .values_list("id", flat=True)
    )
    pages = walk(metric.id, size)
    assert [row for page in pages for row in page] == expected
    assert all(len(page) == size for page in pages[:-1])
    assert pages[-1]  # no empty last page


@pytest.mark.parametrize(
    "text",
    [None, "", "abc", "1.2.3", "99999999999999999999999.1", f"0.{2**63}", "0.0", "5.-1"],
)
def test_a_nonsense_cursor_means_the_first_page(text):
    assert Cursor.decode(text) is None


def history_of(response) -> str:
    """The history section of the metric page (the chart above it shows values too)."""
    return response.content.decode().split('id="measurement-list"', 1)[1]


@pytest.mark.django_db
def test_the_page_links_and_the_date_range(signed_in, user):
    metric = MetricFactory(owner=user, unit="kg")
    berlin_midnight = dt.datetime(2026, 11, 19, 23, 30, tzinfo=dt.UTC)  # 00:30 on the 20th there
    MeasurementFactory(metric=metric, measured_at=berlin_midnight, value=Decimal("70.5"))
    for hour in range(60):
        MeasurementFactory(
            metric=metric, measured_at=NOON + dt.timedelta(days=2, hours=hour), value=Decimal(80)
        )
    url = reverse("measurements:detail", args=[metric.id])
    first = history_of(signed_in.get(url))
    assert first.count('<td class="num">80 kg') == 50 and "70.5 kg" not in first
    older = re.search(r'href="([^"]*after=[^"]*)">Older measurements', first).group(1)
    second = history_of(signed_in.get(older.replace("&amp;", "&")))
    assert second.count('<td class="num">80 kg') == 10 and "70.5 kg" in second
    assert "Older measurements</a>" not in second
    in_range = history_of(signed_in.get(url, {"start": "2026-11-20", "end": "2026-11-20"}))
    assert "70.5 kg" in in_range and "80 kg" not in in_range
    assert "Older measurements</a>" not in in_range
    bad = history_of(signed_in.get(url, {"start": "2026-11-21", "end": "2026-11-20"}))
    assert "The end comes before the start." in bad


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("dates", "error"),
    [
        ({"end": "9999-12-31"}, "Pick a day before the year 3000."),
        ({"start": "0001-01-01"}, "Pick a day from 1 January 1900 on."),
    ],
)
def test_a_range_beyond_the_calendar_is_refused_in_words(signed_in, user, dates, error):
    """The day after 31 December 9999 does not exist: it once ended the page in a 500."""
    metric = MetricFactory(owner=user, unit="kg")
    MeasurementFactory(metric=metric, value=Decimal("70.5"))
    url = reverse("measurements:detail", args=[metric.id])
    response = signed_in.get(url, dates)
    assert response.status_code == 200
    assert error in history_of(response)
    export = signed_in.get(reverse("measurements:export", args=[metric.id, "csv"]), dates)
    assert export.status_code == 422 and error in export.content.decode()
