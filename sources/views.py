"""The sources page: add a source of any provider (drawn from the providers' own
declarations: their names in words, what they can do, their forms), rename, pause,
resume or delete one, import a CSV file (upload, preview with the column mapping,
import in the background) and follow the runs."""

import uuid
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, JsonResponse
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
from config.revalidation import trigger_revalidation
from measurements.selectors import metric_for_owner

from . import providers as provider_registry
from . import selectors, webhook_limits
from .forms import CsvMappingForm, SourceDeleteForm, SourceNameForm
from .orchestrators import (
    add_source,
    delete_source,
    import_file,
    pause_source,
    queue_sync,
    receive_delivery,
    rename_source,
    retry_run,
)
from .providers import PermanentError, Provider, csv_file
from .tasks import run_sync
from .uploads import upload_refusal

if TYPE_CHECKING:
    from .models import DataSource

PENDING = "pending_import"


@dataclass(frozen=True)
class ShownSource:
    """A source as its row shows it: what its provider says of itself (its name in
    words, what it can do), never a test of the provider's key."""

    source: "DataSource"
    provider: Provider | None

    @property
    def label(self) -> str:
        return self.provider.label if self.provider else "A kind of source no longer offered"

    @property
    def paused(self) -> bool:
        return not self.source.enabled

    @property
    def can_pull(self) -> bool:
        return self.provider is not None and self.provider.can_pull

    @property
    def can_pause(self) -> bool:
        return self.provider is not None and self.provider.can_pause

    @property
    def schedule(self) -> str:
        """How often it is checked, in words ("every 6 hours"), for a pulled source."""
        minutes = self.source.every_minutes
        if not self.can_pull or not minutes:
            return ""
        if minutes % 1440 == 0:
            days = minutes // 1440
            return "every day" if days == 1 else f"every {days} days"
        if minutes % 60 == 0:
            hours = minutes // 60
            return "every hour" if hours == 1 else f"every {hours} hours"
        return f"every {minutes} minutes"

    @property
    def abilities(self) -> str:
        said = self.provider.abilities if self.provider else []
        return "; ".join(said).capitalize()


@dataclass(frozen=True)
class Adder:
    """How the page offers one provider: its declaration, its form, where it posts."""

    provider: Provider
    form: object
    url: str


def _form_for(request, provider: Provider, data=None, files=None, *, zone: str | None = None):
    return provider.form_class(
        data,
        files,
        owner=request.user,
        time_zone=zone or preferences_for(request.user).time_zone,
    )


def _adders(request, bound: dict) -> list[Adder]:
    adders = []
    zone = preferences_for(request.user).time_zone
    for provider in provider_registry.addable():
        url = (
            reverse(provider.add_route)
            if provider.add_route
            else reverse("sources:add", args=[provider.slug])
        )
        form = bound.get(provider.key) or _form_for(request, provider, zone=zone)
        adders.append(Adder(provider=provider, form=form, url=url))
    return adders


def _shown(source: "DataSource") -> ShownSource:
    return ShownSource(source, provider_registry.get(source.provider))


def _page(request, *, bound: dict | None = None, **shown):
    """The sources page, with blank forms except those in `bound` (by provider key:
    bound, with errors), and what was just made."""
    set_phase(Phase.RENDER)
    context = {
        **shown,
        "adders": _adders(request, bound or {}),
        "sources": [_shown(source) for source in selectors.sources_for(owner_id=request.user.id)],
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


def _adding(view):
    """A POST view adding a source of a provider: an upload is read through the
    provider's size cap first. Past it, the page comes back with the form saying so
    (a refusal needs no CSRF check: it changes nothing); within it, the view runs
    CSRF-checked."""
    checked = csrf_protect(view)

    @csrf_exempt
    @require_POST
    @wraps(view)
    def capped(request, provider: Provider):
        if provider.upload_limit is not None:
            refusal = upload_refusal(request, provider.upload_limit)
            if refusal:
                form = _form_for(request, provider, request.POST)
                return _page(request, bound={provider.key: form.refused(refusal)})
        return checked(request, provider)

    return capped


@csrf_exempt  # checked by `_adding`, once the upload cap has read the body
def source_add(request, slug: str):
    """Add a source of the provider whose sources are added at this address: a file
    imported, a feed followed, a webhook made, as the provider can."""
    provider = provider_registry.by_slug(slug)
    if provider is None or provider.form_class is None or provider.add_route:
        raise Http404("There is no such kind of source.")
    return _add(request, provider)


@_adding
def _add(request, provider: Provider):
    form = _form_for(request, provider, request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, bound={provider.key: form})
    earlier = form.upload() is not None and selectors.same_source(
        owner_id=request.user.id, provider=provider.key, name=form.source_name()
    )
    result = add_source(
        actor_id=request.user.id,
        provider_key=provider.key,
        name=form.source_name(),
        settings=form.settings(),
        every_minutes=form.every_minutes(),
        upload=form.upload(),
        now=timezone.now(),
        enqueue=run_sync.enqueue,
    )
    if not result.ok:
        apply_error(form, result.error)
        return _page(request, bound={provider.key: form})
    if isinstance(result.data, dict) and "secret" in result.data:
        # Made with a secret: shown once, on this answer only, never cached.
        source_id = result.data["source_id"]
        url = request.build_absolute_uri(reverse("sources:hook", args=[source_id]))
        response = _page(
            request,
            made={"provider": provider.key, "url": url, "secret": result.data["secret"]},
        )
        response["Cache-Control"] = "no-store"
        return response
    name = form.source_name()
    if form.upload() is not None:
        messages.success(request, f"Importing “{form.upload().name}”; follow it below.")
        if earlier:
            messages.warning(
                request,
                f"You imported a file named “{form.upload().name}” before: what it "
                "brought then is not added twice, only updated where it changed.",
            )
    else:
        messages.success(request, f"Following “{name}”; the first pull is queued.")
    return redirect("sources:list")


@csrf_exempt  # checked by `_adding`, once the upload cap has read the body
def csv_upload(request):
    """The CSV provider's first step: keep the file aside and preview it."""
    return _csv_upload(request, provider_registry.get(csv_file.CsvFile.key))


@_adding
def _csv_upload(request, provider: Provider):
    """Keep the file aside (named in the session, not the form) and show a preview;
    the session keeps the header too, so the import reads no part of the file again."""
    form = _form_for(request, provider, request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, bound={provider.key: form})
    metric = form.cleaned_data["metric"]
    upload = form.cleaned_data["file"]
    stored = default_storage.save(f"imports/pending/{uuid.uuid4().hex}.csv", upload)
    try:
        with default_storage.open(stored, "rb") as saved:
            shown = csv_file.preview(
                saved, None, metric.unit, time_zone=preferences_for(request.user).time_zone
            )
    except PermanentError as exc:
        default_storage.delete(stored)
        form.add_error("file", str(exc))
        return _page(request, bound={provider.key: form})
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
    own_zone = preferences_for(request.user).time_zone
    if form is None:
        form = CsvMappingForm(
            initial={**shown.suggested, "time_zone": own_zone}, columns=shown.columns
        )
    zone = form.data.get("time_zone") if form.is_bound else None
    earlier = selectors.same_source(
        owner_id=request.user.id, provider=csv_file.CsvFile.key, name=title[:80]
    )
    set_phase(Phase.RENDER)
    context = {
        "metric": metric,
        "preview": shown,
        "form": form,
        "title": title,
        "shown_zone": zone if zone in dict(form.fields["time_zone"].choices) else own_zone,
        "earlier": earlier,
    }
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


def _owned_source(request, source_id: int) -> "DataSource":
    set_phase(Phase.AUTHORIZE)
    return selectors.source_for_owner(source_id=source_id, owner_id=request.user.id)


def _row(request, source: "DataSource", focus: str = "") -> HttpResponse:
    set_phase(Phase.RENDER)
    return render(
        request, "sources/source_list.html#source-row", {"shown": _shown(source), "focus": focus}
    )


@require_GET
def source_row(request, source_id: int):
    """One source's row (what Cancel puts back in place of its rename form)."""
    return _row(request, _owned_source(request, source_id), focus="rename")


def _rename_form(request, source: "DataSource", form: SourceNameForm) -> HttpResponse:
    set_phase(Phase.RENDER)
    context = {"source": source, "form": form}
    if request.htmx:
        return render(request, "sources/source_rename.html#rename-form", context)
    return render(request, "sources/source_rename.html", context)


@require_http_methods(["GET", "POST"])
def source_rename(request, source_id: int):
    """GET: the rename form (in place of the row, with HTMX; a page without). POST
    renames and answers with the row (or the form again, with its error)."""
    source = _owned_source(request, source_id)
    if request.method == "GET":
        return _rename_form(request, source, SourceNameForm(initial={"name": source.name}))
    set_phase(Phase.VALIDATE)
    form = SourceNameForm(request.POST)
    if form.is_valid():
        result = rename_source(
            source.id, actor_id=request.user.id, name=form.cleaned_data["name"], now=timezone.now()
        )
        if result.ok:
            if request.htmx:
                response = _row(request, _owned_source(request, source_id), focus="rename")
                return trigger_revalidation(response, result.affected)
            messages.success(request, f"Renamed to “{result.data['name']}”.")
            return redirect("sources:list")
        if result.error.code != ErrorCode.VALIDATION_FAILED:
            set_phase(Phase.RENDER)
            return error_response(request, result.error)
        apply_error(form, result.error)
    return _rename_form(request, source, form)


@require_POST
def source_pause(request, source_id: int):
    """Pause a source, or resume it (`resume` in the form)."""
    resume = "resume" in request.POST
    result = pause_source(
        source_id, actor_id=request.user.id, paused=not resume, now=timezone.now()
    )
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    if request.htmx:
        response = _row(request, _owned_source(request, source_id), focus="pause")
        return trigger_revalidation(response, result.affected)
    name = result.data["name"]
    if resume:
        messages.success(request, f"“{name}” is running again.")
    else:
        messages.success(request, f"“{name}” is paused: it brings no data in until you resume it.")
    return redirect("sources:list")


@require_http_methods(["GET", "POST"])
def source_delete(request, source_id: int):
    """GET asks what becomes of the measurements the source brought; POST deletes it
    (keeping them, or deleting them too)."""
    source = _owned_source(request, source_id)
    form = SourceDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        keep = form.cleaned_data["measurements"] == "keep"
        result = delete_source(
            source.id, actor_id=request.user.id, keep_measurements=keep, now=timezone.now()
        )
        if result.ok:
            deleted = result.data["measurements_deleted"]
            said = (
                "its measurements are kept"
                if keep
                else f"{deleted:,} measurement{'s' if deleted != 1 else ''} deleted with it"
            )
            messages.success(request, f"“{source.name}” was deleted; {said}.")
            return redirect("sources:list")
        apply_error(form, result.error)
    set_phase(Phase.RENDER)
    count = selectors.measurements_brought(source_id=source.id, owner_id=request.user.id)
    context = {"shown": _shown(source), "form": form, "count": count}
    return render(request, "sources/source_delete.html", context)


@csrf_exempt
@login_not_required
@require_POST
def webhook_receive(request, source_id: int):
    """A signed delivery (see `sources.webhooks`), within the size cap and the
    source's rate limit: stored and acknowledged with 202 and the run that writes it
    (a worker writes it, whole or not at all). A paused webhook answers 409, saying
    so, and stores nothing. Every refusal is in the JSON shape."""
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
def run_retry(request, run_id: int):
    result = retry_run(
        run_id, actor_id=request.user.id, now=timezone.now(), enqueue=run_sync.enqueue
    )
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    messages.success(request, "Queued again.")
    return redirect("sources:list")
