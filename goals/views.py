"""Goal pages and their fragments. Views parse input into a command, call one
orchestrator, and turn the envelope into a response: the fragment for an HTMX request,
a redirect with a message otherwise, and `HX-Trigger` events for what changed."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from pydantic import ValidationError

from accounts.selectors import preferences_for
from config.envelope import NotFound
from config.errors import error_response
from config.forms import apply_error, apply_validation_error
from config.navigation import safe_next
from config.notices import Notice, notice_response
from config.request_context import Phase, set_phase
from config.revalidation import trigger_revalidation
from measurements.export import FORMATS, export_response, export_rows
from measurements.selectors import metrics_for_owner

from . import selectors
from .chart import chart_range
from .contracts import CreateGoal, EditGoal, GoalRef, RenameGoal
from .dashboard import dashboard_context, goal_card_context, goal_export_header, goal_page_context
from .forms import GoalForm, GoalTitleForm, initial_for_goal, initial_for_new_goal
from .orchestrators import (
    UNDO_WINDOW,
    archive_goal,
    create_goal,
    delete_goal,
    edit_goal,
    rename_goal,
    restore_goal,
    undelete_goal,
)
from .presets import PRESETS, preset_initial


def _owned_goal(request, goal_id: int):
    set_phase(Phase.AUTHORIZE)
    return selectors.goal_for_owner(goal_id=goal_id, owner_id=request.user.id)


def _deleted_notice(goal) -> Notice:
    """What a delete says: the goal's name and its Undo."""
    return Notice(
        text=f"“{goal.title}” was deleted.",
        undo_url=reverse("goals:undelete", args=[goal.id]),
        undo_label=f"Undo deleting “{goal.title}”",
    )


def _undo_offer(request) -> dict:
    """After a delete without JavaScript, the dashboard offers its Undo (`?undo=<id>`)
    while the goal can still come back."""
    try:
        goal = selectors.deleted_goal_for_owner(
            goal_id=int(request.GET["undo"]),
            owner_id=request.user.id,
            since=timezone.now() - UNDO_WINDOW,
        )
    except (KeyError, ValueError, NotFound):
        return {}
    return {"notice": _deleted_notice(goal)}


@require_GET
def dashboard(request, fragment: str | None = None):
    context = dashboard_context(request.user, now=timezone.now())
    if fragment is None:
        context |= _undo_offer(request)
    set_phase(Phase.RENDER)
    template = f"goals/dashboard.html#{fragment}" if fragment else "goals/dashboard.html"
    return render(request, template, context)


@require_GET
def goal_card(request, goal_id: int):
    """A card's body; `?focus=rename` puts the focus back on its Rename button (where
    an inline rename that was cancelled began)."""
    goal = _owned_goal(request, goal_id)
    context = goal_card_context(request.user, goal, now=timezone.now())
    context["focus_rename"] = request.GET.get("focus") == "rename"
    set_phase(Phase.RENDER)
    return render(request, "goals/dashboard.html#goal-card-body", context)


@require_GET
def goal_page(request, goal_id: int, fragment: str | None = None):
    goal = _owned_goal(request, goal_id)
    span = chart_range(request.GET.get("range"))
    context = goal_page_context(request.user, goal, now=timezone.now(), chart_range=span)
    set_phase(Phase.RENDER)
    template = f"goals/goal_page.html#{fragment}" if fragment else "goals/goal_page.html"
    return render(request, template, context)


@require_GET
def goal_export(request, goal_id: int, fmt: str):
    """The goal's measurements (its window), streamed; the JSON also carries the goal
    and its progress as the dashboard shows it."""
    goal = _owned_goal(request, goal_id)
    if fmt not in FORMATS:
        raise NotFound("There is no such export format.")
    zone = preferences_for(request.user).zone
    set_phase(Phase.RENDER)
    header = goal_export_header(request.user, goal, now=timezone.now())
    window = selectors.window_measurements(goal, zone=zone).order_by("measured_at", "id")
    rows = export_rows(window, unit=goal.metric.unit, zone=zone)
    return export_response(fmt, name=goal.title, header=header, rows=rows)


def _render_form(request, form: GoalForm, goal=None, focus: str = "title"):
    set_phase(Phase.RENDER)
    context = {"form": form, "goal": goal, "focused": form.focus(fallback=focus)}
    if _switching_kind(request):
        context["kind_switched"] = goal is None
        return render(request, "goals/goal_form.html#kind-fields", context)
    return render(request, "goals/goal_form.html", context)


def _switching_kind(request) -> bool:
    """The kind select asks for the fields of the kind chosen (HTMX)."""
    return bool(request.htmx) and request.htmx.target == "kind-fields"


def _parse(form: GoalForm, command_class, **extra):
    """The command the form describes, or None with the errors put on the form."""
    if not form.is_valid():
        return None
    try:
        metric_id, new_metric = form.metric_choice()
        return command_class(
            fields=form.goal_fields(), metric_id=metric_id, new_metric=new_metric, **extra
        )
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None


@require_http_methods(["GET", "POST"])
def goal_create(request):
    """GET without a query is the start screen (templates, or a blank form);
    `?template=<key>` is the form filled from that template, and any other query the
    form with what it carries (the kind chosen, fields typed so far)."""
    owner_id = request.user.id
    if request.method == "GET":
        if not request.GET:
            set_phase(Phase.RENDER)
            return render(request, "goals/goal_start.html", {"presets": PRESETS.values()})
        zone = preferences_for(request.user).zone
        preset = PRESETS.get(request.GET.get("template", ""))
        if preset is not None:
            start = preset_initial(
                preset,
                today=timezone.localdate(timezone=zone),
                metrics=metrics_for_owner(owner_id=owner_id),
            )
        else:
            start = initial_for_new_goal(request.GET.get("kind"), zone)
        asked = {key: value for key, value in request.GET.items() if key != "template"}
        if "kind" in asked:
            # A kind chosen on the form brings its own daily aggregation.
            asked.pop("aggregation", None)
        form = GoalForm(initial={**start, **asked}, owner_id=owner_id)
        focus = form.first_to_fill() if preset is not None else "title"
        return _render_form(request, form, focus=focus)

    form = GoalForm(request.POST, owner_id=owner_id)
    command = _parse(form, CreateGoal)
    if command is not None:
        result = create_goal(command, actor_id=owner_id, now=timezone.now())
        if result.ok:
            messages.success(request, f"“{result.data.title}” is set. Record your first value.")
            return redirect("goals:detail", goal_id=result.data.id)
        apply_error(form, result.error)
    return _render_form(request, form)


@require_http_methods(["GET", "POST"])
def goal_edit(request, goal_id: int):
    goal = _owned_goal(request, goal_id)
    owner_id = request.user.id
    if request.method == "GET":
        initial = {**initial_for_goal(goal), **request.GET.dict()}
        return _render_form(request, GoalForm(initial=initial, owner_id=owner_id), goal)

    form = GoalForm(request.POST, owner_id=owner_id)
    command = _parse(form, EditGoal, goal_id=goal.id)
    if command is not None:
        result = edit_goal(command, actor_id=owner_id, now=timezone.now())
        if result.ok:
            messages.success(request, f"“{result.data.title}” is saved.")
            return redirect("goals:detail", goal_id=goal.id)
        apply_error(form, result.error)
    return _render_form(request, form, goal)


def _status_change(request, goal_id: int, orchestrator, done: str):
    result = orchestrator(GoalRef(goal_id=goal_id), actor_id=request.user.id, now=timezone.now())
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    if request.htmx:
        return trigger_revalidation(HttpResponse(status=204), result.affected)
    messages.success(request, done.format(title=result.data.title))
    return redirect("goals:dashboard")


@require_POST
def goal_archive(request, goal_id: int):
    return _status_change(request, goal_id, archive_goal, "“{title}” is archived.")


@require_POST
def goal_restore(request, goal_id: int):
    return _status_change(request, goal_id, restore_goal, "“{title}” is back on your dashboard.")


def _render_title_form(request, goal, form: GoalTitleForm):
    set_phase(Phase.RENDER)
    context = {"goal": goal, "form": form}
    if request.htmx:
        return render(request, "goals/goal_title.html#title-form", context)
    return render(request, "goals/goal_title.html", context)


@require_http_methods(["GET", "POST"])
def goal_title(request, goal_id: int):
    """Rename in place: GET is the inline form that replaces a card's title, POST
    answers with the card body (or the form again, with its error)."""
    goal = _owned_goal(request, goal_id)
    if request.method == "GET":
        return _render_title_form(request, goal, GoalTitleForm(initial={"title": goal.title}))

    set_phase(Phase.VALIDATE)
    form = GoalTitleForm(request.POST)
    result = None
    if form.is_valid():
        try:
            command = RenameGoal(goal_id=goal.id, title=form.cleaned_data["title"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            result = rename_goal(command, actor_id=request.user.id, now=timezone.now())
            if not result.ok:
                if result.error.code != "validation_failed":
                    set_phase(Phase.RENDER)
                    return error_response(request, result.error)
                apply_error(form, result.error)
    if result is None or not result.ok:
        response = _render_title_form(request, goal, form)
        if request.htmx:
            # The form asked for the card body; an error keeps the form in place.
            reswap(retarget(response, "this"), "outerHTML")
        return response
    if request.htmx:
        goal = _owned_goal(request, goal_id)
        context = goal_card_context(request.user, goal, now=timezone.now())
        context["focus_rename"] = True
        set_phase(Phase.RENDER)
        response = render(request, "goals/dashboard.html#goal-card-body", context)
        return trigger_revalidation(response, result.affected)
    messages.success(request, f"Renamed to “{result.data.title}”.")
    return redirect("goals:dashboard")


@require_http_methods(["GET", "POST"])
def goal_delete(request, goal_id: int):
    """GET asks for confirmation (without JavaScript; with HTMX the button confirms
    with `hx-confirm` and posts straight here). POST soft-deletes and offers Undo."""
    if request.method == "GET":
        goal = _owned_goal(request, goal_id)
        set_phase(Phase.RENDER)
        return render(
            request,
            "goals/goal_delete.html",
            {"goal": goal, "next": request.GET.get("next", ""), "undo_minutes": _undo_minutes()},
        )

    result = delete_goal(GoalRef(goal_id=goal_id), actor_id=request.user.id, now=timezone.now())
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    next_url = safe_next(request)
    if request.htmx and not next_url:
        return notice_response(request, _deleted_notice(result.data), result.affected)
    # Without JavaScript, or deleted from its own page (which is gone): the page
    # landed on offers the Undo (the dashboard reads `?undo=<id>`).
    landing = next_url or reverse("goals:dashboard")
    landing += ("&" if "?" in landing else "?") + urlencode({"undo": result.data.id})
    if request.htmx:
        return HttpResponseClientRedirect(landing)
    return redirect(landing)


def _undo_minutes() -> int:
    return int(UNDO_WINDOW.total_seconds() // 60)


@require_POST
def goal_undelete(request, goal_id: int):
    result = undelete_goal(GoalRef(goal_id=goal_id), actor_id=request.user.id, now=timezone.now())
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    if request.htmx:
        back = Notice(text=f"“{result.data.title}” is back on your dashboard.")
        return notice_response(request, back, result.affected)
    messages.success(request, f"“{result.data.title}” is back on your dashboard.")
    return redirect("goals:dashboard")
