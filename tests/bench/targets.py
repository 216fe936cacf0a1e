"""The performance targets P1-P4, each a ratio against its baseline, measured in one
run and printed beside the target:

- P1: the quick entry's round trip (`measurements:record`, the HTMX POST of the form)
  against a bare view behind the same middleware and session that reads the same form
  and inserts one row; and the quick entry's SQL statements with 1, 10 and 30 goals on
  the metric.
- P2: the dashboard (`goals:dashboard`) of a user with 50 goals and `p2_rows`
  measurements over three years against the same dashboard of a user with 1,000.
- P3: batch ingest through the API (10,000 items a request) against COPY of the same
  rows and their audit entries into the same indexed tables (a throughput ratio).
- P4: a page of a metric's history 90 % deep against its first page, through the API
  (`/api/v1/measurements?metric_id=&cursor=`), on the page (`measurements:detail?after=`,
  charts included) and in the page's list alone (`measurements:measurements?after=`),
  on P2's big user.

A run is `k` interleaved requests of each path; its ratio is the ratio of their
medians. A goal's ratio is the median of `n` runs, shown with the smallest and largest
run. Each goal is measured on its own: one that fails is reported as an error and the
others still run, so the report survives the code under measurement changing shape.
"""

import datetime as dt
import gc
import importlib
import inspect
import json
import statistics
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management import call_command, get_commands
from django.db import connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from pydantic import SecretStr

from accounts.contracts import CreateApiToken, SignUp
from accounts.orchestrators import create_api_token, sign_up
from goals.contracts import CreateGoal, GoalFields, NewMetric
from goals.orchestrators import create_goal
from measurements.models import Measurement, Metric

from . import urls as bench_urls
from .ingest import BATCH, Batches
from .ingest import URL as BATCH_URL
from .seed import TIME_ZONE, seed_account
from .timing import Path, shorten, table

HTMX = {"HX-Request": "true"}
VALUE = "81.4"
UNIT = "kg"
STATEMENT_GOALS = (1, 10, 30)
MAX_STATEMENTS = 8
DASHBOARD_GOALS = 50
SMALL_ROWS = 1_000
YEARS = 3
DEEP = 0.9
#: Requests of each path per run, before any time budget cuts them.
PER_RUN = {"P1": 20, "P2": 7, "P3": 1, "P4": 10}
#: Seconds each goal's timed runs may take; past them `k`, then `n`, shrink.
BUDGET = {"P1": 15.0, "P2": 25.0, "P3": 30.0, "P4": 18.0}
MIN_RUNS = 3
#: The big user's metrics: (name, unit, share of the rows, value of row i).
METRICS = (
    ("Heart rate", "bpm", 0.7, lambda i: Decimal(55 + i % 60)),
    ("Weight", "kg", 0.1, lambda i: Decimal(700 + i % 200) / 10),
    ("Running distance", "km", 0.1, lambda i: Decimal(20 + i % 130) / 10),
    ("Sleep", "h", 0.1, lambda i: Decimal(50 + i % 45) / 10),
)


def _say(message: str) -> None:
    print(f"targets: {message}", file=sys.stderr, flush=True)


# The bare quick entry (P1's baseline) -----------------------------------------------------


@require_POST
def bare_record(request, metric_id: int):
    """The quick-entry form read and one row inserted, then a 204: no ownership
    check, orchestrator, executor, audit entry, event or template."""
    from measurements.forms import QuickEntryForm

    form = QuickEntryForm(request.POST, metric_unit=UNIT)
    if not form.is_valid():
        return HttpResponse(status=400)
    reading = form.cleaned_data["value"]
    now = timezone.now()
    Measurement.objects.create(
        metric_id=metric_id,
        value=reading.value,
        original_value=reading.original_value,
        original_unit=reading.original_unit,
        measured_at=form.cleaned_data.get("measured_at") or now,
        note=form.cleaned_data.get("note") or "",
        submission_token=form.cleaned_data.get("submission_token"),
        created=now,
        updated=now,
    )
    return HttpResponse(status=204)


urlpatterns = [
    path("bench/targets/record/<int:metric_id>/", bare_record, name="bench-targets-record"),
    path("", include(bench_urls)),
]
handler400 = bench_urls.handler400
handler403 = bench_urls.handler403
handler404 = bench_urls.handler404
handler500 = bench_urls.handler500


# Results ----------------------------------------------------------------------------------


@dataclass
class Row:
    goal: str
    target: str
    passes: Callable[[float], bool] | None = None
    ratios: list[float] = field(default_factory=list)
    statements: str = "-"
    value: float | None = None
    """A measured number other than a ratio (a statement count)."""
    error: str = ""

    def cells(self) -> list[str]:
        if self.error:
            return [
                self.goal,
                "error",
                "-",
                self.target,
                self.statements,
                f"**error**: {self.error}",
            ]
        if self.value is not None:
            measured, spread = f"{self.value:g}", "-"
        elif self.ratios:
            measured = f"{statistics.median(self.ratios):.2f}x"
            spread = f"{min(self.ratios):.2f}-{max(self.ratios):.2f}"
        else:
            return [self.goal, "-", "-", self.target, self.statements, "not measured"]
        shown = self.value if self.value is not None else statistics.median(self.ratios)
        verdict = "-" if self.passes is None else ("pass" if self.passes(shown) else "**miss**")
        return [self.goal, measured, spread, self.target, self.statements, verdict]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def _measured(report: Report, rows: list[Row], label: str, measure: Callable[[], None]) -> None:
    """Run one goal's measurement; on failure its rows say so and the bench goes on."""
    started = time.perf_counter()
    _say(f"{label}…")
    try:
        measure()
    except Exception as exc:
        message = f"{type(exc).__name__}: {str(exc)[:160]}"
        for row in rows:
            if not row.ratios and row.value is None:
                row.error = message
        report.details.append(f"### {label}: error\n\n```\n{traceback.format_exc()[-3000:]}```")
    _say(f"{label}: {time.perf_counter() - started:.1f} s")


def _runs(runs: int, per_run: int, seconds_per_request: float, budget: float) -> tuple[int, int]:
    """(n, k) for a goal: `k` requests per path per run shrink first, then `n` runs
    (never below `MIN_RUNS`), so that n x k rounds fit the budget."""
    k = per_run
    while k > 1 and runs * k * seconds_per_request > budget:
        k -= 1
    n = runs
    while n > MIN_RUNS and n * k * seconds_per_request > budget:
        n -= 1
    return n, k


def _timed(paths: list[Path], n: int, k: int) -> tuple[list[float], list[list[float]]]:
    """n runs of k rounds, each round one request of every path, in alternating order
    so that neither always follows the other. Each run's ratio is the first path's
    median over the second's. Nothing is captured while the clock runs."""
    seconds: list[list[float]] = [[] for _ in paths]
    gc.collect()
    for round_ in range(n * k):
        order = list(enumerate(paths))
        for index, each in order if round_ % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            response = each.send()
            seconds[index].append(time.perf_counter() - started)
            each.check(response)
    first, second = seconds[0], seconds[1]
    ratios = [
        statistics.median(first[i * k : (i + 1) * k])
        / statistics.median(second[i * k : (i + 1) * k])
        for i in range(n)
    ]
    return ratios, seconds


def _probe(each: Path) -> tuple[float, list[str]]:
    """One checked request, its seconds (to size the runs) and its SQL."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        each.once()
        elapsed = time.perf_counter() - started
    return elapsed, [query["sql"] for query in queries.captured_queries]


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:,.1f} ms"


def _ok(result):
    if not result.ok:
        raise RuntimeError(f"Seeding failed: {result.error.message}")
    return result.data


# Seeding ----------------------------------------------------------------------------------


def _user(username: str):
    from django.contrib.auth import get_user_model

    data = _ok(
        sign_up(
            SignUp(
                username=username,
                password=SecretStr("bench-password-2026"),
                time_zone=TIME_ZONE,
            ),
            now=timezone.now(),
        )
    )
    return get_user_model().objects.get(id=data.user_id)


def _goal_fields(i: int, today: dt.date) -> GoalFields:
    """The i-th goal of a mix of kinds (reach, range, quota, total, daily range) and
    start dates from a week to two years back."""
    start = today - dt.timedelta(days=(7, 30, 90, 180, 365, 730)[i % 6])
    end = today + dt.timedelta(days=60)
    kind = i % 5
    title = f"Goal {i + 1}"
    if kind == 0:
        return GoalFields(
            title=title,
            kind="reach",
            start_value=Decimal("90"),
            target=Decimal("60"),
            start_date=start,
            deadline=end,
            aggregation="min",
        )
    if kind == 1:
        return GoalFields(
            title=title,
            kind="range",
            target_low=Decimal("50"),
            target_high=Decimal("100"),
            period="week",
            period_aggregation="mean",
            start_date=start,
            aggregation="mean",
        )
    if kind == 2:
        return GoalFields(
            title=title,
            kind="quota",
            target=Decimal("5"),
            period="week",
            comparison="at_least",
            start_date=start,
            aggregation="count",
        )
    if kind == 3:
        return GoalFields(
            title=title,
            kind="total",
            target=Decimal("100000"),
            start_date=start,
            deadline=end,
            aggregation="sum",
        )
    return GoalFields(
        title=title,
        kind="range",
        target_low=Decimal("1"),
        target_high=Decimal("2000"),
        period="day",
        period_aggregation="sum",
        start_date=start,
        aggregation="sum",
    )


def _goals_on(user_id: int, metric_id: int | None, numbers: range, new_metric=None) -> int:
    """Goals `numbers` of the mix on one metric (a new one when `new_metric`); the
    metric's id."""
    now = timezone.now()
    today = timezone.localdate(now, timezone=ZoneInfo(TIME_ZONE))
    for i in numbers:
        fields = _goal_fields(i, today)
        if metric_id is None:
            command = CreateGoal(fields=fields, new_metric=new_metric)
        else:
            command = CreateGoal(fields=fields, metric_id=metric_id)
        metric_id = _ok(create_goal(command, actor_id=user_id, now=now)).metric_id
    return metric_id


def _dashboard_user(username: str) -> tuple[object, list[int]]:
    """A user with 50 goals over the metrics of `METRICS`, spread round-robin."""
    user = _user(username)
    metric_ids = []
    for index, (name, unit, _share, _value) in enumerate(METRICS):
        numbers = range(index, DASHBOARD_GOALS, len(METRICS))
        metric_ids.append(_goals_on(user.id, None, numbers, NewMetric(name=name, unit=unit)))
    return user, metric_ids


def _db_template(model, **values) -> tuple[list[str], dict[str, object]]:
    """The model's columns (its concrete fields but the key) and each column's stored
    form of `values` or of the field's default, for COPY: new fields with defaults
    need no change here."""
    instance = model(**values)
    columns, stored = [], {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(model_field.column)
        value = getattr(instance, model_field.attname)
        stored[model_field.column] = model_field.get_db_prep_save(value, connection)
    return columns, stored


def _copy(model, columns: list[str], rows: Iterable[tuple]) -> int:
    table_name = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table_name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return cursor.cursor.rowcount


def _text(value) -> str:
    """A value as COPY's text format writes it."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if not isinstance(value, str | int | Decimal | uuid.UUID):
        raise TypeError(f"no COPY text for {type(value).__name__}")
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _history(metric_ids: list[int], total: int, now: dt.datetime) -> None:
    """`total` measurements over the last `YEARS` years, shared among the metrics by
    `METRICS`' shares, evenly spaced within each, written by COPY in its text format
    (a million rows through `write_row` take half a minute)."""
    span = dt.timedelta(days=365 * YEARS)
    varying = ["value", "measured_at"]
    for metric_id, (_name, _unit, share, value) in zip(metric_ids, METRICS, strict=True):
        count = max(1, round(total * share))
        step = span / count
        columns, stored = _db_template(
            Measurement,
            metric_id=metric_id,
            value=Decimal(0),
            measured_at=now,
            created=now,
            updated=now,
        )
        fixed = [column for column in columns if column not in varying]
        prefix = "".join(_text(stored[column]) + "\t" for column in fixed)
        table_name = connection.ops.quote_name(Measurement._meta.db_table)
        names = ", ".join(connection.ops.quote_name(column) for column in fixed + varying)
        statement = f"COPY {table_name} ({names}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for start in range(0, count, 20_000):
                copy.write(
                    "".join(
                        f"{prefix}{value(i)}\t{(now - step * (i + 1)).isoformat()}\n"
                        for i in range(start, min(start + 20_000, count))
                    )
                )


def _rebuild_rollups(metric_ids: list[int]) -> str:
    """After a COPY or bulk insert: rebuild whatever rollup of measurements the app
    keeps, by its management command or by a rebuild function that takes nothing or
    the metrics' ids."""
    rollups = [model for model in apps.get_models() if "rollup" in model.__name__.lower()]
    if not rollups:
        return "no rollup model: nothing to rebuild"
    names = ", ".join(f"`{model._meta.label}`" for model in rollups)
    commands = sorted(name for name in get_commands() if "rollup" in name)
    if commands:
        call_command(commands[0], verbosity=0)
        return f"{names} rebuilt by `manage.py {commands[0]}`"
    for app_name in sorted({model._meta.app_label for model in rollups} | {"measurements"}):
        for module_name in ("rollup", "rollups", "executors", "tasks"):
            try:
                module = importlib.import_module(f"{app_name}.{module_name}")
            except ImportError:
                continue
            for name, function in vars(module).items():
                lowered = name.lower()
                if not callable(function) or "rollup" not in lowered:
                    continue
                if not any(word in lowered for word in ("rebuild", "backfill")):
                    continue
                try:
                    required = [
                        p.name
                        for p in inspect.signature(function).parameters.values()
                        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                    ]
                except (TypeError, ValueError):
                    continue
                if not required:
                    function()
                elif required == ["metric_ids"]:
                    function(metric_ids)
                else:
                    continue
                return f"{names} rebuilt by `{app_name}.{module_name}.{name}`"
    return f"{names} exists, but no rollup command or rebuild function found: not rebuilt"


def _settle_days() -> str:
    """What a running scheduler's `settle_days` chore would have done by now (the days
    that are over summed once), when the app has that chore."""
    from background.scheduler import CHORES

    chores = {chore.name: chore for chore in CHORES}
    if "settle_days" not in chores:
        return "no settle_days chore"
    return chores["settle_days"].run(timezone.now())


def _account(username: str):
    """`seed_account`'s user, its rollups (if any) rebuilt after the bulk insert."""
    account = seed_account(username=username)
    _rebuild_rollups(list(Metric.objects.filter(owner=account.user).values_list("id", flat=True)))
    _settle_days()
    return account


def _analyze() -> None:
    tables = [model._meta.db_table for model in apps.get_app_config("measurements").get_models()]
    with connection.cursor() as cursor:
        for name in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(name)}")


@dataclass
class Seeded:
    big: object
    small: object
    big_metrics: list[int]
    rows: int
    seconds: float
    """Making the users and goals, and the COPY."""
    rollups: str


def seed_dashboards(p2_rows: int) -> Seeded:
    started = time.perf_counter()
    now = timezone.now()
    big, big_metrics = _dashboard_user("targets-big")
    small, small_metrics = _dashboard_user("targets-small")
    _history(big_metrics, p2_rows, now)
    _history(small_metrics, SMALL_ROWS, now)
    copied = time.perf_counter() - started
    rollups = _rebuild_rollups(big_metrics + small_metrics)
    rolled = time.perf_counter() - started - copied
    rollups += f" ({rolled:.0f} s); the scheduler's chore: {_settle_days()}"
    rollups += f" ({time.perf_counter() - started - copied - rolled:.0f} s)"
    _analyze()
    return Seeded(big, small, big_metrics, p2_rows, copied, rollups)


# P1 ---------------------------------------------------------------------------------------


def _body() -> dict[str, str]:
    return {"value": VALUE, "submission_token": str(uuid.uuid4())}


def _status(expected: int, what: str) -> Callable[[object], None]:
    def check(response) -> None:
        if response.status_code != expected:
            raise AssertionError(
                f"{what}: expected {expected}, got {response.status_code}: "
                f"{response.content[:200]!r}"
            )

    return check


def p1(report: Report, runs: int, warmup: int) -> None:
    ratio = Row("P1 quick entry / bare insert (round trip)", "≤ 1.5x", lambda r: r <= 1.5)
    counts = {
        goals: Row(
            f"P1 quick-entry statements, {goals} goal{'s' if goals > 1 else ''} on the metric",
            f"≤ {MAX_STATEMENTS}",
            lambda c: c <= MAX_STATEMENTS,
        )
        for goals in STATEMENT_GOALS
    }
    report.rows += [ratio, *counts.values()]

    def measure() -> None:
        account = _account("targets-entry")
        client = Client()
        client.force_login(account.user)
        with override_settings(ROOT_URLCONF=__name__):
            record_url = reverse("measurements:record", args=[account.metric_id])
            bare_url = reverse("bench-targets-record", args=[account.metric_id])
            record = Path(
                "quick entry",
                lambda: client.post(record_url, _body(), headers=HTMX),
                _status(200, "quick entry"),
            )
            bare = Path(
                "bare insert",
                lambda: client.post(bare_url, _body(), headers=HTMX),
                _status(204, "bare insert"),
            )
            before = Measurement.objects.filter(metric_id=account.metric_id).count()
            for _ in range(warmup):
                record.once()
                bare.once()
            record_seconds, record_sql = _probe(record)
            bare_seconds, bare_sql = _probe(bare)
            n, k = _runs(runs, PER_RUN["P1"], record_seconds + bare_seconds, BUDGET["P1"])
            ratio.ratios, (record_times, bare_times) = _timed([record, bare], n, k)
            written = Measurement.objects.filter(metric_id=account.metric_id).count() - before
            posted = 2 * (warmup + 1 + n * k)
            if written != posted:
                raise AssertionError(f"{posted} POSTs wrote {written} measurements")
            ratio.statements = f"{len(record_sql)} / {len(bare_sql)}"
            report.notes.append(
                f"P1: n = {n} runs of k = {k} requests per path after {warmup + 1} warm-up; "
                f"medians {_ms(record_times)} (`POST {record_url}`, HTMX, a metric with "
                f"{account.goals_on_metric} goals and {account.history:,} measurements) and "
                f"{_ms(bare_times)} (a bare view behind the same middleware and session: "
                "`QuickEntryForm` read, one INSERT, 204). Statements: quick entry / bare."
            )
        listings = []
        for goals, row in counts.items():
            metric_id = _goals_on(
                account.user.id, None, range(goals), NewMetric(name=f"Entry {goals}", unit=UNIT)
            )
            url = reverse("measurements:record", args=[metric_id])
            entry = Path(
                "quick entry",
                lambda url=url: client.post(url, _body(), headers=HTMX),
                _status(200, "quick entry"),
            )
            entry.once()
            with CaptureQueriesContext(connection) as queries:
                entry.once()
            row.value = len(queries.captured_queries)
            row.statements = str(row.value)
            if goals != max(STATEMENT_GOALS):
                continue
            listings.append(
                f"#### {goals} goal{'s' if goals > 1 else ''}: {row.value} statements\n\n"
                + "\n".join(
                    f"{i}. `{shorten(q['sql'])}`" for i, q in enumerate(queries.captured_queries, 1)
                )
            )
        report.details.append("### P1: SQL of one quick entry\n\n" + "\n\n".join(listings))

    _measured(report, [ratio, *counts.values()], "P1", measure)


# P2 ---------------------------------------------------------------------------------------


def _rendered(what: str, *words: str) -> Callable[[object], None]:
    """A 200 whose page shows `words` (a dashboard shows its last goal's title)."""
    ok = _status(200, what)

    def check(response) -> None:
        ok(response)
        for word in words:
            if word.encode() not in response.content:
                raise AssertionError(f"{what}: {word!r} is not on the page")

    return check


def p2(report: Report, runs: int, seeded: Seeded | None) -> None:
    row = Row(
        f"P2 dashboard, {DASHBOARD_GOALS} goals: {seeded.rows if seeded else 0:,} / "
        f"{SMALL_ROWS:,} measurements",
        "≤ 1.2x",
        lambda r: r <= 1.2,
    )
    report.rows.append(row)

    def measure() -> None:
        if seeded is None:
            raise RuntimeError("the big and small users were not seeded")
        url = reverse("goals:dashboard")
        last_goal = f"Goal {DASHBOARD_GOALS}"
        clients = []
        for user in (seeded.big, seeded.small):
            client = Client()
            client.force_login(user)
            clients.append(client)
        big = Path("big", lambda: clients[0].get(url), _rendered("dashboard (big)", last_goal))
        small = Path(
            "small", lambda: clients[1].get(url), _rendered("dashboard (small)", last_goal)
        )
        big_seconds, big_sql = _probe(big)
        small_seconds, small_sql = _probe(small)
        n, k = _runs(runs, PER_RUN["P2"], big_seconds + small_seconds, BUDGET["P2"])
        row.ratios, (big_times, small_times) = _timed([big, small], n, k)
        row.statements = f"{len(big_sql)} / {len(small_sql)}"
        report.notes.append(
            f"P2: n = {n} runs of k = {k} requests per user after one warm-up; `GET {url}` "
            f"medians {_ms(big_times)} ({seeded.rows:,} measurements) and "
            f"{_ms(small_times)} ({SMALL_ROWS:,}); two users in one database, each with "
            f"{DASHBOARD_GOALS} goals (reach, range, quota, total, daily range; starting "
            f"7 days to 2 years back) over {len(METRICS)} metrics, the rows spread over "
            f"{YEARS} years. Statements: big / small."
        )

    _measured(report, [row], "P2", measure)


# P3 ---------------------------------------------------------------------------------------


def _copy_batch_rows(metric_id: int, owner_id: int, rows: list, now: dt.datetime):
    """The measurements and audit entries COPY writes for one batch, with ids taken
    from the sequence beforehand so that each entry names its measurement."""
    from audit.models import AuditEntry

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Measurement._meta.db_table, len(rows)],
        )
        ids = [found for (found,) in cursor.fetchall()]
    m_columns, m_stored = _db_template(
        Measurement,
        metric_id=metric_id,
        value=Decimal(0),
        measured_at=now,
        source="api",
        created=now,
        updated=now,
    )
    a_columns, a_stored = _db_template(
        AuditEntry,
        at=now,
        owner_id=owner_id,
        actor_id=owner_id,
        action="created",
        subject_type="measurement",
        subject_id=0,
        metric_id=metric_id,
        summary="",
        channel="api",
    )
    m_columns, a_columns = ["id", *m_columns], a_columns
    measurements, entries = [], []
    for measurement_id, (external_id, value, moment) in zip(ids, rows, strict=True):
        row = {**m_stored, "id": measurement_id, "value": value, "measured_at": moment}
        row["external_id"] = external_id
        measurements.append([row[column] for column in m_columns])
        changes = {
            "metric_id": [None, metric_id],
            "value": [None, format(value, "f")],
            "measured_at": [None, moment.astimezone(dt.UTC).isoformat()],
            "source": [None, "api"],
            "external_id": [None, external_id],
            "created": [None, now.astimezone(dt.UTC).isoformat()],
        }
        entry = {
            **a_stored,
            "subject_id": measurement_id,
            "summary": f"{value} {UNIT}",
            "changes": json.dumps(changes),
        }
        entries.append([entry[column] for column in a_columns])
    return (m_columns, measurements), (a_columns, entries)


def p3(report: Report, runs: int) -> None:
    row = Row(
        f"P3 batch ingest, {BATCH:,} items a request: API / COPY (throughput)",
        "≥ 0.5",
        lambda r: r >= 0.5,
    )
    report.rows.append(row)

    def measure() -> None:
        from audit.models import AuditEntry

        account = _account("targets-ingest")
        now = timezone.now()
        token = _ok(
            create_api_token(CreateApiToken(name="bench"), actor_id=account.user.id, now=now)
        )
        made = Batches(account.metric_id, now)
        api_client = Client()
        # Every request and COPY gets fresh rows, made before the clock starts.
        needed = runs + 1
        bodies = iter([made.body() for _ in range(needed)])
        copies = iter(
            [
                _copy_batch_rows(account.metric_id, account.user.id, made.rows(), now)
                for _ in range(needed)
            ]
        )

        def send_api():
            return api_client.post(
                BATCH_URL,
                next(bodies),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token.secret}"},
            )

        def check_api(response) -> None:
            _status(200, "batch")(response)
            if response.json().get("created") != BATCH:
                raise AssertionError(f"batch: {str(response.json())[:200]}")

        def send_copy():
            (m_columns, measurements), (a_columns, entries) = next(copies)
            from django.db import transaction

            with transaction.atomic():
                written = _copy(Measurement, m_columns, measurements)
                written += _copy(AuditEntry, a_columns, entries)
            return written

        def check_copy(written) -> None:
            if written != 2 * BATCH:
                raise AssertionError(f"COPY wrote {written} rows, not {2 * BATCH}")

        api = Path("api", send_api, check_api)
        copy = Path("copy", send_copy, check_copy)
        api_seconds, api_sql = _probe(api)
        copy_seconds, _copy_sql = _probe(copy)
        n, _k = _runs(runs, 1, api_seconds + copy_seconds, BUDGET["P3"])
        row.ratios, (copy_times, api_times) = _timed([copy, api], n, 1)
        row.statements = f"{len(api_sql)} / 2 COPY"
        rate = BATCH / statistics.median(api_times)
        floor = BATCH / statistics.median(copy_times)
        report.notes.append(
            f"P3: n = {n} runs of one {BATCH:,}-item batch per path after one warm-up; "
            f"medians {_ms(api_times)} (`POST {BATCH_URL}`, bearer token, {rate:,.0f} "
            f"rows/s) and {_ms(copy_times)} (COPY of the same rows into "
            f"`{Measurement._meta.db_table}` and one audit entry each into "
            f"`{AuditEntry._meta.db_table}`, with all their indexes, in one transaction, "
            f"ids taken from the sequence beforehand: {floor:,.0f} rows/s; it keeps no "
            "rollup and writes no event). Ratio: the API's rows/s over COPY's. "
            "Statements: the API request's / the baseline's."
        )

    _measured(report, [row], "P3", measure)


# P4 ---------------------------------------------------------------------------------------


def _cursor_at(metric_id: int, position: int) -> str:
    """The cursor the app would give out for the row at `position` (newest first)."""
    from measurements.selectors import Cursor

    measured_at, row_id = (
        Measurement.objects.filter(metric_id=metric_id)
        .order_by("-measured_at", "-id")
        .values_list("measured_at", "id")[position]
    )
    return Cursor(measured_at=measured_at, id=row_id).encode()


def p4(report: Report, runs: int, seeded: Seeded | None) -> None:
    api_row = Row("P4 history 90 % deep / first page: API", "≤ 1.2x", lambda r: r <= 1.2)
    page_row = Row("P4 history 90 % deep / first page: page", "≤ 1.2x", lambda r: r <= 1.2)
    list_row = Row(
        "P4 history 90 % deep / first page: the page's history list", "≤ 1.2x", lambda r: r <= 1.2
    )
    report.rows += [api_row, page_row, list_row]

    def measure() -> None:
        if seeded is None:
            raise RuntimeError("the big user was not seeded")
        metric_id = seeded.big_metrics[0]
        count = Measurement.objects.filter(metric_id=metric_id).count()
        position = int(count * DEEP)
        cursor = _cursor_at(metric_id, position)
        token = _ok(
            create_api_token(
                CreateApiToken(name="history"), actor_id=seeded.big.id, now=timezone.now()
            )
        )
        api_client = Client(headers={"Authorization": f"Bearer {token.secret}"})
        page_client = Client()
        page_client.force_login(seeded.big)

        def items(response) -> None:
            _status(200, "API history")(response)
            if not response.json().get("items"):
                raise AssertionError("API history: an empty page")

        api_first = Path(
            "api first",
            lambda: api_client.get("/api/v1/measurements", {"metric_id": metric_id}),
            items,
        )
        api_deep = Path(
            "api deep",
            lambda: api_client.get(
                "/api/v1/measurements", {"metric_id": metric_id, "cursor": cursor}
            ),
            items,
        )
        page_url = reverse("measurements:detail", args=[metric_id])
        page_first = Path(
            "page first", lambda: page_client.get(page_url), _rendered("history page")
        )
        page_deep = Path(
            "page deep",
            lambda: page_client.get(page_url, {"after": cursor}),
            _rendered("history page"),
        )
        list_url = reverse("measurements:measurements", args=[metric_id])
        list_first = Path(
            "list first", lambda: page_client.get(list_url), _rendered("history list")
        )
        list_deep = Path(
            "list deep",
            lambda: page_client.get(list_url, {"after": cursor}),
            _rendered("history list"),
        )
        lines = []
        for row, deep, first, where in (
            (api_row, api_deep, api_first, "`GET /api/v1/measurements?metric_id=…&cursor=…`"),
            (page_row, page_deep, page_first, f"`GET {page_url}?after=…` (charts included)"),
            (list_row, list_deep, list_first, f"`GET {list_url}?after=…` (the list alone)"),
        ):
            try:
                first.once()
                deep_seconds, deep_sql = _probe(deep)
                first_seconds, first_sql = _probe(first)
                n, k = _runs(runs, PER_RUN["P4"], deep_seconds + first_seconds, BUDGET["P4"] / 3)
                row.ratios, (deep_times, first_times) = _timed([deep, first], n, k)
            except Exception as exc:
                row.error = f"{type(exc).__name__}: {str(exc)[:160]}"
                continue
            row.statements = f"{len(deep_sql)} / {len(first_sql)}"
            lines.append(
                f"{where}: n = {n} runs of k = {k} after warm-up; medians "
                f"{_ms(deep_times)} (deep) and {_ms(first_times)} (first)"
            )
        report.notes.append(
            f"P4: the big user's largest metric, {count:,} measurements; the deep page "
            f"starts after row {position:,} (its cursor built with `Cursor.encode` from "
            "that row). " + "; ".join(lines) + ". Statements: deep / first."
        )

    _measured(report, [api_row, page_row, list_row], "P4", measure)


# The section ------------------------------------------------------------------------------


def run(*, target_runs: int = 7, warmup: int = 20, p2_rows: int = 1_000_000) -> str:
    started = time.perf_counter()
    warmup = min(warmup, 5)
    report = Report()
    seeded = None
    try:
        seeded = seed_dashboards(p2_rows)
        _say(f"seeded in {seeded.seconds:.1f} s; {seeded.rollups}")
    except Exception:
        report.details.append(f"### Seeding: error\n\n```\n{traceback.format_exc()[-3000:]}```")
    p1(report, target_runs, warmup)
    p2(report, target_runs, seeded)
    p4(report, target_runs, seeded)
    p3(report, target_runs)
    elapsed = time.perf_counter() - started
    headers = ["goal", "measured (median)", "min-max of runs", "target", "statements", "result"]
    parts = [
        "## Performance targets (P1-P4)",
        f"Ratios are medians of n runs, each run the ratio of k interleaved requests' "
        f"medians (n ≤ {target_runs}, `--target-runs`; smaller where a time budget "
        "requires, stated below); min-max are the runs' smallest and largest ratios. "
        f"P2 and P4 run on {p2_rows:,} measurements (`--p2-rows`)"
        + (
            f", users, goals and COPY in {seeded.seconds:.0f} s, then VACUUM (ANALYZE); rollups: "
            f"{seeded.rollups}."
            if seeded
            else "; seeding failed (below)."
        )
        + f" The whole section took {elapsed:.0f} s.",
        table(headers, [row.cells() for row in report.rows]),
        *(f"- {note}" for note in report.notes),
        *report.details,
    ]
    return "\n\n".join(parts)
