import math
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import SecretStr

from config.envelope import Result
from config.errors import error_response
from config.forms import apply_error
from config.request_context import Phase, set_phase

from . import reset_limits
from .contracts import ApiTokenRef, ChangeEmail, CreateApiToken, SignUp, UpdatePreferences
from .forms import ApiTokenForm, EmailForm, PreferencesForm, QueuedPasswordResetForm, SignUpForm
from .orchestrators import (
    change_email,
    confirm_email,
    create_api_token,
    password_was_reset,
    remove_email,
    resend_email_link,
    revoke_api_token,
    sign_up,
    update_preferences,
)
from .selectors import api_tokens_for, email_state_for, preferences_for, user_for_login
from .tasks import enqueue_email_link
from .throttle import client_address

#: The backend a new account is logged in with (the login throttle's backend only
#: watches attempts; it logs no one in).
PASSWORD_BACKEND = "accounts.backends.PasswordBackend"


def _send_link(request):
    """What mails a confirmation link, after the commit: a task, given the address
    the site was reached at, which the link starts with."""
    return partial(enqueue_email_link, origin=f"{request.scheme}://{request.get_host()}")


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("goals:dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        command = SignUp(
            username=form.cleaned_data["username"],
            password=SecretStr(form.cleaned_data["password1"]),
            time_zone=form.cleaned_data["time_zone"],
            email=form.cleaned_data["email"],
        )
        result = sign_up(command, now=timezone.now(), send_link=_send_link(request))
        if result.ok:
            login(request, user_for_login(user_id=result.data.user_id), backend=PASSWORD_BACKEND)
            messages.success(request, f"Welcome, {result.data.username}. Set your first goal.")
            if command.email:
                messages.info(request, _link_sent_words(command.email))
            return redirect("goals:create")
        apply_error(form, result.error)
    set_phase(Phase.RENDER)
    return render(request, "accounts/signup.html", {"form": form})


def _link_sent_words(address: str, *, confirmed: str = "") -> str:
    words = f"A link is on its way to {address}: open it to confirm the address."
    if confirmed:
        words += f" Until then, {confirmed} stays in use."
    return words


def _preferences_page(request, *, form=None, email_form=None):
    if form is None:
        current = preferences_for(request.user)
        form = PreferencesForm(
            initial={"time_zone": current.time_zone, "week_start": current.week_start}
        )
    context = {
        "form": form,
        "email_form": email_form if email_form is not None else EmailForm(),
        "email": email_state_for(user_id=request.user.id),
    }
    set_phase(Phase.RENDER)
    return render(request, "accounts/preferences.html", context)


@require_http_methods(["GET", "POST"])
def preferences(request):
    if request.method == "GET":
        return _preferences_page(request)
    form = PreferencesForm(request.POST)
    if form.is_valid():
        result = update_preferences(
            UpdatePreferences(**form.cleaned_data), actor_id=request.user.id
        )
        if result.ok:
            messages.success(request, "Preferences saved.")
            return redirect("accounts:preferences")
        apply_error(form, result.error)
    return _preferences_page(request, form=form)


@require_http_methods(["GET", "POST"])
def email(request):
    """The address panel of Preferences: GET is the panel alone (it refreshes itself
    when the account's address changes, say from a link opened on a phone); POST asks
    to confirm a new address."""
    if request.method == "GET":
        context = {"email": email_state_for(user_id=request.user.id), "email_form": EmailForm()}
        set_phase(Phase.RENDER)
        return render(request, "accounts/preferences.html#email-panel", context)
    email_form = EmailForm(request.POST)
    if email_form.is_valid():
        result = change_email(
            ChangeEmail(email=email_form.cleaned_data["email"]),
            actor_id=request.user.id,
            now=timezone.now(),
            send_link=_send_link(request),
        )
        if result.ok:
            if result.data.link_sent:
                messages.info(
                    request,
                    _link_sent_words(result.data.pending, confirmed=result.data.verified),
                )
            else:
                messages.success(request, f"{result.data.verified} stays your address.")
            return redirect("accounts:preferences")
        apply_error(email_form, result.error)
    return _preferences_page(request, email_form=email_form)


def _after_email_change(request, result: Result, done: str):
    set_phase(Phase.RENDER)
    if not result.ok:
        messages.error(request, result.error.message)
    else:
        messages.success(request, done)
    return redirect("accounts:preferences")


@require_POST
def email_resend(request):
    result = resend_email_link(
        actor_id=request.user.id, now=timezone.now(), send_link=_send_link(request)
    )
    done = (
        _link_sent_words(result.data.pending, confirmed=result.data.verified) if result.ok else ""
    )
    return _after_email_change(request, result, done)


@require_POST
def email_remove(request):
    result = remove_email(actor_id=request.user.id)
    return _after_email_change(
        request, result, "Your account has no email address now; password resets need one."
    )


@login_not_required
@require_GET
@never_cache
def email_confirm(request, token: str):
    """The link in the confirmation mail: it works whoever is logged in, or no one."""
    result = confirm_email(token)
    set_phase(Phase.RENDER)
    context = {"result": result}
    response = render(
        request, "accounts/email_confirmed.html", context, status=200 if result.ok else 400
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


#: The session key that carries a new token from the POST that made it to the one
#: page that shows its secret.
NEW_TOKEN = "api_token_new"


@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The user's API tokens. A new token's secret is shown once, on the page the POST
    that made it redirects to (so a refresh makes nothing twice): it is held in the
    session until that page takes it out, and it is not stored anywhere else."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = create_api_token(
            CreateApiToken(**form.cleaned_data), actor_id=request.user.id, now=timezone.now()
        )
        if result.ok:
            request.session[NEW_TOKEN] = result.data.model_dump(
                include={"name", "prefix", "secret"}
            )
            return redirect("accounts:api_tokens")
        apply_error(form, result.error)
    created = request.session.pop(NEW_TOKEN, None) if request.method == "GET" else None
    set_phase(Phase.RENDER)
    context = {"form": form, "created": created, "tokens": api_tokens_for(user_id=request.user.id)}
    response = render(request, "accounts/api_tokens.html", context)
    if created:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
def api_token_revoke(request, token_id: int):
    result = revoke_api_token(
        ApiTokenRef(token_id=token_id), actor_id=request.user.id, now=timezone.now()
    )
    set_phase(Phase.RENDER)
    if not result.ok:
        return error_response(request, result.error)
    messages.success(request, f"“{result.data.name}” is revoked; it no longer opens the API.")
    return redirect("accounts:api_tokens")


class PasswordReset(auth_views.PasswordResetView):
    """Django's reset page, with a limit per client and one per address
    (`reset_limits`): past the first, the page says when to try again; past the
    second, nothing is mailed and the page answers as always."""

    form_class = QueuedPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        client = client_address(self.request) or ""
        asked = reset_limits.count("client", client, settings.PASSWORD_RESET_CLIENT_LIMIT)
        if not asked.allowed:
            minutes = math.ceil(asked.retry_after / 60)
            form.add_error(
                None,
                "Too many reset requests from here. "
                f"Try again in {minutes} minute{pluralize(minutes)}.",
            )
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(asked.retry_after)
            return response
        address = form.cleaned_data["email"].strip().lower()
        mailed = reset_limits.count("address", address, settings.PASSWORD_RESET_ADDRESS_LIMIT)
        if not mailed.allowed:
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_was_reset(username=form.user.get_username())
        return response
