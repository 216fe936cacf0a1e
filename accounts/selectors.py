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


def api_tokens_for(*, user_id: int):
    return ApiToken.objects.filter(user_id=user_id, revoked__isnull=True)


def api_token_for_secret(secret: str) -> ApiToken | None:
    """The live token with this secret, with its user (active ones only)."""
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
