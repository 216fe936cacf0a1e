"""Writes for accounts: a user and their profile always come into being together.

Email addresses: `User.email` holds only an address its owner confirmed, from the link
mailed to it (password resets and notifications go there). An address entered at
sign-up or in Preferences waits in `Profile.email_pending` until then, and the one
confirmed before stays in use meanwhile. An address confirmed for one account is
refused for another, whatever its case. The mail itself is sent by a task queued when
the transaction commits (`on_commit`), so a mail server that is slow or down neither
fails the change nor holds its transaction open.
"""

import datetime as dt
from collections.abc import Callable
from functools import partial

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db import transaction

from config.envelope import Conflict, NotFound, Result, ValidationFailed
from config.revalidation import ACCOUNT_EMAIL, API_TOKENS, GOALS_LIST, GOALS_SUMMARY
from events import types
from events.outbox import emit, executor

from . import tokens
from .contracts import (
    AccountData,
    ApiTokenData,
    ChangeEmail,
    CreateApiToken,
    EmailData,
    SignUp,
    UpdatePreferences,
)
from .models import ApiToken, Profile
from .verification import INVALID, Claim

#: Called once the transaction has committed, with the account's id and the address
#: to mail a confirmation link to (in the product: queue the task that sends it).
SendLink = Callable[[int, str], None]

ADDRESS_TAKEN = (
    "That address is already confirmed for another account. Use another address, or "
    "log in to that account."
)
NO_LONGER_WAITED_FOR = (
    "This link is for an address the account no longer waits to confirm: it was changed "
    "or removed since the link was sent. Nothing has changed."
)


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


def _address_taken(address: str, *, user_id: int) -> bool:
    """Whether another account has confirmed `address` (in any case).

    Two accounts confirming one address at the same moment could both pass this
    check; both links went to the same mailbox, so both accounts are its owner's."""
    return get_user_model().objects.filter(email__iexact=address).exclude(id=user_id).exists()


def _same_address(first: str, second: str) -> bool:
    return bool(first) and first.casefold() == second.casefold()


def _locked_account(user_id: int):
    """The user and their profile, locked in that order (made if missing: a user made
    by `createsuperuser` has none)."""
    user = get_user_model().objects.select_for_update().filter(id=user_id).first()
    if user is None:
        raise NotFound("There is no such account.")
    profile, _ = Profile.objects.select_for_update().get_or_create(user_id=user_id)
    return user, profile


def _email_data(user, profile: Profile, *, link_sent: bool = False) -> EmailData:
    return EmailData(
        user_id=user.id,
        username=user.get_username(),
        verified=user.email,
        pending=profile.email_pending,
        link_sent=link_sent,
    )


def _await_confirmation(
    profile: Profile, address: str, *, now: dt.datetime, on_commit: SendLink | None
) -> None:
    """Keep `address` as pending and have a link mailed to it once this commits."""
    profile.email_pending = address
    profile.email_pending_sent_at = now
    profile.save(update_fields=["email_pending", "email_pending_sent_at"])
    emit(
        types.ACCOUNT_EMAIL_PENDING,
        owner_id=profile.user_id,
        affected=[ACCOUNT_EMAIL],
        data={"waiting": True},
    )
    if on_commit is not None:
        transaction.on_commit(partial(on_commit, profile.user_id, address))


def _stop_waiting(profile: Profile) -> None:
    profile.email_pending = ""
    profile.email_pending_sent_at = None
    profile.save(update_fields=["email_pending", "email_pending_sent_at"])


@executor
def account_create(
    *, command: SignUp, now: dt.datetime, on_commit: SendLink | None = None
) -> Result:
    """A user with their profile; an address given waits for its confirmation link."""
    User = get_user_model()
    if User.objects.filter(username__iexact=command.username).exists():
        raise ValidationFailed.on("username", "That username is taken.")
    user = User.objects.create_user(
        username=command.username,
        password=command.password.get_secret_value(),
        date_joined=now,
    )
    if command.email and _address_taken(command.email, user_id=user.id):
        raise ValidationFailed.on("email", ADDRESS_TAKEN)
    profile = Profile.objects.create(user=user, time_zone=command.time_zone)
    emit(types.ACCOUNT_CREATED, owner_id=user.id, subject=("user", user.id))
    if command.email:
        _await_confirmation(profile, command.email, now=now, on_commit=on_commit)
    return Result.success(_data(profile))


@executor
def email_pending_set(
    *, user_id: int, command: ChangeEmail, now: dt.datetime, on_commit: SendLink | None
) -> Result:
    """Ask to confirm a new address; the confirmed one stays until then. Entering the
    confirmed address again calls off a change under way."""
    user, profile = _locked_account(user_id)
    if _same_address(user.email, command.email):
        if profile.email_pending:
            _stop_waiting(profile)
            emit(
                types.ACCOUNT_EMAIL_PENDING,
                owner_id=user_id,
                affected=[ACCOUNT_EMAIL],
                data={"waiting": False},
            )
        return Result.success(_email_data(user, profile))
    if _address_taken(command.email, user_id=user_id):
        raise ValidationFailed.on("email", ADDRESS_TAKEN)
    _await_confirmation(profile, command.email, now=now, on_commit=on_commit)
    return Result.success(_email_data(user, profile, link_sent=True))


@executor
def email_link_resend(*, user_id: int, now: dt.datetime, on_commit: SendLink | None) -> Result:
    """Mail the pending address a fresh link (the earlier ones keep working)."""
    user, profile = _locked_account(user_id)
    if not profile.email_pending:
        raise Conflict("No address is waiting to be confirmed.")
    if _address_taken(profile.email_pending, user_id=user_id):
        raise ValidationFailed.on("email", ADDRESS_TAKEN)
    _await_confirmation(profile, profile.email_pending, now=now, on_commit=on_commit)
    return Result.success(_email_data(user, profile, link_sent=True))


@executor
def email_verify(*, claim: Claim) -> Result:
    """Make the address of a genuine link the account's confirmed one, if the account
    still waits for it. Opening the link again after that changes nothing."""
    try:
        user, profile = _locked_account(claim.user_id)
    except NotFound:
        raise ValidationFailed(INVALID) from None
    if not user.is_active:
        raise ValidationFailed(INVALID)
    waiting_for_it = _same_address(profile.email_pending, claim.address)
    if not waiting_for_it and _same_address(user.email, claim.address):
        return Result.success(_email_data(user, profile))
    if not waiting_for_it:
        raise Conflict(NO_LONGER_WAITED_FOR)
    if _address_taken(profile.email_pending, user_id=user.id):
        raise Conflict(ADDRESS_TAKEN)
    user.email = profile.email_pending
    user.save(update_fields=["email"])
    _stop_waiting(profile)
    emit(
        types.ACCOUNT_EMAIL_CHANGED,
        owner_id=user.id,
        affected=[ACCOUNT_EMAIL],
        data={"confirmed": True},
    )
    return Result.success(_email_data(user, profile))


@executor
def email_remove(*, user_id: int) -> Result:
    """The account keeps no address: neither the confirmed one nor one waiting."""
    user, profile = _locked_account(user_id)
    if not user.email and not profile.email_pending:
        return Result.success(_email_data(user, profile))
    user.email = ""
    user.save(update_fields=["email"])
    _stop_waiting(profile)
    emit(
        types.ACCOUNT_EMAIL_CHANGED,
        owner_id=user_id,
        affected=[ACCOUNT_EMAIL],
        data={"confirmed": False},
    )
    return Result.success(_email_data(user, profile))


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
