"""The time zone select of sign-up and Preferences: zones grouped by continent or
ocean, sorted by place, each with its offset from UTC today, UTC first.

The list shows the IANA "Area/Place" zones people pick from; the field still accepts
any zone the system knows (an old alias such as `US/Pacific` set through the API, or
`Asia/Calcutta` as some browsers report it), and shows such a zone when it is the
current one, so a saved choice is never lost."""

import datetime as dt
import zoneinfo
from functools import lru_cache

from django import forms

#: The areas a zone name starts with, in the order their groups are listed.
AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
UTC = "UTC"

type Choices = list[tuple[str, str | list[tuple[str, str]]]]


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _offset_words(name: str, now: dt.datetime) -> str:
    offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _place(name: str) -> str:
    """`America/Argentina/Buenos_Aires` reads "Argentina / Buenos Aires"."""
    return name.split("/", 1)[1].replace("_", " ").replace("/", " / ")


def grouped_choices(*, current: str | None = None, now: dt.datetime | None = None) -> Choices:
    """UTC, then one group per area; `current`, if it is a zone outside the groups,
    in a last group of its own."""
    now = now or dt.datetime.now(dt.UTC)
    by_area: dict[str, list[str]] = {area: [] for area in AREAS}
    for name in known_zones():
        area = name.split("/", 1)[0]
        if "/" in name and area in by_area:
            by_area[area].append(name)
    choices: Choices = [(UTC, "UTC")]
    for area, names in by_area.items():
        ordered = sorted(names, key=_place)
        choices.append(
            (area, [(name, f"{_place(name)} ({_offset_words(name, now)})") for name in ordered])
        )
    listed = {UTC} | {name for names in by_area.values() for name in names}
    if current and current in known_zones() and current not in listed:
        choices.append(("Other", [(current, current.replace("_", " "))]))
    return choices


class TimeZoneField(forms.ChoiceField):
    """A select of grouped zones that accepts any zone the system knows."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", grouped_choices)
        kwargs.setdefault("initial", UTC)
        super().__init__(**kwargs)

    def valid_value(self, value) -> bool:
        return value in known_zones()

    def show_current(self, current: str | None) -> None:
        """List `current` too, when it is a zone outside the groups."""
        self.choices = grouped_choices(current=current)
