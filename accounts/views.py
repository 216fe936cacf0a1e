from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from pydantic import SecretStr

from config.errors import error_response
from config.forms import apply_error
from config.request_context import Phase, set_phase

from .contracts import ApiTokenRef, CreateApiToken, SignUp, UpdatePreferences
from .forms import ApiTokenForm, PreferencesForm, SignUpForm
from .orchestrators import create_api_token, revoke_api_token, sign_up, update_preferences
from .selectors import api_tokens_for, preferences_for, user_for_login

#: The backend a new account is logged in with (the login throttle's backend only
#: watches attempts; it logs no one in).
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


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
        )
        result = sign_up(command, now=timezone.now())
        if result.ok:
            login(request, user_for_login(user_id=result.data.user_id), backend=PASSWORD_BACKEND)
            messages.success(request, f"Welcome, {result.data.username}. Set your first goal.")
            return redirect("goals:create")
        apply_error(form, result.error)
    set_phase(Phase.RENDER)
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def preferences(request):
    current = preferences_for(request.user)
    form = PreferencesForm(
        request.POST or None,
        initial={"time_zone": current.time_zone, "week_start": current.week_start},
    )
    if request.method == "POST" and form.is_valid():
        result = update_preferences(
            UpdatePreferences(**form.cleaned_data), actor_id=request.user.id
        )
        if result.ok:
            messages.success(request, "Preferences saved.")
            return redirect("accounts:preferences")
        apply_error(form, result.error)
    set_phase(Phase.RENDER)
    return render(request, "accounts/preferences.html", {"form": form})


@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The user's API tokens. A new token's secret is shown in the answer to the POST
    that made it, once: it is not stored, so it cannot be shown again."""
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        result = create_api_token(
            CreateApiToken(**form.cleaned_data), actor_id=request.user.id, now=timezone.now()
        )
        if result.ok:
            created, form = result.data, ApiTokenForm()
        else:
            apply_error(form, result.error)
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
