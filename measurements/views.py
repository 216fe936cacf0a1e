"""Metric pages and measurement entry."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from config.forms import apply_error, apply_validation_error
from config.navigation import safe_next
from config.numbers import plain
from config.request_context import Phase, set_phase
from config.revalidation import trigger_revalidation

from . import selectors
from .contracts import CreateMetric, MeasurementData, RecordMeasurement
from .forms import HistoryFilterForm, MetricForm, QuickEntryForm
from .orchestrators import create_metric, record_measurement


def _owned_metric(request, metric_id: int):
    set_phase(Phase.AUTHORIZE)
    return selectors.metric_for_owner(metric_id=metric_id, owner_id=request.user.id)


def recorded_words(data: MeasurementData, unit: str) -> str:
    """ "81.4 kg", or "180 lb (81.65 kg)" for a value typed in another unit."""
    stored = f"{plain(data.value)} {unit}"
    if not data.original_unit:
        return stored
    shown = plain(data.value.quantize(Decimal("0.01")))
    return f"{plain(data.original_value)} {data.original_unit} ({shown} {unit})"


def _metric_context(metric, entry_form: QuickEntryForm, query=None) -> dict:
    """The metric page: quick entry, and one page of history within the date range
    the query asks for."""
    query = query if query is not None else {}
    history = HistoryFilterForm(query)
    since = until = None
    if history.is_valid():
        zone = timezone.get_current_timezone()
        if history.cleaned_data["start"]:
            since = dt.datetime.combine(history.cleaned_data["start"], dt.time.min, tzinfo=zone)
        if history.cleaned_data["end"]:
            next_day = history.cleaned_data["end"] + dt.timedelta(days=1)
            until = dt.datetime.combine(next_day, dt.time.min, tzinfo=zone)
    after = selectors.Cursor.decode(query.get("after"))
    page = selectors.measurements_page(metric_id=metric.id, after=after, since=since, until=until)
    older = None
    if page.next_cursor is not None:
        params = {k: v for k, v in query.items() if k in ("start", "end") and v}
        older = urlencode({**params, "after": page.next_cursor.encode()})
    return {
        "metric": metric,
        "measurements": page.rows,
        "older_query": older,
        "is_first_page": after is None,
        "history_form": history,
        "entry_form": entry_form,
    }


@require_http_methods(["GET", "POST"])
def metric_list(request):
    form = MetricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = create_metric(
            CreateMetric(**form.cleaned_data), actor_id=request.user.id, now=timezone.now()
        )
        if result.ok:
            messages.success(request, f"Metric “{result.data.name}” created.")
            return redirect("measurements:detail", metric_id=result.data.id)
        apply_error(form, result.error)
    set_phase(Phase.RENDER)
    metrics = selectors.metrics_for_owner(owner_id=request.user.id)
    return render(request, "measurements/metric_list.html", {"form": form, "metrics": metrics})


@require_GET
def metric_detail(request, metric_id: int, fragment: str | None = None):
    metric = _owned_metric(request, metric_id)
    set_phase(Phase.RENDER)
    context = _metric_context(metric, QuickEntryForm(), request.GET)
    template = "measurements/metric_detail.html"
    return render(request, f"{template}#{fragment}" if fragment else template, context)


@require_POST
def measurement_record(request, metric_id: int):
    """Quick entry. An HTMX request gets a fresh form back (or the form with its
    errors) and events for the metric and everything built on it."""
    metric = _owned_metric(request, metric_id)
    form = QuickEntryForm(request.POST, metric_unit=metric.unit)
    result = None
    if form.is_valid():
        try:
            reading = form.cleaned_data["value"]
            command = RecordMeasurement(
                metric_id=metric.id,
                value=reading.value,
                original_value=reading.original_value,
                original_unit=reading.original_unit,
                measured_at=form.cleaned_data["measured_at"] or timezone.now(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            result = record_measurement(command, actor_id=request.user.id, now=timezone.now())
            if not result.ok:
                apply_error(form, result.error)
    set_phase(Phase.RENDER)
    recorded = result is not None and result.ok
    if not request.htmx:
        if recorded:
            messages.success(request, f"Recorded {recorded_words(result.data, metric.unit)}.")
            return redirect(safe_next(request, fallback=metric.get_absolute_url()))
        return render(request, "measurements/metric_detail.html", _metric_context(metric, form))
    context = {
        "metric": metric,
        "entry_form": QuickEntryForm() if recorded else form,
        "recorded": recorded_words(result.data, metric.unit) if recorded else None,
        "next": safe_next(request, fallback=""),
    }
    response = render(request, "measurements/quick_entry.html#quick-entry", context)
    return trigger_revalidation(response, result.affected) if recorded else response
