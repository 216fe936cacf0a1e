"""The batch write (`measurements.executors.ingest_rows`): PostgreSQL's set-based
upsert and the row-by-row path (SQLite's) give the same rows, audit entries, events
and outcomes for insert, update, unchanged and mixed batches, held to one golden
expectation; and a batch of 1,000 costs a fixed handful of statements on PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from config.request_context import Channel, bind
from events.models import Event
from events.outbox import recording
from measurements import executors
from measurements.choices import Source
from measurements.contracts import MeasurementValues
from measurements.models import Measurement
from measurements.orchestrators import ingest_measurements, prepare_rows
from tests.factories import MetricFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
CORRELATION = "bulk-golden-0001"

FIRST = [
    {"value": "80.5", "measured_at": "2026-01-05T07:00:00Z", "external_id": "a", "note": "run"},
    {"value": "180", "unit": "lb", "measured_at": "2026-01-05T08:00:00Z", "external_id": "b"},
    {"value": "81.25", "measured_at": "2026-01-06T07:00:00+01:00"},
    {"value": "82", "measured_at": "2026-01-06T09:00:00Z"},
    {"value": "79", "measured_at": "2026-01-07T07:00:00Z", "external_id": "e"},
]
SECOND = [
    # unchanged: the same values, one of them written another way
    {
        "value": "80.50",
        "measured_at": "2026-01-05T08:00:00+01:00",
        "external_id": "a",
        "note": "run",
    },
    # updated: another value in another unit
    {"value": "181", "unit": "lb", "measured_at": "2026-01-05T08:00:00Z", "external_id": "b"},
    {"value": "78.5", "measured_at": "2026-01-08T07:00:00Z", "external_id": "c"},
    {"value": "78.6", "measured_at": "2026-01-08T07:00:00Z", "external_id": "c"},
    {"value": "78", "measured_at": "2030-01-01T00:00:00Z", "external_id": "f"},
    {"value": "x", "measured_at": "2026-01-08T07:00:00Z"},
    {"value": "77", "measured_at": "2026-01-08T07:00:00Z", "external_id": "u", "metric": 0},
    {"value": "70", "measured_at": "2026-01-09T07:00:00Z"},
    # updated: moved in time, with a new note
    {"value": "79", "measured_at": "2026-01-07T09:30:00Z", "external_id": "e", "note": "late"},
]

T = "2026-01-10T12:00:00+00:00"
LATER = "2026-01-10T13:00:00+00:00"

GOLDEN_FIRST = {
    "counts": (5, 0, 0, 0),
    "outcomes": [
        (0, "created", "a"),
        (1, "created", "b"),
        (2, "created", "#81.25"),
        (3, "created", "#82"),
        (4, "created", "e"),
    ],
    "rejections": [],
}
GOLDEN_SECOND = {
    "counts": (2, 2, 1, 4),
    "outcomes": [
        (0, "unchanged", "a"),
        (1, "updated", "b"),
        (2, "created", "c"),
        (3, "rejected", ["external_id"]),
        (4, "rejected", ["measured_at"]),
        (5, "rejected", ["value"]),
        (6, "rejected", ["metric_id"]),
        (7, "created", "#70"),
        (8, "updated", "e"),
    ],
}
GOLDEN_ROWS = {
    "#70": ("70", None, "", "2026-01-09T07:00:00+00:00", "", "api", "", 2),
    "#81.25": ("81.25", None, "", "2026-01-06T06:00:00+00:00", "", "api", "", 1),
    "#82": ("82", None, "", "2026-01-06T09:00:00+00:00", "", "api", "", 1),
    "a": ("80.5", None, "", "2026-01-05T07:00:00+00:00", "run", "api", "a", 1),
    "b": ("82.100219", "181", "lb", "2026-01-05T08:00:00+00:00", "", "api", "b", 2),
    "c": ("78.5", None, "", "2026-01-08T07:00:00+00:00", "", "api", "c", 2),
    "e": ("79", None, "", "2026-01-07T09:30:00+00:00", "late", "api", "e", 2),
}


def _created(label, value, measured_at, external_id="", note="", original=None, unit="", at=T):
    changes = {
        "metric_id": [None, "M"],
        "value": [None, value],
        "original_value": [None, original],
        "original_unit": [None, unit],
        "measured_at": [None, measured_at],
        "note": [None, note],
        "source": [None, "api"],
        "external_id": [None, external_id],
        "created": [None, at],
    }
    return ("created", label, {k: v for k, v in changes.items() if v[1] is not None})


GOLDEN_AUDIT = [
    # the first batch
    _created("a", "80.5", "2026-01-05T07:00:00+00:00", "a", "run"),
    _created("b", "81.646627", "2026-01-05T08:00:00+00:00", "b", original="180", unit="lb"),
    _created("#81.25", "81.25", "2026-01-06T06:00:00+00:00"),
    _created("#82", "82", "2026-01-06T09:00:00+00:00"),
    _created("e", "79", "2026-01-07T07:00:00+00:00", "e"),
    # the second: updates first, then what it created
    ("updated", "b", {"value": ["81.646627", "82.100219"], "original_value": ["180", "181"]}),
    (
        "updated",
        "e",
        {
            "measured_at": ["2026-01-07T07:00:00+00:00", "2026-01-07T09:30:00+00:00"],
            "note": ["", "late"],
        },
    ),
    _created("c", "78.5", "2026-01-08T07:00:00+00:00", "c", at=LATER),
    _created("#70", "70", "2026-01-09T07:00:00+00:00", at=LATER),
]
GOLDEN_SUMMARIES = [
    "80.5 kg",
    "81.65 kg",
    "81.25 kg",
    "82 kg",
    "79 kg",
    "82.1 kg",
    "79 kg",
    "78.5 kg",
    "70 kg",
]
GOLDEN_EVENTS = [
    ("measurement.recorded", "a"),
    ("measurement.recorded", "b"),
    ("measurement.recorded", "#81.25"),
    ("measurement.recorded", "#82"),
    ("measurement.recorded", "e"),
    ("measurement.recorded", "c"),
    ("measurement.recorded", "#70"),
    ("measurement.changed", "b"),
    ("measurement.changed", "e"),
]


@pytest.fixture(params=["set_based", "row_by_row"])
def path(request, monkeypatch):
    """Each batch through one path; PostgreSQL has both, other databases only the
    row-by-row one."""
    if request.param == "set_based":
        if connection.vendor != "postgresql":
            pytest.skip("the set-based upsert is PostgreSQL's")
    else:
        monkeypatch.setattr(executors, "_ingest_set_based", executors._ingest_row_by_row)
    return request.param


@pytest.fixture
def metric(db):
    return MetricFactory(owner=UserFactory(), unit="kg")


def send(metric, items, now=NOW):
    raw = [
        {k: v for k, v in {"metric_id": metric.id, **item}.items() if k != "metric"}
        | ({"metric_id": 999_999_999} if item.get("metric") == 0 else {})
        for item in items
    ]
    with bind(CORRELATION, channel=Channel.API):
        result = ingest_measurements(raw, actor_id=metric.owner_id, now=now)
    assert result.ok, result.error
    return result.data


def labels() -> dict[int, str]:
    return {m.id: m.external_id or f"#{m.value.normalize():f}" for m in Measurement.objects.all()}


def outcomes(counts, named: dict[int, str]) -> list:
    return [
        (o.index, o.outcome.value, sorted(f.field for f in o.fields) if o.fields else named[o.id])
        for o in counts.outcomes()
    ]


def stored_rows() -> dict:
    """Each row's values as JSON-safe text, with the batch (1 or 2) that wrote it last."""
    from audit.trail import snapshot

    rows = {}
    for m in Measurement.objects.all():
        s = snapshot(m, ["value", "original_value", "original_unit", "measured_at", "note"])
        label = m.external_id or f"#{m.value.normalize():f}"
        batch = 1 if m.updated == NOW else 2
        rows[label] = (
            s["value"],
            s["original_value"],
            s["original_unit"],
            s["measured_at"],
            s["note"],
            m.source,
            m.external_id,
            batch,
        )
    return rows


def audit_trail(metric, named):
    entries = AuditEntry.objects.filter(subject_type="measurement").order_by("id")
    found = []
    for entry in entries:
        assert entry.owner_id == entry.actor_id == metric.owner_id
        assert entry.metric_id == metric.id
        assert (entry.channel, entry.correlation_id) == ("api", CORRELATION)
        changes = {
            field: ["M" if field == "metric_id" and v == metric.id else v for v in pair]
            for field, pair in entry.changes.items()
        }
        found.append((entry.action, named[entry.subject_id], changes))
    return found, [entry.summary for entry in entries]


def events(metric, named):
    found = []
    for event in Event.objects.filter(subject_type="measurement").order_by("id"):
        data = event.data
        assert data["id"] == event.subject_id and data["metric_id"] == metric.id
        assert data["unit"] == "kg" and data["source"] == "api"
        stored = Measurement.objects.get(id=event.subject_id)
        assert data["external_id"] == stored.external_id
        assert (event.channel, event.correlation_id) == ("api", CORRELATION)
        assert event.affected == [f"metric:{metric.id}"]
        found.append((event.type, named[event.subject_id]))
    return found


def test_insert_then_mixed_batches_match_the_golden_expectation(path, metric):
    later = NOW + dt.timedelta(hours=1)
    first = send(metric, FIRST)
    named = labels()
    assert (first.created, first.updated, first.unchanged, first.rejected) == (5, 0, 0, 0)
    assert outcomes(first, named) == GOLDEN_FIRST["outcomes"]

    second = send(metric, SECOND, now=later)
    named = labels()
    counts = (second.created, second.updated, second.unchanged, second.rejected)
    assert counts == GOLDEN_SECOND["counts"]
    assert outcomes(second, named) == GOLDEN_SECOND["outcomes"]

    rows = stored_rows()
    assert rows == GOLDEN_ROWS
    trail, summaries = audit_trail(metric, named)
    assert trail == GOLDEN_AUDIT
    assert summaries == GOLDEN_SUMMARIES
    assert events(metric, named) == GOLDEN_EVENTS
    updated = {m.external_id: m for m in Measurement.objects.filter(external_id__in="be")}
    assert {m.updated for m in updated.values()} == {later}
    assert {m.created for m in updated.values()} == {NOW}


def test_an_unchanged_batch_writes_no_row_no_entry_and_no_event(path, metric):
    send(metric, FIRST)
    before = (
        list(Measurement.objects.values_list("id", "updated")),
        AuditEntry.objects.count(),
        Event.objects.count(),
    )
    again = send(
        metric, [item for item in FIRST if "external_id" in item], now=NOW + dt.timedelta(1)
    )
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 0)
    after = (
        list(Measurement.objects.values_list("id", "updated")),
        AuditEntry.objects.count(),
        Event.objects.count(),
    )
    assert after == before


def _ingest(metric, rows, origin):
    with transaction.atomic(), recording(), bind(CORRELATION, channel=Channel.TASK):
        return executors.ingest_rows(
            owner_id=metric.owner_id, rows=rows, source=Source.PROVIDER, now=NOW, origin=origin
        )


def test_a_sync_runs_origin_is_stamped_on_what_it_creates_and_updates_only(path, metric):
    items = [
        {
            "metric_id": metric.id,
            "value": v,
            "measured_at": "2026-01-05T07:00:00Z",
            "external_id": k,
        }
        for k, v in (("p", "1"), ("q", "2"))
    ]
    rows, refused = prepare_rows(items, {metric.id: "kg"})
    assert refused == []
    _ingest(metric, rows, {"data_source_id": 7, "sync_run_id": 70})
    items[1]["value"] = "3"
    rows, _ = prepare_rows(items, {metric.id: "kg"})
    counts = _ingest(metric, rows, {"data_source_id": 7, "sync_run_id": 71})
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 1)
    stamped = dict(Measurement.objects.values_list("external_id", "sync_run_id"))
    assert stamped == {"p": 70, "q": 71}
    assert set(Measurement.objects.values_list("source", flat=True)) == {"provider"}
    channels = set(AuditEntry.objects.values_list("channel", "correlation_id"))
    assert channels == {("task", CORRELATION)}


def test_rows_without_external_ids_keep_their_order_and_ids(path, metric):
    values = [Decimal(n) / 4 for n in range(1, 41)]
    items = [
        {"metric_id": metric.id, "value": str(v), "measured_at": "2026-01-05T07:00:00Z"}
        | ({"external_id": f"k{i}"} if i % 3 == 0 else {})
        for i, v in enumerate(values)
    ]
    counts = send(metric, items)
    assert counts.created == 40
    by_id = dict(Measurement.objects.values_list("id", "value"))
    assert [by_id[o.id] for o in counts.outcomes()] == values
    assert sorted(by_id) == [o.id for o in counts.outcomes()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement count is PostgreSQL's")
def test_a_batch_of_1000_costs_a_fixed_handful_of_statements(metric, django_assert_max_num_queries):
    """One statement upserts the rows and one writes their audit entries, however many
    there are; the rest is the request's own (its metrics, the transaction) and what
    follows any write of measurements (the rollup, what is built on the metric, the
    events): 14 today, pinned with room for one."""
    start = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    items = [
        {
            "metric_id": metric.id,
            "value": str(70 + i % 20),
            "measured_at": (start + dt.timedelta(minutes=i)).isoformat(),
            "external_id": f"n{i}",
        }
        for i in range(1000)
    ]
    send(metric, items[:500])
    for item in items[:250]:
        item["note"] = "changed"
    with django_assert_max_num_queries(15) as captured:
        counts = send(metric, items)
    assert (counts.created, counts.updated, counts.unchanged) == (500, 250, 250)
    assert AuditEntry.objects.filter(subject_type="measurement").count() == 1250
    statements = [query["sql"] for query in captured.captured_queries]
    measurement_writes = [sql for sql in statements if 'INTO "measurements_measurement"' in sql]
    audit_writes = [sql for sql in statements if 'INTO "audit_auditentry"' in sql]
    assert len(measurement_writes) == len(audit_writes) == 1
    assert "ON CONFLICT" in measurement_writes[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="arrays are bound on PostgreSQL")
def test_no_statement_of_a_batch_grows_with_it(metric):
    """Values and ids travel as bound arrays, however many: 10,000 new rows' ids
    written into the rollup's statement as text cost more to send and to plan than
    the statement took to run."""
    start = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)

    def longest_statement(size: int, first: int) -> int:
        items = [
            {
                "metric_id": metric.id,
                "value": "70",
                "measured_at": (start + dt.timedelta(minutes=first + i)).isoformat(),
                "external_id": f"g{first + i}",
            }
            for i in range(size)
        ]
        with CaptureQueriesContext(connection) as captured:
            assert send(metric, items).created == size
        return max(len(query["sql"]) for query in captured.captured_queries)

    assert longest_statement(2000, 0) == longest_statement(10, 2000)


def test_a_values_model_as_the_rows_hold_it():
    """`prepare_rows` builds its rows without validating twice: what it builds is
    what validating would."""
    items = [
        {"metric_id": 1, "value": "180", "unit": "lb", "measured_at": "2026-01-05T08:00:00+01:00"}
    ]
    rows, refused = prepare_rows(items, {1: "kg"})
    assert refused == []
    built = rows[0].values
    assert MeasurementValues.model_validate(built.model_dump()) == built
