"""The sources page: import a CSV file (upload, preview with the column mapping,
import in the background) and follow the runs."""

import uuid
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from accounts.selectors import preferences_for
from config.envelope import ErrorCode
from config.errors import error_response
from config.forms import apply_error, apply_validation_error
from config.request_context import Phase, set_phase
from measurements.selectors import metric_for_owner

from . import providers as provider_registry
from . import selectors, webhook_limits
from .forms import AppleHealthForm, CalendarFeedForm, CsvMappingForm, CsvUploadForm, WebhookForm
from .orchestrators import (
    create_webhook_source,
    follow_source,
    import_file,
    queue_sync,
    receive_delivery,
    retry_run,
)
from .providers import PermanentError, Provider, apple_health, csv_file, icalendar_feed
from .tasks import run_sync
from .uploads import CSV_IMPORT, HEALTH_IMPORT, upload_refusal

if TYPE_CHECKING:
    from .models import DataSource

PENDING = "pending_import"


@dataclass(frozen=True)
class ShownSource:
    """A source as its row shows it: what its provider says of itself (its label,
    whether it can be pulled), never a test of the provider's key."""

    source: "DataSource"
    provider: Provider | None

    @property
    def label(self) -> str:
        return self.provider.label if self.provider else self.source.provider

    @property
    def can_pull(self) -> bool:
        return self.provider is not None and self.provider.can_pull


def _page(request, **shown):
    """The sources page, with blank forms except those given (bound, with errors, or
    what was just made)."""
    set_phase(Phase.RENDER)
    context = {
        "upload_form": CsvUploadForm(owner=request.user),
        "webhook_form": WebhookForm(owner=request.user),
        "feed_form": CalendarFeedForm(owner=request.user),
        "apple_form": AppleHealthForm(owner=request.user),
        **shown,
        "sources": [
            ShownSource(source, provider_registry.get(source.provider))
            for source in selectors.sources_for(owner_id=request.user.id)
        ],
        "runs": selectors.recent_runs(owner_id=request.user.id),
    }
    return render(request, "sources/source_list.html", context)


@require_GET
def source_list(request):
    return _page(request)


@require_GET
def run_row(request, run_id: int):
    """One run's row; it polls itself while the run is queued or running."""
    set_phase(Phase.AUTHORIZE)
    run = selectors.run_for_owner(run_id=run_id, owner_id=request.user.id)
    set_phase(Phase.RENDER)
    return render(request, "sources/source_list.html#run-row", {"run": run})


def _size_capped(kind, form_class, shown_as: str):
    """A POST view whose upload is read through the size cap of its `kind` first:
    past it, the page comes back with the form saying so (a refusal needs no CSRF
    check: it changes nothing); within it, the view runs CSRF-checked."""

    def decorate(view):
        checked = csrf_protect(view)

        @csrf_exempt
        @require_POST
        @wraps(view)
        def capped(request):
            refusal = upload_refusal(request, kind)
            if refusal:
                form = form_class(request.POST, owner=request.user)
                return _page(request, **{shown_as: form.refused(refusal)})
            return checked(request)

        return capped

    return decorate


@_size_capped(CSV_IMPORT, CsvUploadForm, "upload_form")
def csv_upload(request):
    """Keep the file aside (named in the session, not the form) and show a preview;
    the session keeps the header too, so the import reads no part of the file again."""
    form = CsvUploadForm(request.POST, request.FILES, owner=request.user)
    if not form.is_valid():
        return _page(request, upload_form=form)
    metric = form.cleaned_data["metric"]
    upload = form.cleaned_data["file"]
    stored = default_storage.save(f"imports/pending/{uuid.uuid4().hex}.csv", upload)
    try:
        with default_storage.open(stored, "rb") as saved:
            shown = csv_file.preview(saved, None, metric.unit)
    except PermanentError as exc:
        default_storage.delete(stored)
        form.add_error("file", str(exc))
        return _page(request, upload_form=form)
    request.session[PENDING] = {
        "name": stored,
        "metric_id": metric.id,
        "title": upload.name,
        "columns": shown.columns,
    }
    return _preview_page(request, metric, shown, upload.name, None)


def _preview(request, metric, stored: str, title: str, form: CsvMappingForm):
    """The preview page with the form's mapping, read from the first rows only."""
    with default_storage.open(stored, "rb") as upload:
        shown = csv_file.preview(upload, _settings(form, metric), metric.unit)
    return _preview_page(request, metric, shown, title, form)


def _preview_page(request, metric, shown, title: str, form: CsvMappingForm | None):
    if form is None:
        initial = {
            **shown.suggested,
            "time_zone": preferences_for(request.user).time_zone,
        }
        form = CsvMappingForm(initial=initial, columns=shown.columns)
    set_phase(Phase.RENDER)
    context = {"metric": metric, "preview": shown, "form": form, "title": title}
    return render(request, "sources/csv_preview.html", context)


def _settings(form: CsvMappingForm | None, metric) -> "csv_file.CsvSettings | None":
    """The mapping the form describes, or None (with the reasons on the form)."""
    if form is None or not form.is_valid():
        return None
    try:
        return csv_file.CsvSettings(metric_id=metric.id, **form.cleaned_data)
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None


@require_http_methods(["POST"])
def csv_import(request):
    """Show the preview again with the chosen mapping, or start the import."""
    pending = request.session.get(PENDING)
    if not pending or "columns" not in pending:
        messages.error(request, "Upload the file again: the preview expired.")
        return redirect("sources:list")
    metric = metric_for_owner(metric_id=pending["metric_id"], owner_id=request.user.id)
    form = CsvMappingForm(request.POST, columns=pending["columns"])
    if "check" in request.POST or _settings(form, metric) is None:
        try:
            return _preview(request, metric, pending["name"], pending["title"], form)
        except PermanentError as exc:
            messages.error(request, str(exc))
            return redirect("sources:list")
    with default_storage.open(pending["name"], "rb") as upload:
        result = import_file(
            actor_id=request.user.id,
            provider_key=csv_file.CsvFile.key,
            name=pending["title"][:80],
            settings={"metric_id": metric.id, **form.cleaned_data},
            upload=upload,
            now=timezone.now(),
            enqueue=run_sync.enqueue,
        )
    if not result.ok:
        apply_error(form, result.error)
        return _preview(request, metric, pending["name"], pending["title"], form)
    default_storage.delete(pending["name"])
    del request.session[PENDING]
    messages.success(request, f"Importing “{pending['title']}” into {metric.name}.")
    return redirect("sources:list")


@require_POST
def source_sync(request, source_id: int):
    result = queue_sync(
        source_id, actor_id=request.user.id, now=timezone.now(), enqueue=run_sync.enqueue
    )
    if not result.ok:
        # Another user's source answers like a missing one: 404, as every object URL.
        return error_response(request, result.error)
    messages.success(request, "Sync queued.")
    return redirect("sources:list")


@csrf_exempt
@login_not_required
@require_POST
def webhook_receive(request, source_id: int):
    """A signed delivery (see `sources.webhooks`), within the size cap and the
    source's rate limit: stored and acknowledged with 202 and the run that writes it
    (a worker writes it, whole or not at all). Every refusal is in the JSON shape."""
    body = webhook_limits.read_body(request)
    if not isinstance(body, bytes):
        return body
    allowance = webhook_limits.Allowance(request, source_id)
    result = receive_delivery(
        source_id,
        headers=request.headers,
        body=body,
        now=timezone.now(),
        enqueue=run_sync.enqueue,
        admit=allowance.admits,
    )
    set_phase(Phase.RENDER)
    if not result.ok:
        response = error_response(request, result.error, as_json=True)
        if result.error.code == ErrorCode.RATE_LIMITED:
            response["Retry-After"] = allowance.retry_after()
        return response
    return JsonResponse({"run": result.data, "status": "queued"}, status=202)


@require_POST
def webhook_create(request):
    form = WebhookForm(request.POST, owner=request.user)
    if not form.is_valid():
        return _page(request, webhook_form=form)
    result = create_webhook_source(
        actor_id=request.user.id,
        name=form.cleaned_data["name"],
        metric_id=form.cleaned_data["metric"].id,
        now=timezone.now(),
    )
    if not result.ok:
        apply_error(form, result.error)
        return _page(request, webhook_form=form)
    url = request.build_absolute_uri(reverse("sources:hook", args=[result.data["source_id"]]))
    response = _page(
        request,
        webhook_made={"url": url, "secret": result.data["secret"]},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def feed_create(request):
    form = CalendarFeedForm(request.POST, owner=request.user)
    if form.is_valid():
        data = form.cleaned_data
        result = follow_source(
            actor_id=request.user.id,
            provider_key=icalendar_feed.ICalendarFeed.key,
            name=data["name"],
            settings={
                "url": data["url"],
                "metric_id": data["metric"].id,
                "match": data["match"],
                "count": data["count"],
                "time_zone": preferences_for(request.user).time_zone,
            },
            every_minutes=data["every_minutes"],
            now=timezone.now(),
            enqueue=run_sync.enqueue,
        )
        if result.ok:
            messages.success(request, f"Following “{data['name']}”; the first pull is queued.")
            return redirect("sources:list")
        apply_error(form, result.error)
    return _page(request, feed_form=form)


@require_POST
def run_retry(request, run_id: int):
    result = retry_run(
        run_id, actor_id=request.user.id, now=timezone.now(), enqueue=run_sync.enqueue
    )
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    messages.success(request, "Queued again.")
    return redirect("sources:list")


@_size_capped(HEALTH_IMPORT, AppleHealthForm, "apple_form")
def apple_health_import(request):
    form = AppleHealthForm(request.POST, request.FILES, owner=request.user)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        result = import_file(
            actor_id=request.user.id,
            provider_key=apple_health.AppleHealthExport.key,
            name=f"Apple Health: {upload.name}"[:80],
            settings=form.settings(),
            upload=upload,
            now=timezone.now(),
            enqueue=run_sync.enqueue,
        )
        if result.ok:
            messages.success(request, f"Importing “{upload.name}”; follow it below.")
            return redirect("sources:list")
        apply_error(form, result.error)
    return _page(request, apple_form=form)
