"""History pages continue after a cursor with the row comparison `(measured_at, id) <
(time, id)`: every row once, in the order a plain ORDER BY gives, for one metric and
across all an owner's metrics; and on PostgreSQL a page deep in the history is read
from the composite index where it begins, the whole cursor condition an index bound,
so it costs what the first page costs."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from measurements import selectors
from measurements.models import Measurement
from measurements.selectors import Cursor, measurements_page
from tests.factories import MeasurementFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
INDEX = "measurement_metric_time"
ROW_COMPARISON = "ROW(measured_at, id) <"
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="query plans are PostgreSQL's; SQLite pages are checked by the walks above",
)


def walk(size: int, **where) -> list[list[int]]:
    """The ids of every page, following each page's cursor as a link would."""
    pages, after = [], None
    while True:
        page = measurements_page(after=after, size=size, **where)
        pages.append([row.id for row in page.rows])
        if page.next_cursor is None:
            return pages
        after = Cursor.decode(page.next_cursor.encode())


def newest_first(rows) -> list[int]:
    return list(rows.order_by("-measured_at", "-id").values_list("id", flat=True))


def record(metric, moments) -> None:
    for moment in moments:
        MeasurementFactory(metric=metric, measured_at=moment)


def tied_moments() -> list[dt.datetime]:
    """Runs of equal times, so page boundaries fall inside them."""
    hour = dt.timedelta(hours=1)
    return [NOON] * 4 + [NOON - hour] * 3 + [NOON + hour] + [NOON - 2 * hour] * 2


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 50])
def test_a_metrics_pages_hold_every_row_once_in_order(size):
    metric = MetricFactory()
    record(metric, tied_moments())
    record(MetricFactory(owner=metric.owner), [NOON] * 3)  # another metric's rows never show
    expected = newest_first(Measurement.objects.filter(metric=metric))

    for where in ({"metric_id": metric.id}, {"metric_id": metric.id, "owner_id": metric.owner_id}):
        pages = walk(size, **where)
        assert [row for page in pages for row in page] == expected
        assert all(len(page) == size for page in pages[:-1]) and pages[-1]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 50])
def test_an_owners_pages_merge_their_metrics_with_ties_across_metrics(size):
    owner = UserFactory()
    metrics = [MetricFactory(owner=owner) for _ in range(3)]
    for metric in metrics:
        record(metric, tied_moments())
    record(MetricFactory(owner=owner), [])  # a metric with no rows
    record(MetricFactory(), [NOON] * 3)  # another owner's rows never show
    expected = newest_first(Measurement.objects.filter(metric__owner=owner))

    pages = walk(size, owner_id=owner.id)
    assert [row for page in pages for row in page] == expected
    assert all(len(page) == size for page in pages[:-1]) and pages[-1]
    assert {row.metric.owner_id for row in measurements_page(owner_id=owner.id).rows} == {owner.id}


def test_an_owner_with_more_metrics_than_are_merged_gets_the_same_pages(monkeypatch):
    owner = UserFactory()
    for _ in range(3):
        record(MetricFactory(owner=owner), tied_moments())
    merged = walk(4, owner_id=owner.id)
    monkeypatch.setattr(selectors, "MERGED_METRICS_MAX", 2)
    assert walk(4, owner_id=owner.id) == merged


def test_an_owner_without_metrics_has_one_empty_page():
    page = measurements_page(owner_id=UserFactory().id)
    assert page.rows == [] and page.next_cursor is None


def test_the_cursor_and_a_date_range_cut_together():
    owner = UserFactory()
    for _ in range(2):
        record(MetricFactory(owner=owner), tied_moments())
    since, until = NOON - dt.timedelta(hours=1), NOON + dt.timedelta(hours=1)
    inside = Measurement.objects.filter(
        metric__owner=owner, measured_at__gte=since, measured_at__lt=until
    )
    pages = walk(3, owner_id=owner.id, since=since, until=until)
    assert [row for page in pages for row in page] == newest_first(inside)


# Plans (PostgreSQL) ------------------------------------------------------------------------


def fill(metrics, per_metric: int) -> None:
    """`per_metric` rows for each metric, three to a time, their times interleaved, then
    fresh statistics so the planner sees the table as it is."""
    now = timezone.now()
    start = NOON - dt.timedelta(minutes=per_metric)
    Measurement.objects.bulk_create(
        Measurement(
            metric=metric,
            value=Decimal(step % 97),
            measured_at=start + dt.timedelta(minutes=step // 3),
            created=now,
            updated=now,
        )
        for step in range(per_metric)
        for metric in metrics
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Measurement._meta.db_table}")


def plan_of(**where) -> dict:
    """The plan PostgreSQL runs the page's query with (the last query the selector
    sends), as EXPLAIN's JSON."""
    with CaptureQueriesContext(connection) as queries:
        measurements_page(**where)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + queries.captured_queries[-1]["sql"])
        found = cursor.fetchone()[0]
    return (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]


def nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in nodes(child))]


def measurement_scans(plan: dict) -> list[dict]:
    table = Measurement._meta.db_table
    return [node for node in nodes(plan) if node.get("Relation Name") == table]


def deep_cursor(fraction: float, **where) -> Cursor:
    rows = Measurement.objects.filter(**where).order_by("-measured_at", "-id")
    depth = int(rows.count() * fraction)
    return Cursor(*rows.values_list("measured_at", "id")[depth : depth + 1].get())


def assert_one_index_range(scan: dict) -> None:
    """The scan reads the composite index from the cursor on: the row comparison is an
    index bound, and no row read is thrown away by a filter."""
    assert scan["Index Name"] == INDEX, scan
    assert ROW_COMPARISON in scan["Index Cond"], scan
    assert "Filter" not in scan, scan


@on_postgresql
def test_a_page_90_percent_deep_is_read_from_the_index_where_it_begins():
    owner = UserFactory()
    metrics = [MetricFactory(owner=owner) for _ in range(4)]
    fill([*metrics, MetricFactory()], per_metric=4000)
    metric_id = metrics[0].id
    in_metric = deep_cursor(0.9, metric_id=metric_id)

    for where in ({"metric_id": metric_id}, {"metric_id": metric_id, "owner_id": owner.id}):
        plan = plan_of(after=in_metric, size=50, **where)
        [scan] = measurement_scans(plan)
        assert_one_index_range(scan)
        assert "Sort" not in {node["Node Type"] for node in nodes(plan)}

    # All the owner's metrics: one range a metric, merged in order, nothing sorted.
    plan = plan_of(after=deep_cursor(0.9, metric__owner=owner), size=50, owner_id=owner.id)
    scans = measurement_scans(plan)
    assert len(scans) == len(metrics)
    for scan in scans:
        assert_one_index_range(scan)
    kinds = {node["Node Type"] for node in nodes(plan)}
    assert "Merge Append" in kinds and "Sort" not in kinds
