"""Metric pages and measurement entry."""

import re
from functools import cache, partial
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from config.envelope import FieldError, NotFound, ValidationFailed
from config.errors import error_response
from config.forms import apply_error, apply_validation_error
from config.navigation import safe_next
from config.notices import Notice, notice_response
from config.numbers import plain, quantity
from config.request_context import Phase, set_phase
from config.revalidation import trigger_revalidation

from . import plausible, selectors
from .chart import chart_days, metric_chart
from .contracts import (
    CreateMetric,
    EditMeasurement,
    MeasurementData,
    MeasurementRef,
    RecordMeasurement,
)
from .export import FORMATS, export_response, export_rows
from .forms import HistoryFilterForm, MeasurementForm, MetricForm, QuickEntryForm
from .orchestrators import (
    UNDO_WINDOW,
    create_metric,
    delete_measurement,
    edit_measurement,
    record_measurement,
    undelete_measurement,
)
from .units import Reading

HISTORY_PARAMS = ("start", "end", "after")


def _owned_metric(request, metric_id: int):
    set_phase(Phase.AUTHORIZE)
    return selectors.metric_for_owner(metric_id=metric_id, owner_id=request.user.id)


def recorded_words(data: MeasurementData | Reading, unit: str, places: int | None = None) -> str:
    """ "81.4 kg", "1 workout", or "180 lb (81.6 kg)" for a value typed in another unit:
    the stored value at the metric's display `places`, the typed one as typed."""
    stored = quantity(data.value, unit, places)
    if not data.original_unit:
        return stored
    return f"{plain(data.original_value)} {data.original_unit} ({stored})"


def _confirmation(
    data: MeasurementData, unit: str, places: int | None = None, *, when: str | None = None
) -> str:
    """What was recorded (and `when`, for a time the person chose), and the goals over
    its metric it falls outside of: "5 km for yesterday at 07:30; “Run 100 km in
    December” starts on 1 Dec"."""
    words = recorded_words(data, unit, places)
    if when:
        words = f"{words} for {when}"
    return "; ".join([words, *data.outside])


def _metric_context(metric, entry_form: QuickEntryForm, query=None) -> dict:
    """The metric page: quick entry, and one page of history within the date range
    the query asks for."""
    query = query if query is not None else {}
    history = HistoryFilterForm(query)
    since, until = history.moments(timezone.get_current_timezone())
    after = selectors.Cursor.decode(query.get("after"))
    page = selectors.measurements_page(metric_id=metric.id, after=after, since=since, until=until)
    shown = {key: query[key] for key in HISTORY_PARAMS if query.get(key)}
    older = None
    if page.next_cursor is not None:
        dates = {key: value for key, value in shown.items() if key != "after"}
        older = urlencode({**dates, "after": page.next_cursor.encode()})
    now, zone = timezone.now(), timezone.get_current_timezone()
    daily = cache(partial(chart_days, metric, now=now, zone=zone))

    def chart(*, width: int, height: int):
        return metric_chart(metric, now=now, zone=zone, width=width, height=height, daily=daily())

    return {
        "metric": metric,
        "small_chart": partial(chart, width=320, height=150),
        "large_chart": partial(chart, width=960, height=300),
        "measurements": page.rows,
        "shown_query": urlencode(shown),
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


def _undo_offer(request, metric) -> dict:
    """After a delete without JavaScript, the page offers its Undo (`?undo=<id>`)."""
    try:
        deleted = selectors.recently_deleted_measurement(
            measurement_id=int(request.GET["undo"]),
            owner_id=request.user.id,
            since=timezone.now() - UNDO_WINDOW,
        )
    except (KeyError, ValueError, NotFound):
        return {}
    if deleted.metric_id != metric.id:
        return {}
    return {"notice": _deleted_notice(deleted.id, deleted.summary)}


def _deleted_notice(measurement_id: int, words: str) -> Notice:
    """What a delete says, with its Undo (in #undo-region, as every notice)."""
    return Notice(
        text=f"Deleted {words}.",
        undo_url=reverse("measurements:undelete", args=[measurement_id]),
        undo_label=f"Undo deleting {words}",
    )


@require_GET
def metric_detail(request, metric_id: int, fragment: str | None = None):
    metric = _owned_metric(request, metric_id)
    set_phase(Phase.RENDER)
    context = _metric_context(metric, QuickEntryForm(), request.GET) | _undo_offer(request, metric)
    template = "measurements/metric_detail.html"
    return render(request, f"{template}#{fragment}" if fragment else template, context)


#: What an including page may pass as `entry_key` to tell its quick entries of one
#: metric apart (a goal's id on the dashboard): it goes into element ids.
ENTRY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,24}$")


def _entry_key(request) -> str:
    key = request.POST.get("entry_key", "")
    return key if ENTRY_KEY.match(key) else ""


def _when_words(moment) -> str:
    """ "yesterday at 07:30", "Thu 26 Nov at 07:30": a moment the person chose."""
    local = timezone.localtime(moment)
    today = timezone.localdate()
    named = {0: "today", 1: "yesterday"}.get((today - local.date()).days)
    if named is None:
        named = dateformat.format(local, "D j M" if local.year == today.year else "D j M Y")
    return f"{named} at {local:%H:%M}"


def _asks_first(form: QuickEntryForm, metric) -> bool:
    """A value far from the metric's recent ones waits until the person confirms it:
    the form's `warning` asks. The recent values came with the metric (no query)."""
    if form.is_confirmed:
        return False
    reading = form.cleaned_data["value"]
    found = plausible.jump(reading.value, metric.recent_values, metric.unit)
    if found is None:
        return False
    places = metric.places
    around = quantity(found.typical, metric.unit, places)
    direction = "more" if found.more else "less"
    typed = recorded_words(reading, metric.unit, places)
    form.warning = (
        f"That is much {direction} than your recent values (around {around}). "
        f"Record {typed} anyway?"
    )
    return True


@require_POST
def measurement_record(request, metric_id: int):
    """Quick entry. An HTMX request gets a fresh form back (or the form with its
    errors, or with the question an implausible value raises) and events for the
    metric and everything built on it."""
    set_phase(Phase.AUTHORIZE)
    metric = selectors.metric_for_entry(metric_id=metric_id, owner_id=request.user.id)
    form = QuickEntryForm(request.POST, metric_unit=metric.unit, now=timezone.now())
    result = None
    if form.is_valid() and not _asks_first(form, metric):
        try:
            reading = form.cleaned_data["value"]
            command = RecordMeasurement(
                metric_id=metric.id,
                value=reading.value,
                original_value=reading.original_value,
                original_unit=reading.original_unit,
                measured_at=form.cleaned_data["measured_at"] or timezone.now(),
                note=form.cleaned_data["note"],
                submission_token=form.cleaned_data["submission_token"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            result = record_measurement(
                command, actor_id=request.user.id, now=timezone.now(), metric=metric
            )
            if not result.ok:
                apply_error(form, result.error)
    set_phase(Phase.RENDER)
    recorded = result is not None and result.ok
    # The value may have set the metric's places; the write says how they stand now.
    places = result.data.places if recorded and result.data.places is not None else metric.places
    confirmation = None
    if recorded:
        when = _when_words(result.data.measured_at) if form.is_timed else None
        confirmation = _confirmation(result.data, metric.unit, places, when=when)
    if not request.htmx:
        if recorded:
            messages.success(request, f"Recorded {confirmation}.")
            return redirect(safe_next(request, fallback=metric.get_absolute_url()))
        return render(request, "measurements/metric_detail.html", _metric_context(metric, form))
    context = {
        "metric": metric,
        "entry_form": QuickEntryForm() if recorded else form,
        "recorded": confirmation,
        "next": safe_next(request, fallback=""),
        "entry_key": _entry_key(request),
    }
    response = render(request, "measurements/quick_entry.html#quick-entry", context)
    return trigger_revalidation(response, result.affected) if recorded else response


def _owned_measurement(request, measurement_id: int):
    set_phase(Phase.AUTHORIZE)
    return selectors.measurement_for_owner(measurement_id=measurement_id, owner_id=request.user.id)


def _edit_command(form: MeasurementForm, measurement_id: int) -> EditMeasurement | None:
    """The edit the form describes, or None with the errors put on the form."""
    if not form.is_valid():
        return None
    reading = form.cleaned_data["value"]
    try:
        return EditMeasurement(
            measurement_id=measurement_id,
            value=reading.value,
            original_value=reading.original_value,
            original_unit=reading.original_unit,
            measured_at=form.cleaned_data["measured_at"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None


def _render_edit(request, measurement, form: MeasurementForm):
    set_phase(Phase.RENDER)
    context = {"metric": measurement.metric, "m": measurement, "form": form}
    if request.htmx:
        return render(request, "measurements/metric_detail.html#measurement-edit-row", context)
    return render(request, "measurements/measurement_edit.html", context)


@require_GET
def measurement_row(request, measurement_id: int):
    """One row of the history as shown (what Cancel brings back)."""
    measurement = _owned_measurement(request, measurement_id)
    set_phase(Phase.RENDER)
    context = {"metric": measurement.metric, "m": measurement, "focus_edit": True}
    return render(request, "measurements/metric_detail.html#measurement-row", context)


@require_http_methods(["GET", "POST"])
def measurement_edit(request, measurement_id: int):
    """Inline edit: with HTMX the row turns into a form and back; without it, a page."""
    measurement = _owned_measurement(request, measurement_id)
    if request.method == "GET":
        return _render_edit(request, measurement, MeasurementForm(measurement=measurement))
    form = MeasurementForm(request.POST, measurement=measurement)
    command = _edit_command(form, measurement.id)
    if command is None:
        return _render_edit(request, measurement, form)
    result = edit_measurement(command, actor_id=request.user.id, now=timezone.now())
    if not result.ok:
        apply_error(form, result.error)
        return _render_edit(request, measurement, form)
    set_phase(Phase.RENDER)
    metric = measurement.metric
    if not request.htmx:
        messages.success(
            request, f"Saved {recorded_words(result.data, metric.unit, metric.places)}."
        )
        return redirect(safe_next(request, fallback=metric.get_absolute_url()))
    saved = selectors.measurement_for_owner(measurement_id=measurement.id, owner_id=metric.owner_id)
    context = {"metric": metric, "m": saved, "focus_edit": True}
    response = render(request, "measurements/metric_detail.html#measurement-row", context)
    return trigger_revalidation(response, result.affected)


def _metric_and_words(request, data: MeasurementData):
    """The measurement's metric, and the measurement in words ("80.7 kg")."""
    metric = selectors.metric_for_owner(metric_id=data.metric_id, owner_id=request.user.id)
    return metric, recorded_words(data, metric.unit, metric.places)


@require_POST
def measurement_delete(request, measurement_id: int):
    """Delete at once (no confirmation): Undo is offered for `UNDO_WINDOW`."""
    result = delete_measurement(
        MeasurementRef(measurement_id=measurement_id),
        actor_id=request.user.id,
        now=timezone.now(),
    )
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    metric, words = _metric_and_words(request, result.data)
    if request.htmx:
        return notice_response(request, _deleted_notice(measurement_id, words), result.affected)
    return redirect(f"{metric.get_absolute_url()}?{urlencode({'undo': measurement_id})}")


@require_POST
def measurement_undelete(request, measurement_id: int):
    result = undelete_measurement(
        MeasurementRef(measurement_id=measurement_id),
        actor_id=request.user.id,
        now=timezone.now(),
    )
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    metric, words = _metric_and_words(request, result.data)
    if request.htmx:
        return notice_response(request, Notice(text=f"Restored {words}."), result.affected)
    messages.success(request, f"Restored {words}.")
    return redirect(metric)


@require_GET
def metric_export(request, metric_id: int, fmt: str):
    """All of a metric's measurements (or those in `?start=&end=`), streamed."""
    metric = _owned_metric(request, metric_id)
    if fmt not in FORMATS:
        raise NotFound("There is no such export format.")
    zone = timezone.get_current_timezone()
    dates = HistoryFilterForm(request.GET)
    if not dates.is_valid():
        raise ValidationFailed(
            "The date range is not valid.",
            fields=[
                FieldError(field=field, message=" ".join(errors))
                for field, errors in dates.errors.items()
            ],
        )
    since, until = dates.moments(zone)
    set_phase(Phase.RENDER)
    found = selectors.measurements_for_export(metric_id=metric.id, since=since, until=until)
    header = {"metric": {"id": metric.id, "name": metric.name, "unit": metric.unit}}
    rows = export_rows(found, unit=metric.unit, zone=zone)
    return export_response(fmt, name=metric.name, header=header, rows=rows)
