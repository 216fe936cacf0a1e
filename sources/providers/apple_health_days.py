"""Days and nights of an Apple Health export, as the Health app shows them: the
records of a daily stream summed per day from one device (or all), and the asleep
stages of a night merged into one value, counted once where devices overlap.

The rules are written in `sources.providers.apple_health`'s docstring. State grows
with days, nights and devices, never with records: a tally per (stream, day, unit,
device) and per (night, device), a night's intervals merged as they arrive.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation, localcontext

from measurements.contracts import UnstorableNumber, storable

from .base import PermanentError

#: How many tallies and sleep intervals an import keeps: fifteen years of an iPhone
#: and a Watch need about 60,000.
MAX_TALLIES = 250_000
TOO_MANY_TALLIES = (
    f"The export holds more days, nights and devices than an import keeps track of "
    f"({MAX_TALLIES:,}); it is not an Apple Health export we can read."
)
#: A night runs from 6 pm to 6 pm: a stage that starts 6 hours before midnight or
#: later belongs to the night that ends the next morning.
NIGHT_SHIFT = dt.timedelta(hours=6)
#: When a day's value is dated (or at its last record, when earlier).
DAY_TIME = dt.time(12)
#: Merged intervals a tally holds before they are merged again.
_MERGE_AT = 64
#: Room for every digit of a sum of storable numbers.
_SUMS = Context(prec=60)


def is_watch(record: dict[str, str]) -> bool:
    """Whether an Apple Watch recorded it: its device says so, or its name does
    ("Anna's Apple Watch", "Apple Watch von Anna")."""
    return "watch" in record.get("sourceName", "").casefold() or (
        "name:Apple Watch" in record.get("device", "")
    )


def moment(iso: str | None) -> dt.datetime | None:
    """An ISO time with its offset, or None when it names no real time."""
    if iso is None:
        return None
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:  # a date that does not exist ("2026-02-30")
        return None


def number(text: str | None) -> Decimal | None:
    """Apple's value as a Decimal that can be stored, or None (too large, too small
    to keep, not a number)."""
    try:
        return storable(Decimal(text or ""))
    except (InvalidOperation, UnstorableNumber):
        return None


def day_preference(name: str, tally: "DayTally") -> tuple:
    """Sort key of the devices of a day: the one with the most records (the one worn
    or carried longest: a Watch worn for ten minutes does not stand for a day of an
    iPhone's steps), a Watch when they tie, then by name."""
    return (-tally.records, not tally.watch, name)


def night_preference(name: str, tally: "NightTally") -> tuple:
    """Sort key of the devices of a night: a Watch first (its stages are what the
    Health app shows), then the one with the most records, then by name."""
    return (not tally.watch, -tally.records, name)


@dataclass(slots=True)
class DayTally:
    """What one device recorded of one stream in one day, in one unit."""

    watch: bool
    records: int = 0
    total: Decimal = Decimal(0)
    latest: dt.datetime | None = None


@dataclass(slots=True)
class NightTally:
    """What one device recorded of one night: its asleep stages, and the time it
    tracked (asleep and awake), as merged (start, end) intervals in POSIX seconds."""

    watch: bool
    records: int = 0
    asleep: list[tuple[int, int]] = field(default_factory=list)
    covered: list[tuple[int, int]] = field(default_factory=list)
    offset: dt.tzinfo | None = None
    last_end: int = 0


@dataclass(frozen=True)
class Total:
    """One value for a day or night, and where it came from."""

    key: str
    day: dt.date
    value: Decimal
    unit: str
    measured_at: dt.datetime
    sources: tuple[str, ...]


def merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def outside(intervals: list[tuple[int, int]], blocked: list[tuple[int, int]]):
    """The parts of `intervals` that no interval of `blocked` covers (both merged)."""
    out: list[tuple[int, int]] = []
    for start, end in intervals:
        for block_start, block_end in blocked:
            if block_end <= start or block_start >= end:
                continue
            if block_start > start:
                out.append((start, block_start))
            start = max(start, block_end)
            if start >= end:
                break
        if start < end:
            out.append((start, end))
    return out


class Tallies:
    """Sums per day and per night as records arrive; `days` and `nights` once the
    file is read. `all_devices` adds every device up (and, for sleep, takes the
    union of their stages) instead of taking one."""

    def __init__(self, *, all_devices: bool):
        self.all_devices = all_devices
        self._days: dict[tuple[str, dt.date, str], dict[str, DayTally]] = {}
        self._nights: dict[dt.date, dict[str, NightTally]] = {}
        self._kept = 0

    def _keep(self, count: int = 1) -> None:
        self._kept += count
        if self._kept > MAX_TALLIES:
            raise PermanentError(TOO_MANY_TALLIES)

    def _tally[T: (DayTally, NightTally)](
        self, devices: dict[str, T], record: dict[str, str], kind: type[T]
    ) -> T:
        """The record's device's tally among `devices` (a new one, counted against
        `MAX_TALLIES`, for a device not seen there yet), with the record counted."""
        name = record.get("sourceName", "")
        tally = devices.get(name)
        if tally is None:
            self._keep()
            tally = devices[name] = kind(watch=is_watch(record))
        tally.records += 1
        return tally

    def add_to_day(self, record: dict[str, str], stream: str, unit: str, start, value) -> None:
        key = (stream, start.date(), unit)
        tally = self._tally(self._days.setdefault(key, {}), record, DayTally)
        with localcontext(_SUMS):
            tally.total += value
        if tally.latest is None or start > tally.latest:
            tally.latest = start

    def add_to_night(
        self, record: dict[str, str], start, end, *, asleep: bool, in_bed: bool
    ) -> None:
        """Adds a sleep record: an asleep stage counts; an awake one only marks the
        time as tracked by its device; time in bed (an iPhone's bedtime) neither."""
        night = (start + NIGHT_SHIFT).date()
        tally = self._tally(self._nights.setdefault(night, {}), record, NightTally)
        span = (int(start.timestamp()), int(end.timestamp()))
        if not in_bed:
            self._extend(tally.covered, span)
        if asleep:
            self._extend(tally.asleep, span)
            if span[1] >= tally.last_end:
                tally.last_end, tally.offset = span[1], end.tzinfo

    def _extend(self, intervals: list[tuple[int, int]], span: tuple[int, int]) -> None:
        """Adds `span`, joining it to the last interval when it continues it (a
        night's stages come one after another), merging all now and then."""
        if intervals and intervals[-1][0] <= span[0] <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], span[1]))
            return
        intervals.append(span)
        self._keep()
        if len(intervals) > _MERGE_AT:
            before = len(intervals)
            intervals[:] = merged(intervals)
            self._kept -= before - len(intervals)

    def days(self):
        """A `Total` per (stream, day, unit), in the order of the days."""
        for (stream, day, unit), devices in sorted(self._days.items()):
            chosen = self._chosen(devices)
            with localcontext(_SUMS):
                value = sum((devices[name].total for name in chosen), Decimal(0))
            latest = max(devices[name].latest for name in chosen)
            noon = dt.datetime.combine(day, DAY_TIME, tzinfo=latest.tzinfo)
            yield Total(
                key=stream,
                day=day,
                value=value,
                unit=unit,
                measured_at=min(noon, latest),
                sources=tuple(chosen),
            )

    def nights(self):
        """A `Total` per night with any time asleep, in the order of the nights."""
        for night, devices in sorted(self._nights.items()):
            names = sorted(devices, key=lambda name: night_preference(name, devices[name]))
            if self.all_devices:
                counted = merged([span for n in names for span in devices[n].asleep])
                used = [n for n in names if devices[n].asleep]
            else:
                counted, used, blocked = [], [], []
                for name in names:
                    own = outside(merged(devices[name].asleep), blocked)
                    if own:
                        counted += own
                        used.append(name)
                    blocked = merged(blocked + devices[name].covered)
            seconds = sum(end - start for start, end in counted)
            if seconds <= 0:
                continue
            wake = max(end for _, end in counted)
            yield Total(
                key="sleep-night",
                day=night,
                value=(Decimal(seconds) / 3600).quantize(Decimal("0.000001")),
                unit="h",
                measured_at=dt.datetime.fromtimestamp(wake, devices[used[0]].offset),
                sources=tuple(used),
            )

    def _chosen(self, devices: dict[str, DayTally]) -> list[str]:
        ranked = sorted(devices, key=lambda name: day_preference(name, devices[name]))
        return ranked if self.all_devices else ranked[:1]
