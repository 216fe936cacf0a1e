"""`/api/v1/me`: the caller's own account, and the preferences that cut their days and
weeks (time zone, first day of the week). Like the preferences page, a change goes
through `update_preferences`."""

import zoneinfo
from enum import StrEnum

from ninja import Field, Router, Schema
from pydantic import field_validator

from config.api_schemas import Strict, error_responses

from .contracts import AccountData, UpdatePreferences
from .models import Weekday
from .orchestrators import update_preferences
from .selectors import preferences_for

router = Router(tags=["me"])


class WeekStart(StrEnum):
    """The first day of a week, by name: a number would leave clients guessing whether
    Monday is 0 or 1."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


def _week_start(day: int) -> WeekStart:
    return WeekStart(Weekday(day).label.lower())


def _weekday(day: WeekStart) -> Weekday:
    return Weekday[day.name]


class MeOut(Schema):
    username: str
    time_zone: str = Field(description="An IANA time zone; days and periods are cut in it.")
    week_start: WeekStart = Field(description="The day weekly periods start on.")


class MePatch(Strict):
    time_zone: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="An IANA time zone name, such as `Europe/Berlin`.",
        examples=["Europe/Berlin", "America/New_York", "UTC"],
    )
    week_start: WeekStart | None = None

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in zoneinfo.available_timezones():
            raise ValueError(f"“{value}” is not a time zone we know; try one like Europe/Berlin.")
        return value


def _me(username: str, time_zone: str, week_start: int) -> MeOut:
    return MeOut(username=username, time_zone=time_zone, week_start=_week_start(week_start))


@router.get("", response={200: MeOut, **error_responses()}, summary="Your account")
def get_me(request):
    current = preferences_for(request.user)
    return _me(request.user.get_username(), current.time_zone, current.week_start)


@router.patch(
    "",
    response={200: MeOut, **error_responses()},
    summary="Change your time zone or first day of the week",
    description=(
        "Send either or both; what you leave out stays. A new time zone or week start "
        "re-cuts every period, so every goal's progress may change."
    ),
)
def patch_me(request, payload: MePatch):
    current = preferences_for(request.user)
    command = UpdatePreferences(
        time_zone=current.time_zone if payload.time_zone is None else payload.time_zone,
        week_start=(
            current.week_start if payload.week_start is None else _weekday(payload.week_start)
        ),
    )
    data: AccountData = update_preferences(command, actor_id=request.user.id).unwrap()
    return _me(data.username, data.time_zone, data.week_start)
