import datetime as dt
import logging
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from config.envelope import ApplicationError, Conflict, Result
from config.mail import send_email
from config.orchestration import execute

from . import executors as account_executors
from . import mails, verification
from . import selectors as account_selectors
from .contracts import ApiTokenRef, ChangeEmail, CreateApiToken, SignUp, UpdatePreferences
from .executors import SendLink

logger = logging.getLogger(__name__)

#: How soon after a confirmation link "Send again" sends another: a mail on every click
#: would let anyone signed in flood an address that is not theirs.
RESEND_AFTER = dt.timedelta(minutes=1)
SendEmail = Callable[..., None]


def sign_up(
    command: SignUp,
    *,
    now: dt.datetime,
    send_link: SendLink | None = None,
    executors=account_executors,
) -> Result:
    """A new account; an address given gets its confirmation link once it exists."""
    return execute(partial(executors.account_create, command=command, now=now, on_commit=send_link))


def update_preferences(
    command: UpdatePreferences, *, actor_id: int, executors=account_executors
) -> Result:
    return execute(partial(executors.profile_update, user_id=actor_id, command=command))


def create_api_token(
    command: CreateApiToken, *, actor_id: int, now: dt.datetime, executors=account_executors
) -> Result:
    return execute(partial(executors.api_token_create, user_id=actor_id, command=command, now=now))


def revoke_api_token(
    command: ApiTokenRef, *, actor_id: int, now: dt.datetime, executors=account_executors
) -> Result:
    """Revoked at once: the next request with the token is refused."""
    return execute(
        partial(executors.api_token_revoke, user_id=actor_id, token_id=command.token_id, now=now)
    )


def change_email(
    command: ChangeEmail,
    *,
    actor_id: int,
    now: dt.datetime,
    send_link: SendLink | None,
    executors=account_executors,
) -> Result:
    """A new address waits for its link; the confirmed one is used until then."""
    return execute(
        partial(
            executors.email_pending_set,
            user_id=actor_id,
            command=command,
            now=now,
            on_commit=send_link,
        )
    )


def resend_email_link(
    *,
    actor_id: int,
    now: dt.datetime,
    send_link: SendLink | None,
    selectors=account_selectors,
    executors=account_executors,
) -> Result:
    """Another link for the address waiting, at most once per `RESEND_AFTER`."""
    state = selectors.email_state_for(user_id=actor_id)
    sent_at = state.pending_sent_at if state else None
    if sent_at is not None and now - sent_at < RESEND_AFTER:
        return Result.failure(
            Conflict(
                "We sent a link less than a minute ago. Give it a moment to arrive, and "
                "look in the spam folder too."
            )
        )
    return execute(
        partial(executors.email_link_resend, user_id=actor_id, now=now, on_commit=send_link)
    )


def remove_email(*, actor_id: int, executors=account_executors) -> Result:
    return execute(partial(executors.email_remove, user_id=actor_id))


def confirm_email(
    token: str,
    *,
    valid_for: dt.timedelta = verification.VALID_FOR,
    executors=account_executors,
) -> Result:
    """Confirm the address a mailed link names, whoever is logged in (or no one): the
    link is the proof, since only the address's owner could have opened it."""
    try:
        claim = verification.read_token(token, valid_for=valid_for)
    except ApplicationError as exc:
        return Result.failure(exc)
    return execute(partial(executors.email_verify, claim=claim))


def mail_email_link(
    *,
    user_id: int,
    address: str,
    origin: str,
    send: SendEmail = send_email,
    selectors=account_selectors,
) -> bool:
    """Mail a confirmation link for `address` (for the task queued by a change), if
    the account still waits for that address; whether a mail was sent. A failure to
    send raises, and fails the task."""
    state = selectors.email_state_for(user_id=user_id)
    if state is None or not state.is_active or state.pending.casefold() != address.casefold():
        logger.info("No confirmation link sent: account %s no longer waits for it", user_id)
        return False
    token = verification.make_token(user_id=user_id, address=state.pending)
    link = origin + reverse("accounts:email_confirm", args=[token])
    mail = mails.confirm_address(username=state.username, address=state.pending, link=link)
    send(to=state.pending, subject=mail.subject, text=mail.text, html=mail.html)
    return True


def mail_password_reset(
    *,
    user_id: int,
    origin: str,
    send: SendEmail = send_email,
    selectors=account_selectors,
    tokens=default_token_generator,
) -> bool:
    """Mail a password reset link to the account's confirmed address (for the task
    queued by the reset form); whether a mail was sent. The link's token is made
    here, in the worker, so it never waits in the task queue."""
    user = selectors.user_for_password_reset(user_id=user_id)
    if user is None or not user.has_usable_password():
        logger.info("No password reset link sent: account %s cannot take one", user_id)
        return False
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": tokens.make_token(user),
        },
    )
    mail = mails.password_reset(
        username=user.get_username(),
        link=origin + path,
        valid_for=dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    )
    send(to=user.email, subject=mail.subject, text=mail.text, html=mail.html)
    return True


def password_was_reset(*, username: str, executors=account_executors) -> None:
    """The owner proved who they are from their mailbox: the failed logins counted
    against the account no longer hold them back (those of other accounts from the
    same address still count)."""
    executors.login_failures_forget(username=username)
