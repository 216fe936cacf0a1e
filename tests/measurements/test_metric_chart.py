"""The metric page's chart: the last value of each day over the last 90 days, with
the same axis, points and table as a goal's chart, refreshed as its own fragment."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from measurements.chart import metric_chart
from tests.factories import MeasurementFactory, MetricFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.mark.django_db
def test_one_point_a_local_day_its_last_value_at_the_metric_precision():
    metric = MetricFactory(unit="kg", display_places=1)
    for moment, value in (
        ("2026-11-20 07:00", "81.04"),
        ("2026-11-20 23:30", "80.96"),  # the day's last, though it is the 21st in UTC
        ("2026-11-27 08:00", "80.44"),
        ("2026-08-01 08:00", "90"),  # older than 90 days: not drawn
    ):
        MeasurementFactory(metric=metric, value=Decimal(value), measured_at=at(moment))

    chart = metric_chart(metric, now=NOW, zone=BERLIN, width=320, height=150)

    assert [point.label for point in chart.points] == ["20 Nov: 81 kg", "27 Nov: 80.4 kg"]
    assert 3 <= len(chart.ticks) <= 5
    assert all("." not in tick.label or len(tick.label.split(".")[1]) <= 1 for tick in chart.ticks)
    assert chart.date_ticks[-1].label == "29 Nov"
    assert chart.today_x is not None


@pytest.mark.django_db
def test_nothing_recorded_lately_has_nothing_to_draw():
    metric = MetricFactory()
    MeasurementFactory(metric=metric, measured_at=NOW - dt.timedelta(days=120))

    assert metric_chart(metric, now=NOW, zone=BERLIN, width=320, height=150).is_empty


@pytest.mark.django_db
def test_the_page_shows_the_chart_and_its_fragment_refreshes_alone(signed_in, user):
    metric = MetricFactory(owner=user, name="Weight", unit="kg", display_places=1)
    MeasurementFactory(metric=metric, value=Decimal("80.5"), measured_at=timezone.now())

    page = signed_in.get(reverse("measurements:detail", args=[metric.id])).content.decode()
    fragment = signed_in.get(
        reverse("measurements:chart", args=[metric.id]), headers={"HX-Request": "true"}
    ).content.decode()

    assert 'id="metric-chart"' in page
    assert f'hx-trigger="metric-{metric.id}-changed from:body"' in page
    assert fragment.lstrip().startswith('<section id="metric-chart"')
    assert "<html" not in fragment
    assert fragment.count('tabindex="0"') == 2  # the small and the large chart
    assert ": 80.5 kg" in fragment
    assert '<table class="visually-hidden">' in fragment


@pytest.mark.django_db
def test_the_chart_reads_a_row_a_day_once_for_both_sizes(signed_in, user):
    metric = MetricFactory(owner=user, unit="kg", display_places=0)
    zone = ZoneInfo(user.profile.time_zone)
    yesterday = timezone.localdate(timezone=zone) - dt.timedelta(days=1)
    for hour in range(24):
        moment = dt.datetime.combine(yesterday, dt.time(hour), tzinfo=zone)
        MeasurementFactory(metric=metric, value=Decimal(70 + hour), measured_at=moment)

    with CaptureQueriesContext(connection) as queries:
        fragment = signed_in.get(
            reverse("measurements:chart", args=[metric.id]), headers={"HX-Request": "true"}
        ).content.decode()

    assert fragment.count(": 93 kg") == 4  # the day's last: title and label of two charts
    assert ": 92 kg" not in fragment
    reads = [query["sql"] for query in queries.captured_queries if "rollup" in query["sql"]]
    assert len(reads) == 1
    assert not any('"measurements_measurement"' in sql for sql in reads)
