"""The channel policy of notifications: who is told what, where, and when. Pure
functions over plain values, so the whole policy is one table test.

Which channels
    Each kind of notice has a choice per user (`ChannelChoice`: off, push, email, both;
    `DEFAULT_CHANNELS` until they choose). A channel counts only when it can reach the
    person (`Reach`): email needs a verified address that was not unsubscribed, push a
    subscribed browser and the server's push keys, a webhook an enabled endpoint that
    subscribes to `notification.sent`. A chosen channel that cannot reach them falls
    back to the others, in the order of `FALLBACK_ORDER`; a chosen channel that fails
    when sent does too (push gone or refused: email). A webhook endpoint subscribed to
    notifications gets every notice that is sent, whatever else was chosen: that is
    what subscribing it asked for.

When
    Nothing goes out in quiet hours: a notice due inside them waits for their end (in
    the person's zone, exact across clock changes), unless by then it has expired (a
    day's reminder after the day). A goal's snooze holds its reminders and warnings,
    not the news that it was achieved.

Once
    A notice has a key (kind, goal, local day, and stage for escalating reminders);
    planning the same key twice finds the first (`Notice.key` is unique per owner).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .choices import Channel, ChannelChoice, NoticeKind

DEFAULT_CHANNELS: dict[str, str] = {
    NoticeKind.FELL_BEHIND: ChannelChoice.BOTH,
    NoticeKind.ACHIEVED: ChannelChoice.BOTH,
    NoticeKind.DAILY_REMINDER: ChannelChoice.PUSH,
    NoticeKind.DEADLINE: ChannelChoice.PUSH,
    NoticeKind.WEEKLY_SUMMARY: ChannelChoice.EMAIL,
}
#: Kinds that only make sense as an email (a summary with a table).
EMAIL_ONLY = frozenset({NoticeKind.WEEKLY_SUMMARY})
#: Kinds a goal's snooze holds back.
SNOOZABLE = frozenset({NoticeKind.FELL_BEHIND, NoticeKind.DAILY_REMINDER, NoticeKind.DEADLINE})
#: The channels tried when the chosen ones cannot reach the person or fail.
FALLBACK_ORDER = (Channel.PUSH, Channel.EMAIL)
#: What each choice asks for, in order.
CHOSEN = {
    ChannelChoice.OFF: (),
    ChannelChoice.PUSH: (Channel.PUSH,),
    ChannelChoice.EMAIL: (Channel.EMAIL,),
    ChannelChoice.BOTH: (Channel.PUSH, Channel.EMAIL),
}


@dataclass(frozen=True)
class Reach:
    """The channels that can reach one person now."""

    email: bool = False
    push: bool = False
    webhook: bool = False

    def can(self, channel: str) -> bool:
        return bool(getattr(self, channel))


@dataclass(frozen=True)
class Plan:
    """What to send: every channel of `first`; when all of them fail, `fallbacks` one
    after the other until one works. `skip` says why nothing is sent at all."""

    first: tuple[str, ...] = ()
    fallbacks: tuple[str, ...] = ()
    skip: str = ""


def choice_for(kind: str, channels: dict[str, str]) -> str:
    choice = channels.get(kind) or DEFAULT_CHANNELS[kind]
    if kind in EMAIL_ONLY and choice != ChannelChoice.OFF:
        return ChannelChoice.EMAIL
    return choice


def plan_channels(kind: str, choice: str, reach: Reach) -> Plan:
    """The channels a notice of `kind` goes to, for a person who chose `choice`."""
    if choice == ChannelChoice.OFF:
        return Plan(skip="you turned this kind of notification off")
    allowed = (Channel.EMAIL,) if kind in EMAIL_ONLY else FALLBACK_ORDER
    chosen = [channel for channel in CHOSEN[ChannelChoice(choice)] if reach.can(channel)]
    others = [channel for channel in allowed if reach.can(channel) and channel not in chosen]
    if not chosen and others:
        chosen, others = others[:1], others[1:]
    if reach.webhook:
        chosen.append(Channel.WEBHOOK)
    if not chosen:
        return Plan(skip=_unreachable(kind))
    return Plan(first=tuple(chosen), fallbacks=tuple(others))


def _unreachable(kind: str) -> str:
    if kind in EMAIL_ONLY:
        return "it is sent by email, and you have no verified email address that gets it"
    return "there is no way to reach you: add an email address or turn on push"


def local_moment(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The instant of the wall-clock time `at` on `day` in `zone`: 7:00 is 7:00 on the
    day the clocks change. A time the clocks skip (2:30 when they jump from 2:00 to
    3:00) is read with the offset before the change, so it lands just after the jump."""
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)


def in_quiet_hours(
    moment: dt.datetime, *, start: dt.time | None, end: dt.time | None, zone
) -> bool:
    if start is None or end is None or start == end:
        return False
    local = moment.astimezone(zone).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(
    moment: dt.datetime, *, start: dt.time | None, end: dt.time | None, zone: ZoneInfo
) -> dt.datetime:
    """`moment` itself when it is outside quiet hours, else the instant they end."""
    if not in_quiet_hours(moment, start=start, end=end, zone=zone):
        return moment
    local_day = moment.astimezone(zone).date()
    for day in (local_day, local_day + dt.timedelta(days=1)):
        candidate = local_moment(day, end, zone)
        if candidate > moment:
            return candidate
    raise AssertionError("Quiet hours end within a day.")  # pragma: no cover


@dataclass(frozen=True)
class Decision:
    """Send now with `plan`; or wait until `wait_until`; or `skip` with the reason."""

    plan: Plan | None = None
    wait_until: dt.datetime | None = None
    skip: str = ""


@dataclass(frozen=True)
class Circumstances:
    """What the policy needs to know of one person and one notice, at `now`."""

    kind: str
    now: dt.datetime
    expires_at: dt.datetime
    zone: ZoneInfo
    channels: dict[str, str]
    reach: Reach
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None
    #: The last local day the notice's goal is snoozed (None: not snoozed).
    snoozed_until: dt.date | None = None


def decide(c: Circumstances) -> Decision:
    """Whether to send a due notice now, hold it, or skip it, and why."""
    if c.now >= c.expires_at:
        return Decision(skip="it was no longer current when it could be sent")
    today = c.now.astimezone(c.zone).date()
    if c.kind in SNOOZABLE and c.snoozed_until is not None and today <= c.snoozed_until:
        return Decision(skip=f"you snoozed this goal's reminders until {c.snoozed_until:%-d %b}")
    plan = plan_channels(c.kind, choice_for(c.kind, c.channels), c.reach)
    if plan.skip:
        return Decision(skip=plan.skip)
    after_quiet = quiet_hours_end(c.now, start=c.quiet_start, end=c.quiet_end, zone=c.zone)
    if after_quiet > c.now:
        if after_quiet >= c.expires_at:
            return Decision(skip="it fell in your quiet hours, and was out of date by their end")
        return Decision(wait_until=after_quiet)
    return Decision(plan=plan)


def channels_to_try(plan: Plan, results: Iterable[tuple[str, bool]]) -> list[str]:
    """The fallbacks still worth trying after the `first` channels gave `results`:
    none if one of them worked (a webhook alone does not count: it only mirrors)."""
    personal = [ok for channel, ok in results if channel != Channel.WEBHOOK]
    if any(personal):
        return []
    return list(plan.fallbacks)
