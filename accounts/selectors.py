import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model

from .models import Profile, Weekday


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
