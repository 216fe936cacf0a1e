"""Login throttling (django-axes): repeated wrong passwords pause logging in, per
account and per client address, on the site's login page and the admin's.

Axes counts the failures and refuses the next attempt; this module says who the client
is and answers the refusal: a page in the site's own look, status 429, that says when
to try again, with `Retry-After` for clients that read it.
"""

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from config.request_context import Phase, set_phase

from .executors import login_failures_forget
from .selectors import last_login_failure


def client_address(request: HttpRequest) -> str | None:
    """The address failures are counted against. Behind `TRUSTED_PROXIES` reverse
    proxies it is the one the nearest of them saw, read from the right end of
    `X-Forwarded-For`: the entries left of it are whatever the client wrote, and
    counting them would let a client pick a fresh address for every attempt."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def forget_account_failures(sender, request, user, **kwargs) -> None:
    """On a login (`user_logged_in`): the account's own failures are forgotten, and
    only those (see `AXES_RESET_ON_SUCCESS` in the settings)."""
    login_failures_forget(username=user.get_username())


def _wait_words(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Axes' lockout answer (`AXES_LOCKOUT_CALLABLE`)."""
    set_phase(Phase.AUTHENTICATE)
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    latest = last_login_failure(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    )
    now = timezone.now()
    retry_at = (latest or now) + settings.AXES_COOLOFF_TIME
    wait = max(1, math.ceil((retry_at - now).total_seconds()))
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "retry_at": timezone.localtime(retry_at),
        "wait_words": _wait_words(wait),
    }
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response
