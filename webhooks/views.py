"""The webhooks page: endpoints, adding one (its secret shown once), and each
endpoint's page with its delivery log, a test event, resends and its settings.

Every form posts and redirects (a refresh makes nothing twice); with htmx, the test
event and resend buttons refresh the delivery log in place."""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from config.envelope import ErrorCode, Result
from config.errors import error_response
from config.forms import apply_error, apply_validation_error
from config.request_context import Phase, set_phase
from config.revalidation import trigger_revalidation

from . import selectors
from .contracts import CreateEndpoint, UpdateEndpoint
from .forms import EndpointForm
from .models import DeliveryStatus, Endpoint
from .orchestrators import (
    create_endpoint,
    delete_endpoint,
    resend_delivery,
    rotate_secret,
    send_test_event,
    update_endpoint,
)
from .tasks import enqueue_delivery

#: The session key that carries a new secret from the POST that made it to the one
#: page that shows it.
NEW_SECRET = "webhook_new_secret"
#: The delivery log refreshes itself while a delivery is due this soon.
POLL_AHEAD = dt.timedelta(seconds=30)


def _shown_secret(request, endpoint_id: int) -> str | None:
    """The endpoint's new secret, once: taken out of the session as it is shown."""
    held = request.session.get(NEW_SECRET)
    if held and held.get("endpoint_id") == endpoint_id:
        del request.session[NEW_SECRET]
        return held["secret"]
    return None


def _hold_secret(request, endpoint_id: int, secret: str) -> None:
    request.session[NEW_SECRET] = {"endpoint_id": endpoint_id, "secret": secret}


def _command(form: EndpointForm, command_class):
    """The form's data as the command; None (with the reasons on the form) if the
    form or the command refuses it."""
    if not form.is_valid():
        return None
    try:
        return command_class(**form.cleaned_data)
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None


@require_http_methods(["GET", "POST"])
def endpoint_list(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        command = _command(form, CreateEndpoint)
        if command is not None:
            result = create_endpoint(command, actor_id=request.user.id, now=timezone.now())
            if result.ok:
                created = result.data
                _hold_secret(request, created.endpoint.id, created.secret)
                return redirect("webhooks:detail", created.endpoint.id)
            apply_error(form, result.error)
    set_phase(Phase.RENDER)
    context = {"form": form, "endpoints": selectors.endpoints_for(owner_id=request.user.id)}
    return render(request, "webhooks/endpoint_list.html", context)


@dataclass(frozen=True)
class ShownLog:
    endpoint: Endpoint
    deliveries: list

    @property
    def polling(self) -> bool:
        """Whether a delivery is due soon, so the log should look again shortly."""
        soon = timezone.now() + POLL_AHEAD
        return any(
            d.status == DeliveryStatus.PENDING and d.next_attempt_at and d.next_attempt_at <= soon
            for d in self.deliveries
        )


def _owned(request, endpoint_id: int) -> Endpoint:
    set_phase(Phase.AUTHORIZE)
    return selectors.endpoint_for_owner(endpoint_id=endpoint_id, owner_id=request.user.id)


def _log(endpoint: Endpoint) -> ShownLog:
    return ShownLog(endpoint, selectors.delivery_log(endpoint_id=endpoint.id))


@require_http_methods(["GET", "POST"])
def endpoint_detail(request, endpoint_id: int):
    """The endpoint, its delivery log, and its settings form (which posts here)."""
    endpoint = _owned(request, endpoint_id)
    if request.method == "POST":
        form = EndpointForm(request.POST)
        command = _command(form, UpdateEndpoint)
        if command is not None:
            result = update_endpoint(
                endpoint.id, command, actor_id=request.user.id, now=timezone.now()
            )
            if result.ok:
                messages.success(request, "Saved.")
                return redirect("webhooks:detail", endpoint.id)
            apply_error(form, result.error)
    else:
        form = EndpointForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "event_types": endpoint.event_types,
            }
        )
    secret = _shown_secret(request, endpoint.id)
    set_phase(Phase.RENDER)
    context = {"endpoint": endpoint, "form": form, "log": _log(endpoint), "secret": secret}
    response = render(request, "webhooks/endpoint_detail.html", context)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


def _log_fragment(request, endpoint_id: int):
    endpoint = _owned(request, endpoint_id)
    set_phase(Phase.RENDER)
    return render(request, "webhooks/endpoint_detail.html#delivery-log", {"log": _log(endpoint)})


@require_GET
def delivery_log(request, endpoint_id: int):
    return _log_fragment(request, endpoint_id)


def _answer(request, endpoint_id: int, result: Result, done: str):
    """After an action on the log: the log itself for htmx, else back to the page."""
    if not result.ok:
        if request.htmx or result.error.code == ErrorCode.NOT_FOUND:
            return error_response(request, result.error)
        messages.error(request, result.error.message)
        return redirect("webhooks:detail", endpoint_id)
    if request.htmx:
        response = _log_fragment(request, endpoint_id)
        return trigger_revalidation(response, result.affected)
    messages.success(request, done)
    return redirect("webhooks:detail", endpoint_id)


@require_POST
def endpoint_test(request, endpoint_id: int):
    result = send_test_event(
        endpoint_id, actor_id=request.user.id, now=timezone.now(), enqueue=enqueue_delivery
    )
    return _answer(request, endpoint_id, result, "A test event is on its way.")


@require_POST
def delivery_resend(request, endpoint_id: int, delivery_id: int):
    result = resend_delivery(
        delivery_id,
        actor_id=request.user.id,
        endpoint_id=endpoint_id,
        now=timezone.now(),
        enqueue=enqueue_delivery,
    )
    return _answer(request, endpoint_id, result, "Sending it again.")


@require_POST
def endpoint_enabled(request, endpoint_id: int):
    enabled = request.POST.get("enabled") == "1"
    result = update_endpoint(
        endpoint_id,
        UpdateEndpoint(enabled=enabled),
        actor_id=request.user.id,
        now=timezone.now(),
    )
    if not result.ok:
        return error_response(request, result.error)
    messages.success(request, "Enabled." if enabled else "Disabled: nothing is sent to it.")
    return redirect("webhooks:detail", endpoint_id)


@require_POST
def endpoint_rotate(request, endpoint_id: int):
    result = rotate_secret(endpoint_id, actor_id=request.user.id, now=timezone.now())
    if not result.ok:
        return error_response(request, result.error)
    _hold_secret(request, endpoint_id, result.data.secret)
    return redirect("webhooks:detail", endpoint_id)


@require_POST
def endpoint_delete(request, endpoint_id: int):
    result = delete_endpoint(endpoint_id, actor_id=request.user.id, now=timezone.now())
    if not result.ok:
        return error_response(request, result.error)
    messages.success(request, f"Deleted the endpoint {result.data.url}.")
    return redirect("webhooks:list")
