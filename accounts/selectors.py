import datetime as dt
import zoneinfo
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q

from . import tokens
from .models import ApiToken, Profile, Weekday


@dataclass(frozen=True)
class Preferences:
    """How a user's days and weeks are cut; defaults for a user without a profile
    (one made by `createsuperuser`, say)."""

    time_zone: str = settings.TIME_ZONE
    week_start: int = Weekday.MONDAY

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def preferences_for(user) -> Preferences:
    profile = getattr(user, "profile", None)
    if not isinstance(profile, Profile):
        return Preferences()
    return Preferences(time_zone=profile.time_zone, week_start=profile.week_start)


def user_for_login(*, user_id: int):
    return get_user_model().objects.get(id=user_id)


@dataclass(frozen=True)
class EmailState:
    """An account's addresses: the confirmed one, and one waiting to be confirmed
    (each "" when there is none)."""

    user_id: int
    username: str = ""
    verified: str = ""
    pending: str = ""
    pending_sent_at: dt.datetime | None = None
    is_active: bool = True


def email_state_for(*, user_id: int) -> EmailState | None:
    row = (
        get_user_model()
        .objects.filter(id=user_id)
        .values(
            "username",
            "email",
            "is_active",
            "profile__email_pending",
            "profile__email_pending_sent_at",
        )
        .first()
    )
    if row is None:
        return None
    return EmailState(
        user_id=user_id,
        username=row["username"],
        verified=row["email"],
        pending=row["profile__email_pending"] or "",
        pending_sent_at=row["profile__email_pending_sent_at"],
        is_active=row["is_active"],
    )


def user_for_password_reset(*, user_id: int):
    """The active user with a confirmed address, whom a reset link may go to."""
    return get_user_model().objects.filter(id=user_id, is_active=True).exclude(email="").first()


def api_tokens_for(*, user_id: int):
    return ApiToken.objects.filter(user_id=user_id, revoked__isnull=True)


def api_token_for_secret(secret: str) -> ApiToken | None:
    """The live token with this secret, with its user (active ones only) and profile.

    One indexed query on every API request, deliberately not cached in the process:
    a revoked token, a deactivated user or a changed time zone then count from the next
    request in every process, with nothing to invalidate across them. The caller
    writes `last_used` only when the token's is a minute old, so a request costs this
    read alone."""
    if not secret.startswith(tokens.PREFIX):
        return None
    return (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(digest=tokens.digest(secret), revoked__isnull=True, user__is_active=True)
        .first()
    )


def last_login_failure(*, username: str | None, ip_address: str | None) -> dt.datetime | None:
    """When the latest failed sign-in for this account or from this address was
    recorded (the login throttle counts its cool-off from there)."""
    return AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip_address)).aggregate(
        latest=Max("attempt_time")
    )["latest"]
