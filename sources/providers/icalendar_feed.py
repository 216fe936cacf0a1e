"""Measurements from a calendar feed (an iCalendar URL, as Google, Apple, Outlook and
Nextcloud publish them): per day, how many events whose title contains a word there
were, or how long they lasted.

One pull is one HTTP GET of the whole feed (the feed has no "changes since"): the
incremental mode differs from the full one only in asking conditionally. Its cursor is
a small JSON object, {"etag": ..., "last_modified": ...}, from the last answer's
headers; sent back as If-None-Match / If-Modified-Since, an unchanged feed answers
304 Not Modified and the run is a no-op. A cursor that is not such an object, or a
412 Precondition Failed, is `CursorRejected` (the sync engine falls back to a full
pull).

What is counted:

- Events (VEVENT) whose SUMMARY contains `match`, compared case-insensitively; an
  empty `match` counts every event. Cancelled events (STATUS:CANCELLED) are not.
- Days are cut in the settings' `time_zone`. A timed event counts on the day it
  starts there; its duration is split at local midnights, so 23:00-01:00 gives an
  hour to each day. A time without a zone (a "floating" time, or a TZID that is not
  known and comes with no VTIMEZONE) is read in `time_zone`.
- An all-day event counts on its (first) date. It has no duration: with `count`
  "hours" or "minutes" it is left out.
- Recurring events are expanded (RRULE, RDATE, EXDATE; an occurrence overridden by a
  RECURRENCE-ID event counts as that event, so not at all when it is cancelled or
  no longer matches) with dateutil, which icalendar depends on,
  at most `MAX_OCCURRENCES` occurrences an event. An event whose rule icalendar or
  dateutil cannot read (FREQ=FORTNIGHTLY, RSCALE) counts its first occurrence only.
- Only days up to today (in `time_zone`) give measurements: a planned session is
  not one done. A later pull adds the days as they come.

Each day with a matching event becomes one item: value the count, or the hours or
minutes as text with at most 2 decimals; unit "" (the metric's own); measured_at
noon of that day in the zone; external_id "ical-day-YYYY-MM-DD", so a later pull
updates a day whose value changed and leaves the others as they are. A day whose
events were all deleted from the feed is not reset (it no longer appears at all).

The feed is fetched through `sources.outbound` (within `LIMITS`; private and local
addresses refused, redirects checked). A feed that is not iCalendar (an HTML login
page, say) is a `PermanentError`, and so is one whose matching event has an
unreadable start. Timeouts, unreachable servers, 5xx, 408 and 429 are `TransientError`
(with Retry-After, seconds or an HTTP date, as `retry_after`); a refused address, 401,
403, 404, 410 and other 4xx are `PermanentError`. Messages name the feed's host only
(a private feed's path is a secret in all but name) and never what its server said.
"""

import datetime as dt
import itertools
import json
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rruleset, rrulestr
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import outbound
from ..forms import CalendarFeedForm
from .base import (
    Batch,
    Capability,
    CursorRejected,
    Mode,
    PermanentError,
    Provider,
    Source,
    TransientError,
)
from .common import known_time_zone
from .registry import register

#: A feed is fetched within 30 s in all, 10 s for each read, and 20 MB at most.
LIMITS = outbound.Limits(deadline=30.0, read_timeout=10.0, max_bytes=20 * 1024 * 1024)
#: Occurrences expanded from one recurring event, at most.
MAX_OCCURRENCES = 20_000
#: Items per batch (the ingest limit is `measurements.contracts.MAX_BATCH`).
BATCH_SIZE = 5000
USER_AGENT = "goaltrack-calendar-feed/1"

_UTC = dt.UTC


class ICalendarSettings(BaseModel):
    """Which feed, which events in it, and what of them to count."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The feed's address, http or https (webcal:// is read as https://).
    url: str = Field(max_length=2000)
    #: The metric every day goes to.
    metric_id: int
    #: Text the event's title contains ("gym"), in any case; empty: every event.
    match: str = Field(default="", max_length=200)
    #: Per day: the number of matching events, or their total duration.
    count: Literal["events", "hours", "minutes"] = "events"
    #: The zone the days are cut in.
    time_zone: str = "UTC"

    @field_validator("url", "match", "time_zone")
    @classmethod
    def stripped(cls, value: str) -> str:
        return value.strip()

    @field_validator("url")
    @classmethod
    def web_address(cls, value: str) -> str:
        parts = urllib.parse.urlsplit(value)
        scheme = parts.scheme.casefold()
        if scheme in {"webcal", "webcals"}:
            parts, scheme = parts._replace(scheme="https"), "https"
        try:
            has_host = bool(parts.hostname) and (parts.port or 1) > 0
        except ValueError:
            has_host = False
        if scheme not in {"http", "https"} or not has_host:
            raise ValueError("Enter the feed's web address, starting with https:// or http://.")
        if any(character.isspace() or ord(character) < 32 for character in value):
            raise ValueError("A web address has no spaces in it.")
        if outbound.plainly_internal(parts.hostname):
            raise ValueError(
                "That address points to a private or local network, which feeds are "
                "not fetched from."
            )
        return urllib.parse.urlunsplit(parts._replace(scheme=scheme))

    _known_zone = field_validator("time_zone")(known_time_zone)


# HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validators:
    """What the feed said identifies its content: sent back to ask "has it changed?"."""

    etag: str | None = None
    last_modified: str | None = None

    def cursor(self) -> str:
        return json.dumps({"etag": self.etag, "last_modified": self.last_modified})

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def read_cursor(cursor: str | None) -> Validators:
    """The validators in a stored cursor; `CursorRejected` when it is not one of ours."""
    if not cursor:
        return Validators()
    try:
        stored = json.loads(cursor)
    except ValueError as exc:
        raise CursorRejected("The stored cursor is not the calendar feed's JSON.") from exc
    if not isinstance(stored, dict) or not all(
        isinstance(stored.get(key), str | None) for key in ("etag", "last_modified")
    ):
        raise CursorRejected("The stored cursor is not the calendar feed's {etag, last_modified}.")
    return Validators(
        etag=stored.get("etag") or None, last_modified=stored.get("last_modified") or None
    )


@dataclass(frozen=True)
class Fetched:
    body: bytes
    validators: Validators


def fetch(
    url: str, known: Validators, *, limits: outbound.Limits, resolve: outbound.Resolver, now
) -> Fetched | None:
    """The feed, or None when it has not changed since `known` (304)."""
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"} | known.headers()
    try:
        response = outbound.fetch(
            url, headers=headers, limits=limits, resolve=resolve, clock=lambda: now
        )
    except outbound.FetchFailed as exc:
        raise _failure(exc) from exc
    if response.status == 304:
        return None
    if response.status == 412:
        raise CursorRejected(
            f"The calendar feed at {_host(url)} answered 412 Precondition Failed: "
            "it refused the stored ETag or date."
        )
    validators = Validators(
        etag=response.headers.get("ETag") or None,
        last_modified=response.headers.get("Last-Modified") or None,
    )
    return Fetched(body=response.body, validators=validators)


def _failure(exc: outbound.FetchFailed) -> TransientError | PermanentError:
    message = exc.describe("The calendar feed")
    if isinstance(exc, outbound.NotAllowed):
        message += " If the feed is private, use its secret address."
    elif isinstance(exc, outbound.NotFound):
        message += " Check the address, or whether the feed still exists."
    if exc.transient:
        return TransientError(message, retry_after=exc.retry_after)
    return PermanentError(message)


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or "?"


# Counting -----------------------------------------------------------------------------


@dataclass
class Day:
    events: int = 0
    seconds: int = 0
    #: The occurrences that touch the day (for durations, whose parts spread).
    touching: set[tuple[str, str]] = field(default_factory=set)


@dataclass(frozen=True)
class Occurrence:
    key: tuple[str, str]
    start: dt.datetime | dt.date
    length: dt.timedelta | None  # None: all-day


def read_calendar(body: bytes) -> list[icalendar.Component]:
    try:
        calendars = icalendar.Calendar.from_ical(body, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError) as exc:  # what it said is not shown
        raise PermanentError("The feed is not an iCalendar file (text/calendar).") from exc
    if not calendars or any(calendar.name != "VCALENDAR" for calendar in calendars):
        raise PermanentError("The feed is not an iCalendar file: it holds no VCALENDAR.")
    return calendars


def _short(exc: Exception, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(event: icalendar.Component) -> str:
    return str(event.get("SUMMARY", "") or "")


def _broken(event: icalendar.Component, exc: Exception) -> PermanentError:
    return PermanentError(
        f"The feed's event “{_title(event)[:80]}” ({event.get('UID', 'no UID')}) cannot be "
        f"read: {_short(exc)}"
    )


def _aware(value: dt.datetime | dt.date, zone: ZoneInfo) -> dt.datetime:
    """A DATE as its midnight in `zone`; a floating time as in `zone`."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(0), tzinfo=zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def overridden(events: list[icalendar.Component], zone: ZoneInfo) -> dict[str, list[dt.datetime]]:
    """Per UID, the occurrences that a RECURRENCE-ID event replaces (or cancels), of all
    events: an override renamed so that it no longer matches still replaces one."""
    replaced: dict[str, list[dt.datetime]] = defaultdict(list)
    for event in events:
        try:
            moved = event["RECURRENCE-ID"].dt if "RECURRENCE-ID" in event else None
        except (ValueError, TypeError, AttributeError):
            continue
        if moved is not None:
            replaced[str(event.get("UID", ""))].append(_aware(moved, zone))
    return replaced


def occurrences(
    events: list[icalendar.Component],
    zone: ZoneInfo,
    horizon: dt.datetime,
    replaced: dict[str, list[dt.datetime]],
) -> Iterator[Occurrence]:
    """Every occurrence of `events` that starts before `horizon`, recurrences expanded
    less those `replaced` by an override."""
    for event in events:
        uid = str(event.get("UID", ""))
        try:
            start = event.start
            all_day = not isinstance(start, dt.datetime)
            length = None if all_day else _length(event, start, zone)
            first = _aware(start, zone)
            if first >= horizon:
                continue
            if "RECURRENCE-ID" in event or not ("RRULE" in event or "RDATE" in event):
                yield Occurrence((uid, first.isoformat()), start, length)
                continue
            starts = _expanded(event, first, zone, replaced.get(uid, []))
            before = list(
                itertools.takewhile(
                    lambda moment: moment < horizon, itertools.islice(starts, MAX_OCCURRENCES)
                )
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise _broken(event, exc) from exc
        for moment in before:
            yield Occurrence(
                (uid, moment.isoformat()), moment.date() if all_day else moment, length
            )


def _length(event: icalendar.Component, start: dt.datetime, zone: ZoneInfo) -> dt.timedelta:
    """The event's elapsed time (DTEND - DTSTART as instants, or DURATION), never < 0."""
    if event.get("DTEND") is not None:
        end = event["DTEND"].dt
        if isinstance(end, dt.datetime):
            length = _aware(end, zone).astimezone(_UTC) - _aware(start, zone).astimezone(_UTC)
        else:
            length = event.duration
    else:
        length = event.duration
    return max(length, dt.timedelta(0))


def _expanded(
    event: icalendar.Component, first: dt.datetime, zone: ZoneInfo, replaced: list[dt.datetime]
) -> Iterator[dt.datetime]:
    """The starts of a recurring event, in order (its DTSTART among them)."""
    rules = rruleset()
    rules.rdate(first)
    try:
        recurs = event.rrules
    except ValueError:  # icalendar cannot read the rule: the first occurrence only
        recurs = []
    for recur in recurs:
        try:
            rule = dict(recur)
            until = rule.pop("UNTIL", None)
            text = icalendar.vRecur(rule).to_ical().decode()
            expanded = rrulestr(text, dtstart=first)
            if until:
                moment = until[0]
                if not isinstance(moment, dt.datetime):  # a date: that whole day
                    moment = dt.datetime.combine(moment, dt.time.max)
                expanded = expanded.replace(until=_aware(moment, first.tzinfo))
        except (ValueError, TypeError, KeyError, OverflowError):
            continue  # a rule icalendar or dateutil cannot read: the first occurrence only
        rules.rrule(expanded)
    for moment, _ in event.rdates:
        rules.rdate(_aware(moment, zone))
    for moment in [*event.exdates, *replaced]:
        rules.exdate(_aware(moment, zone))
    return iter(rules)


def count_days(
    calendars: list[icalendar.Component], settings: ICalendarSettings, today: dt.date
) -> dict[dt.date, Day]:
    """The matching events per local day, up to `today`."""
    zone = ZoneInfo(settings.time_zone)
    horizon = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    wanted = settings.match.casefold()
    every = [event for calendar in calendars for event in calendar.walk("VEVENT")]
    events = [
        event
        for event in every
        if wanted in _title(event).casefold()
        and str(event.get("STATUS", "")).upper() != "CANCELLED"
    ]
    replaced = overridden(every, zone)
    days: dict[dt.date, Day] = defaultdict(Day)
    durations = settings.count != "events"
    for occurrence in occurrences(events, zone, horizon, replaced):
        if occurrence.length is None:  # all-day
            if not durations:
                days[_date(occurrence.start)].events += 1
            continue
        start = _aware(occurrence.start, zone).astimezone(zone)
        if not durations:
            days[start.date()].events += 1
            continue
        _spread(days, occurrence, start, zone, horizon)
    return {day: days[day] for day in sorted(days) if day <= today}


def _date(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _spread(
    days: dict[dt.date, Day],
    occurrence: Occurrence,
    start: dt.datetime,
    zone: ZoneInfo,
    horizon: dt.datetime,
) -> None:
    """Add the occurrence's time to each local day it covers, cut at midnight."""
    assert occurrence.length is not None
    end = min(start.astimezone(_UTC) + occurrence.length, horizon.astimezone(_UTC))
    cut = start
    while True:
        midnight = dt.datetime.combine(cut.date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        part_end = min(end, midnight.astimezone(_UTC))
        day = days[cut.date()]
        day.touching.add(occurrence.key)
        day.seconds += max(0, round((part_end - cut.astimezone(_UTC)).total_seconds()))
        if part_end >= end:
            return
        cut = midnight


# Items --------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _events(count: int, match: str) -> str:
    noun = "event" if count == 1 else "events"
    return f"{count} {noun} matching “{match}”" if match else f"{count} {noun}"


def item(day: dt.date, counted: Day, settings: ICalendarSettings) -> dict[str, Any]:
    zone = ZoneInfo(settings.time_zone)
    if settings.count == "events":
        value = str(counted.events)
        note = _events(counted.events, settings.match)
    else:
        per = 3600 if settings.count == "hours" else 60
        value = _number(Decimal(counted.seconds) / per)
        unit = settings.count if value != "1" else settings.count.removesuffix("s")
        note = f"{_events(len(counted.touching), settings.match)}, {value} {unit}"
    return {
        "metric_id": settings.metric_id,
        "value": value,
        "unit": "",
        "measured_at": dt.datetime.combine(day, dt.time(12), tzinfo=zone).isoformat(),
        "note": note,
        "external_id": f"ical-day-{day.isoformat()}",
    }


# The provider -------------------------------------------------------------------------


@register
class ICalendarFeed(Provider):
    key = "icalendar"
    label = "Calendar feed (iCalendar)"
    capabilities = Capability.FULL_PULL | Capability.INCREMENTAL_PULL
    settings_model = ICalendarSettings
    form_class = CalendarFeedForm
    slug = "feeds"
    add_order = 40
    add_title = "Follow a calendar feed"
    add_help = (
        "Count your gym sessions (or any events) from Google Calendar, Outlook or any "
        "iCal address, per day."
    )
    add_button = "Follow"

    def __init__(
        self,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(_UTC),
        limits: outbound.Limits = LIMITS,
        resolve: outbound.Resolver = outbound.system_resolver,
    ):
        self.clock = clock
        self.limits = limits
        self.resolve = resolve

    def pull(self, source: Source, *, mode: Mode) -> Iterator[Batch]:
        """Nothing when the feed is unchanged (304); else the days, with the new cursor
        on the last batch (one batch but for feeds of over `BATCH_SIZE` days)."""
        settings = source.settings
        if not isinstance(settings, ICalendarSettings):
            settings = ICalendarSettings.model_validate(settings.model_dump())
        known = read_cursor(source.cursor) if mode == Mode.INCREMENTAL_PULL else Validators()
        now = self.clock()
        fetched = fetch(settings.url, known, limits=self.limits, resolve=self.resolve, now=now)
        if fetched is None:
            return
        calendars = read_calendar(fetched.body)
        today = now.astimezone(ZoneInfo(settings.time_zone)).date()
        days = count_days(calendars, settings, today)
        items = [item(day, counted, settings) for day, counted in days.items()]
        total = len(items)
        for done in range(0, max(total, 1), BATCH_SIZE):
            chunk = items[done : done + BATCH_SIZE]
            last = done + BATCH_SIZE >= total
            yield Batch(
                items=chunk,
                cursor=fetched.validators.cursor() if last else None,
                progress=(done + len(chunk), total),
            )
