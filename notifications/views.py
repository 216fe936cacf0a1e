"""The Notifications pages: what was sent where (and what was not, and why), the
settings (reminder time, quiet hours, channels per kind, push on this browser), a
goal's snooze, and the one-click unsubscribe that works without logging in."""

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from accounts.selectors import preferences_for
from config.envelope import ValidationFailed
from config.errors import error_response
from config.forms import apply_error
from config.navigation import safe_next
from config.request_context import Phase, set_phase

from . import push, selectors, unsubscribe
from .contracts import NotificationPreferences, SnoozeGoal, Subscribe
from .forms import NotificationSettingsForm, SnoozeForm
from .orchestrators import (
    resume_email,
    save_settings,
    snooze_goal,
    subscribe_push,
    unsubscribe_email,
    unsubscribe_push,
)

#: The most a push subscription's JSON may weigh.
MAX_SUBSCRIPTION_BYTES = 8 * 1024


@require_GET
def notice_log(request, fragment: str | None = None):
    set_phase(Phase.RENDER)
    context = {"notices": selectors.notice_log(owner_id=request.user.id)}
    template = "notifications/notice_log.html"
    return render(request, f"{template}#{fragment}" if fragment else template, context)


@require_http_methods(["GET", "POST"])
def notification_settings(request):
    current = selectors.settings_for(user_id=request.user.id)
    form = NotificationSettingsForm(
        request.POST or None, initial=NotificationSettingsForm.initial_from(current)
    )
    if request.method == "POST" and form.is_valid():
        command = NotificationPreferences(
            reminder_time=form.cleaned_data["reminder_time"],
            quiet_start=form.cleaned_data["quiet_start"],
            quiet_end=form.cleaned_data["quiet_end"],
            channels=form.channels,
        )
        result = save_settings(command, actor_id=request.user.id)
        if result.ok:
            messages.success(request, "Notification settings saved.")
            return redirect("notifications:settings")
        apply_error(form, result.error)
    set_phase(Phase.RENDER)
    contact = selectors.contact_for(user_id=request.user.id)
    context = {
        "form": form,
        "current": current,
        "contact": contact,
        "reach": contact.reach,
        "subscriptions": selectors.push_subscriptions_for(owner_id=request.user.id),
        "push_configured": push.push_configured(),
        "vapid_key": push.public_key() if push.push_configured() else "",
        "time_zone": preferences_for(request.user).time_zone,
    }
    return render(request, "notifications/settings.html", context)


@require_POST
def email_resume(request):
    result = resume_email(actor_id=request.user.id)
    if result.ok:
        messages.success(request, "Notification emails are back on.")
    return redirect("notifications:settings")


def _json_body(request) -> dict | None:
    if len(request.body) > MAX_SUBSCRIPTION_BYTES:
        return None
    try:
        body = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


@require_POST
def push_subscribe(request):
    """A browser's subscription, as `PushSubscription.toJSON()` posts it."""
    body = _json_body(request)
    if body is None:
        return _refused("Send the subscription as a JSON object.")
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    try:
        command = Subscribe(
            endpoint=body.get("endpoint"),
            p256dh=keys.get("p256dh", ""),
            auth=keys.get("auth", ""),
            label=str(body.get("label", ""))[:200],
        )
    except ValidationError:
        return _refused("That is not a push subscription this browser could make.")
    refused = push.refused_endpoint(str(command.endpoint))
    if refused:
        return _refused(f"We can't send to that browser: {refused}.")
    result = subscribe_push(command, actor_id=request.user.id, now=timezone.now())
    if not result.ok:
        return _refused(result.error.message)
    return JsonResponse({"ok": True, "id": result.data})


@require_POST
def push_unsubscribe(request):
    """From the browser (a JSON `endpoint`) or the settings page (a subscription id)."""
    subscription_id = request.POST.get("subscription")
    if subscription_id:
        if not subscription_id.isdigit():
            return _refused("There is no such subscription.")
        unsubscribe_push(actor_id=request.user.id, subscription_id=int(subscription_id))
        messages.success(request, "Push is off for that browser.")
        return redirect("notifications:settings")
    body = _json_body(request)
    if body is None or not isinstance(body.get("endpoint"), str):
        return _refused("Send the subscription's endpoint as JSON.")
    result = unsubscribe_push(actor_id=request.user.id, endpoint=body["endpoint"])
    return JsonResponse({"ok": result.ok})


@require_POST
def goal_snooze(request, goal_id: int):
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return error_response(
            request, ValidationFailed.on("days", "Choose how long to snooze for.").detail()
        )
    days = form.cleaned_data["days"]
    today = timezone.now().astimezone(preferences_for(request.user).zone).date()
    until = today + dt.timedelta(days=days - 1) if days else None
    result = snooze_goal(SnoozeGoal(goal_id=goal_id, until=until), actor_id=request.user.id)
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    if until is None:
        messages.success(request, "Reminders for this goal are back on.")
    elif days == 1:
        messages.success(request, "No reminders for this goal today.")
    else:
        messages.success(request, f"No reminders for this goal until {until:%-d %b}, inclusive.")
    return redirect(safe_next(request, fallback="goals:dashboard"))


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_link(request, token: str):
    """RFC 8058: a mail client POSTs `List-Unsubscribe=One-Click` to this address and
    the person gets no more notification email; opened in a browser, the GET asks
    first (link scanners open links, and must not unsubscribe anyone)."""
    user_id = unsubscribe.user_id_for(token)
    if request.method == "POST":
        result = unsubscribe_email(user_id, now=timezone.now())
        set_phase(Phase.RENDER)
        if not result.ok:
            return error_response(request, result.error)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("Unsubscribed.", content_type="text/plain")
        return render(request, "notifications/unsubscribed.html", {"done": True})
    set_phase(Phase.RENDER)
    status = 200 if user_id is not None else 404
    return render(
        request, "notifications/unsubscribed.html", {"valid": user_id is not None}, status=status
    )
