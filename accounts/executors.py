"""Writes for accounts: a user and their profile always come into being together."""

import datetime as dt

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db import transaction

from config.envelope import NotFound, Result, ValidationFailed
from config.revalidation import API_TOKENS, GOALS_LIST, GOALS_SUMMARY
from events import types
from events.outbox import emit, executor

from . import tokens
from .contracts import AccountData, ApiTokenData, CreateApiToken, SignUp, UpdatePreferences
from .models import ApiToken, Profile


def _data(profile: Profile) -> AccountData:
    return AccountData(
        user_id=profile.user_id,
        username=profile.user.get_username(),
        time_zone=profile.time_zone,
        week_start=profile.week_start,
    )


def _tokens_changed(user_id: int) -> None:
    """Tokens are secrets: the event names no token, only that the list changed."""
    emit(types.API_TOKENS_CHANGED, owner_id=user_id, affected=[API_TOKENS])


@executor
def account_create(*, command: SignUp, now: dt.datetime) -> Result:
    User = get_user_model()
    if User.objects.filter(username__iexact=command.username).exists():
        raise ValidationFailed.on("username", "That username is taken.")
    user = User.objects.create_user(
        username=command.username,
        password=command.password.get_secret_value(),
        date_joined=now,
    )
    profile = Profile.objects.create(user=user, time_zone=command.time_zone)
    emit(types.ACCOUNT_CREATED, owner_id=user.id, subject=("user", user.id))
    return Result.success(_data(profile))


@executor
def profile_update(*, user_id: int, command: UpdatePreferences) -> Result:
    profile, _ = Profile.objects.select_for_update().get_or_create(user_id=user_id)
    profile.time_zone = command.time_zone
    profile.week_start = command.week_start
    profile.full_clean(exclude=["user"])
    profile.save()
    emit(
        types.PREFERENCES_CHANGED,
        owner_id=user_id,
        # A new time zone or first weekday re-cuts every period: all progress changes.
        affected=[GOALS_LIST, GOALS_SUMMARY],
        data={"time_zone": profile.time_zone, "week_start": profile.week_start},
    )
    return Result.success(_data(profile))


@executor
def api_token_create(*, user_id: int, command: CreateApiToken, now: dt.datetime) -> Result:
    """Make a token; the envelope carries its secret, which is stored only as a digest."""
    secret = tokens.new_secret()
    token = ApiToken.objects.create(
        user_id=user_id,
        name=command.name,
        prefix=secret[: tokens.SHOWN_PREFIX_LENGTH],
        digest=tokens.digest(secret),
        created=now,
    )
    _tokens_changed(user_id)
    return Result.success(
        ApiTokenData(id=token.id, name=token.name, prefix=token.prefix, secret=secret)
    )


@executor
def api_token_revoke(*, user_id: int, token_id: int, now: dt.datetime) -> Result:
    token = (
        ApiToken.objects.select_for_update()
        .filter(id=token_id, user_id=user_id, revoked__isnull=True)
        .first()
    )
    if token is None:
        raise NotFound("There is no such token, or it was revoked already.")
    token.revoked = now
    token.save(update_fields=["revoked"])
    _tokens_changed(user_id)
    return Result.success(ApiTokenData(id=token.id, name=token.name, prefix=token.prefix))


def api_token_mark_used(*, token_id: int, now: dt.datetime, every: dt.timedelta) -> None:
    """Note when a token was last used, at most once per `every`: one conditional
    UPDATE, not a write on every request."""
    ApiToken.objects.filter(id=token_id).exclude(last_used__gt=now - every).update(last_used=now)


@transaction.atomic
def login_failures_forget(*, username: str) -> int:
    """Forget the failed logins counted against this account (from any address), but
    not those of the addresses they came from: the account's owner has just proven
    who they are, the address has not."""
    deleted, _ = AccessAttempt.objects.filter(username=username).delete()
    return deleted
