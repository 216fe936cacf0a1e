"""Goal pages and their fragments. Views parse input into a command, call one
orchestrator, and turn the envelope into a response: the fragment for an HTMX request,
a redirect with a message otherwise, and `HX-Trigger` events for what changed."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from accounts.selectors import preferences_for
from config.envelope import NotFound
from config.errors import error_response
from config.forms import apply_error, apply_validation_error
from config.navigation import safe_next
from config.request_context import Phase, set_phase
from config.revalidation import trigger_revalidation
from measurements.export import FORMATS, export_response, export_rows

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

UNDO_REGION = "#undo-region"


def _owned_goal(request, goal_id: int):
    set_phase(Phase.AUTHORIZE)
    return selectors.goal_for_owner(goal_id=goal_id, owner_id=request.user.id)


@require_GET
def dashboard(request, fragment: str | None = None):
    context = dashboard_context(request.user, now=timezone.now())
    set_phase(Phase.RENDER)
    template = f"goals/dashboard.html#{fragment}" if fragment else "goals/dashboard.html"
    return render(request, template, context)


@require_GET
def goal_card(request, goal_id: int):
    goal = _owned_goal(request, goal_id)
    context = goal_card_context(request.user, goal, now=timezone.now())
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


def _render_form(request, form: GoalForm, goal=None):
    set_phase(Phase.RENDER)
    context = {"form": form, "goal": goal}
    if request.htmx and request.htmx.target == "kind-fields":
        return render(request, "goals/goal_form.html#kind-fields", context)
    return render(request, "goals/goal_form.html", context)


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
    owner_id = request.user.id
    if request.method == "GET":
        zone = preferences_for(request.user).zone
        initial = {**initial_for_new_goal(request.GET.get("kind"), zone), **request.GET.dict()}
        return _render_form(request, GoalForm(initial=initial, owner_id=owner_id))

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
            response["HX-Retarget"] = "this"
            response["HX-Reswap"] = "outerHTML"
        return response
    if request.htmx:
        goal = _owned_goal(request, goal_id)
        context = goal_card_context(request.user, goal, now=timezone.now())
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
    if request.htmx:
        next_url = safe_next(request)
        if next_url:
            # Deleted from its own page: that page is gone, so go where asked.
            messages.success(request, f"“{result.data.title}” was deleted.")
            response = HttpResponse(status=204)
            response["HX-Redirect"] = next_url
            return response
        response = render(request, "goals/dashboard.html#undo-notice", {"deleted": result.data})
        response["HX-Retarget"] = UNDO_REGION
        response["HX-Reswap"] = "innerHTML"
        return trigger_revalidation(response, result.affected)
    messages.success(
        request,
        f"“{result.data.title}” was deleted. You can undo this under “Recently deleted” "
        f"for {_undo_minutes()} minutes.",
    )
    return redirect("goals:dashboard")


def _undo_minutes() -> int:
    return int(UNDO_WINDOW.total_seconds() // 60)


@require_POST
def goal_undelete(request, goal_id: int):
    result = undelete_goal(GoalRef(goal_id=goal_id), actor_id=request.user.id, now=timezone.now())
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    if request.htmx:
        response = render(request, "goals/dashboard.html#undo-notice", {"restored": result.data})
        response["HX-Retarget"] = UNDO_REGION
        response["HX-Reswap"] = "innerHTML"
        return trigger_revalidation(response, result.affected)
    messages.success(request, f"“{result.data.title}” is back on your dashboard.")
    return redirect("goals:dashboard")
