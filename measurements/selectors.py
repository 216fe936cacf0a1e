"""Reads for metrics and measurements."""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.tuple_lookups import TupleLessThan

from audit.models import Action, AuditEntry
from config.envelope import NotFound

from .dependents import with_reads
from .models import Measurement, Metric


def metrics_for_owner(*, owner_id: int) -> QuerySet[Metric]:
    return Metric.objects.filter(owner_id=owner_id).order_by("name")


def metric_for_owner(*, metric_id: int, owner_id: int) -> Metric:
    """The metric, if it is the owner's; another user's metric does not exist."""
    metric = Metric.objects.filter(id=metric_id, owner_id=owner_id).first()
    if metric is None:
        raise NotFound("There is no such metric.")
    return metric


def metric_for_record(*, metric_id: int, owner_id: int) -> Metric:
    """`metric_for_owner`, for recording a measurement in it: with what the write's
    dependents read of it (`dependents.with_reads`), to pass down to the executor."""
    metric = with_reads(Metric.objects.filter(id=metric_id, owner_id=owner_id)).first()
    if metric is None:
        raise NotFound("There is no such metric.")
    return metric


#: How many of a metric's latest values a typed one is weighed against.
RECENT_VALUES = 5


def metric_for_entry(*, metric_id: int, owner_id: int) -> Metric:
    """`metric_for_record`, with `recent_values`: its latest `RECENT_VALUES` values,
    newest first, read in the same statement (one subquery on the (metric,
    measured_at, id) index), for judging whether a typed value is a slip. The subquery
    is written out: the quick entry reads it on every record, and as five ORM
    subqueries it cost more to compile than to run."""
    recent = RawSQL(_recent_values_sql(connection), [])
    metrics = Metric.objects.filter(id=metric_id, owner_id=owner_id).annotate(recent=recent)
    metric = with_reads(metrics).first()
    if metric is None:
        raise NotFound("There is no such metric.")
    found = metric.recent if connection.vendor == "postgresql" else json.loads(metric.recent)
    metric.recent_values = [Decimal(str(value)) for value in found if value is not None]
    return metric


def _recent_values_sql(connection) -> str:
    """The metric's latest values, newest first: an array on PostgreSQL, a JSON list
    of their texts on SQLite."""
    quote = connection.ops.quote_name
    latest = (
        f"SELECT value FROM {quote(Measurement._meta.db_table)} "
        f"WHERE metric_id = {quote(Metric._meta.db_table)}.id "
        f"ORDER BY measured_at DESC, id DESC LIMIT {RECENT_VALUES}"
    )
    if connection.vendor == "postgresql":
        return f"ARRAY({latest})"
    return f"(SELECT json_group_array(CAST(value AS TEXT)) FROM ({latest}))"


def measurement_for_owner(*, measurement_id: int, owner_id: int) -> Measurement:
    measurement = (
        Measurement.objects.select_related("metric")
        .filter(id=measurement_id, metric__owner_id=owner_id)
        .first()
    )
    if measurement is None:
        raise NotFound("There is no such measurement.")
    return measurement


@dataclass(frozen=True)
class DeletedMeasurement:
    id: int
    metric_id: int
    summary: str


def recently_deleted_measurement(
    *, measurement_id: int, owner_id: int, since: dt.datetime
) -> DeletedMeasurement:
    """The owner's measurement deleted at or after `since` and not restored since;
    otherwise there is nothing to undo and it is not found."""
    entry = (
        AuditEntry.objects.filter(
            subject_type="measurement",
            subject_id=measurement_id,
            owner_id=owner_id,
            action=Action.DELETED,
            at__gte=since,
        )
        .order_by("-at", "-id")
        .values("metric_id", "summary")
        .first()
    )
    if entry is None or Measurement.objects.filter(id=measurement_id).exists():
        raise NotFound("There is no such deleted measurement, or it is too late to undo.")
    return DeletedMeasurement(id=measurement_id, **entry)


@dataclass(frozen=True)
class Cursor:
    """Where a page of a metric's history ends: the last row's time and id. Keyset,
    not OFFSET, so page 1,000 costs what page 1 costs, and rows with equal times are
    neither skipped nor repeated."""

    measured_at: dt.datetime
    id: int

    def encode(self) -> str:
        micros = (self.measured_at - EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}.{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> "Cursor | None":
        """The cursor a link carries, or None for the first page (and for nonsense)."""
        try:
            micros, row_id = (int(part) for part in (text or "").split("."))
            moment = EPOCH + dt.timedelta(microseconds=micros)
        except (ValueError, OverflowError):
            return None
        if not 0 < row_id <= LARGEST_ID:
            return None
        return cls(measured_at=moment, id=row_id)


#: The largest id a row can have (a 64-bit signed column); a cursor naming a larger one
#: was not given out, and SQLite could not even bind it.
LARGEST_ID = 2**63 - 1


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class MeasurementPage:
    rows: list[Measurement]
    next_cursor: Cursor | None


#: Above this many metrics, an owner-wide page is one plain query rather than one
#: branch a metric (SQLite refuses more than 500 branches in one statement anyway).
MERGED_METRICS_MAX = 200


def before(cursor: Cursor) -> TupleLessThan:
    """Rows that come after `cursor` in newest-first order, as the row comparison
    `(measured_at, id) < (cursor's time, cursor's id)`. PostgreSQL reads it as one range
    of the (metric, measured_at DESC, id DESC) index, so a page deep in the history is
    read from where it begins; written as `a < x OR (a = x AND b < y)` it would be read
    from the newest row on, every newer row read and thrown away."""
    return TupleLessThan((F("measured_at"), F("id")), (cursor.measured_at, cursor.id))


def measurements_page(
    *,
    metric_id: int | None = None,
    owner_id: int | None = None,
    after: Cursor | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    size: int = 50,
) -> MeasurementPage:
    """One page of a metric's measurements (or of all the owner's), newest first,
    optionally within [since, until), continuing after `after`."""
    if metric_id is not None and not _storable_id(metric_id):
        return MeasurementPage(rows=[], next_cursor=None)
    rows = Measurement.objects.all()
    if since is not None:
        rows = rows.filter(measured_at__gte=since)
    if until is not None:
        rows = rows.filter(measured_at__lt=until)
    if after is not None:
        rows = rows.filter(before(after))
    if metric_id is None and owner_id is not None:
        found = _owner_page(rows, owner_id=owner_id, limit=size + 1)
    else:
        rows = rows.select_related("metric")
        if metric_id is not None:
            rows = rows.filter(metric_id=metric_id)
        if owner_id is not None:
            rows = rows.filter(metric__owner_id=owner_id)
        found = list(rows.order_by("-measured_at", "-id")[: size + 1])
    page = found[:size]
    last = page[-1] if len(found) > size else None
    return MeasurementPage(
        rows=page, next_cursor=Cursor(last.measured_at, last.id) if last else None
    )


def _storable_id(value: int) -> bool:
    """Whether `value` fits an id column: a larger one names nothing (SQLite would
    refuse to compare with it)."""
    low, high = connection.ops.integer_field_range("BigAutoField")
    return low <= value <= high


def _owner_page(rows: QuerySet[Measurement], *, owner_id: int, limit: int) -> list[Measurement]:
    """The newest `limit` of `rows` over all the owner's metrics. There is no index on
    time across metrics, and one would serve every owner's rows at once; so each metric
    gives its newest `limit` from its own index and PostgreSQL merges those already
    ordered lists (a Merge Append), reading about `limit` rows however many there are."""
    metrics = {metric.id: metric for metric in Metric.objects.filter(owner_id=owner_id)}
    newest = ("-measured_at", "-id")
    if not metrics:
        return []
    mergeable = connection.features.supports_slicing_ordering_in_compound
    if len(metrics) == 1 or len(metrics) > MERGED_METRICS_MAX or not mergeable:
        found = list(rows.filter(metric_id__in=list(metrics)).order_by(*newest)[:limit])
    else:
        first, *others = (rows.filter(metric_id=key).order_by(*newest)[:limit] for key in metrics)
        found = list(first.union(*others, all=True).order_by(*newest)[:limit])
    for row in found:
        row.metric = metrics[row.metric_id]
    return found


def measurements_for_export(
    *, metric_id: int, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> QuerySet[Measurement]:
    """A metric's measurements in [since, until), oldest first, for a streamed export."""
    rows = Measurement.objects.filter(metric_id=metric_id)
    if since is not None:
        rows = rows.filter(measured_at__gte=since)
    if until is not None:
        rows = rows.filter(measured_at__lt=until)
    return rows.order_by("measured_at", "id")
