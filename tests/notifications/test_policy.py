"""The channel policy as tables: which channels a notice goes to for each choice and
each set of reachable channels, what is tried after a failure, and when a due notice
goes, waits or is skipped (quiet hours, snooze, expiry, the days the clocks change)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from notifications.choices import Channel, ChannelChoice, NoticeKind
from notifications.policy import (
    Circumstances,
    Plan,
    Reach,
    channels_to_try,
    choice_for,
    decide,
    local_moment,
    plan_channels,
    quiet_hours_end,
)

PUSH, EMAIL, HOOK = Channel.PUSH, Channel.EMAIL, Channel.WEBHOOK
ALL = Reach(email=True, push=True)
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC


@pytest.mark.parametrize(
    ("kind", "choice", "reach", "first", "fallbacks"),
    [
        # Both reachable: the choice decides; the other is the fallback.
        (NoticeKind.FELL_BEHIND, ChannelChoice.BOTH, ALL, (PUSH, EMAIL), ()),
        (NoticeKind.DAILY_REMINDER, ChannelChoice.PUSH, ALL, (PUSH,), (EMAIL,)),
        (NoticeKind.DAILY_REMINDER, ChannelChoice.EMAIL, ALL, (EMAIL,), (PUSH,)),
        # The chosen channel cannot reach them: the other one takes its place.
        (NoticeKind.DAILY_REMINDER, ChannelChoice.PUSH, Reach(email=True), (EMAIL,), ()),
        (NoticeKind.DEADLINE, ChannelChoice.EMAIL, Reach(push=True), (PUSH,), ()),
        (NoticeKind.ACHIEVED, ChannelChoice.BOTH, Reach(push=True), (PUSH,), ()),
        # A subscribed webhook gets every notice that is sent, beside the others.
        (NoticeKind.ACHIEVED, ChannelChoice.PUSH, Reach(webhook=True), (HOOK,), ()),
        (
            NoticeKind.FELL_BEHIND,
            ChannelChoice.PUSH,
            Reach(True, True, True),
            (PUSH, HOOK),
            (EMAIL,),
        ),
        # The weekly summary is an email, whatever else reaches them.
        (NoticeKind.WEEKLY_SUMMARY, ChannelChoice.EMAIL, ALL, (EMAIL,), ()),
        (NoticeKind.WEEKLY_SUMMARY, ChannelChoice.PUSH, ALL, (EMAIL,), ()),
    ],
)
def test_the_channels_follow_the_choice_and_what_can_reach(kind, choice, reach, first, fallbacks):
    plan = plan_channels(kind, choice_for(kind, {kind: choice}), reach)
    assert (plan.first, plan.fallbacks, plan.skip) == (first, fallbacks, "")


@pytest.mark.parametrize(
    ("kind", "choice", "reach", "reason"),
    [
        (NoticeKind.FELL_BEHIND, ChannelChoice.OFF, ALL, "you turned this kind"),
        (NoticeKind.DAILY_REMINDER, ChannelChoice.PUSH, Reach(), "no way to reach you"),
        (NoticeKind.WEEKLY_SUMMARY, ChannelChoice.EMAIL, Reach(push=True), "sent by email"),
    ],
)
def test_a_notice_nothing_can_carry_is_skipped_with_the_reason(kind, choice, reach, reason):
    plan = plan_channels(kind, choice, reach)
    assert plan.first == () and reason in plan.skip


@pytest.mark.parametrize(
    ("plan", "results", "then"),
    [
        (Plan(first=(PUSH,), fallbacks=(EMAIL,)), [(PUSH, False)], [EMAIL]),
        (Plan(first=(PUSH,), fallbacks=(EMAIL,)), [(PUSH, True)], []),
        # A webhook that took it does not stand in for the person's own channels.
        (Plan(first=(PUSH, HOOK), fallbacks=(EMAIL,)), [(PUSH, False), (HOOK, True)], [EMAIL]),
        (Plan(first=(PUSH, EMAIL)), [(PUSH, False), (EMAIL, True)], []),
        (Plan(first=(PUSH, EMAIL)), [(PUSH, False), (EMAIL, False)], []),
    ],
)
def test_a_failed_channel_falls_back_to_the_next(plan, results, then):
    assert channels_to_try(plan, results) == then


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def circumstances(**changes) -> Circumstances:
    now = changes["now"]
    values = {
        "kind": NoticeKind.DAILY_REMINDER,
        "expires_at": now + dt.timedelta(hours=12),
        "zone": NEW_YORK,
        "channels": {},
        "reach": ALL,
        "quiet_start": dt.time(22, 0),
        "quiet_end": dt.time(7, 0),
    }
    return Circumstances(**{**values, **changes})


@pytest.mark.parametrize(
    ("case", "changes", "sends", "waits_until", "skip"),
    [
        ("outside quiet hours", {"now": at("2026-06-10T12:00:00+00:00")}, True, None, ""),
        (
            "in quiet hours: waits for their end, local",
            {"now": at("2026-06-11T03:00:00+00:00"), "kind": NoticeKind.FELL_BEHIND},
            False,
            at("2026-06-11T11:00:00+00:00"),  # 07:00 EDT
            "",
        ),
        (
            "quiet hours over the night the clocks go back: 07:00 EST",
            {"now": at("2026-11-01T05:30:00+00:00"), "kind": NoticeKind.FELL_BEHIND},
            False,
            at("2026-11-01T12:00:00+00:00"),
            "",
        ),
        (
            "quiet hours over the night the clocks go forward: 07:00 EDT",
            {"now": at("2026-03-08T06:00:00+00:00"), "kind": NoticeKind.FELL_BEHIND},
            False,
            at("2026-03-08T11:00:00+00:00"),
            "",
        ),
        (
            "in quiet hours past which it expires",
            {
                "now": at("2026-06-11T03:00:00+00:00"),
                "expires_at": at("2026-06-11T04:00:00+00:00"),
            },
            False,
            None,
            "quiet hours",
        ),
        (
            "no quiet hours",
            {"now": at("2026-06-11T03:00:00+00:00"), "quiet_start": None, "quiet_end": None},
            True,
            None,
            "",
        ),
        (
            "snoozed through today",
            {"now": at("2026-06-10T12:00:00+00:00"), "snoozed_until": dt.date(2026, 6, 10)},
            False,
            None,
            "snoozed",
        ),
        (
            "snooze ended yesterday",
            {"now": at("2026-06-10T12:00:00+00:00"), "snoozed_until": dt.date(2026, 6, 9)},
            True,
            None,
            "",
        ),
        (
            "a snooze does not hold back good news",
            {
                "now": at("2026-06-10T12:00:00+00:00"),
                "kind": NoticeKind.ACHIEVED,
                "snoozed_until": dt.date(2026, 6, 12),
            },
            True,
            None,
            "",
        ),
        (
            "expired before it could go",
            {
                "now": at("2026-06-10T12:00:00+00:00"),
                "expires_at": at("2026-06-10T12:00:00+00:00"),
            },
            False,
            None,
            "no longer current",
        ),
        (
            "turned off",
            {
                "now": at("2026-06-10T12:00:00+00:00"),
                "channels": {NoticeKind.DAILY_REMINDER: ChannelChoice.OFF},
            },
            False,
            None,
            "turned this kind",
        ),
        (
            "nothing reaches them",
            {"now": at("2026-06-10T12:00:00+00:00"), "reach": Reach()},
            False,
            None,
            "no way to reach you",
        ),
    ],
)
def test_a_due_notice_goes_waits_or_is_skipped(case, changes, sends, waits_until, skip):
    decision = decide(circumstances(**changes))
    assert (decision.plan is not None) == sends, case
    assert decision.wait_until == waits_until, case
    assert skip in decision.skip if skip else decision.skip == "", case


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (dt.date(2026, 10, 31), "2026-10-31T11:00:00+00:00"),  # EDT
        (dt.date(2026, 11, 1), "2026-11-01T12:00:00+00:00"),  # the clocks went back at 2:00
        (dt.date(2026, 3, 8), "2026-03-08T11:00:00+00:00"),  # they went forward at 2:00
    ],
)
def test_seven_in_the_morning_is_seven_local_on_the_days_the_clocks_change(day, expected_utc):
    assert local_moment(day, dt.time(7, 0), NEW_YORK) == at(expected_utc)


def test_a_time_the_clocks_skip_lands_just_after_the_jump():
    skipped = local_moment(dt.date(2026, 3, 8), dt.time(2, 30), NEW_YORK)
    assert skipped == at("2026-03-08T07:30:00+00:00")  # 03:30 EDT


def test_quiet_hours_within_one_day_and_across_midnight():
    lunch = {"start": dt.time(12, 0), "end": dt.time(13, 0), "zone": UTC}
    assert quiet_hours_end(at("2026-06-10T12:30:00+00:00"), **lunch) == at(
        "2026-06-10T13:00:00+00:00"
    )
    assert quiet_hours_end(at("2026-06-10T13:00:00+00:00"), **lunch) == at(
        "2026-06-10T13:00:00+00:00"
    )
    night = {"start": dt.time(22, 0), "end": dt.time(7, 0), "zone": UTC}
    assert quiet_hours_end(at("2026-06-10T06:59:00+00:00"), **night) == at(
        "2026-06-10T07:00:00+00:00"
    )
    assert quiet_hours_end(at("2026-06-10T22:00:00+00:00"), **night) == at(
        "2026-06-11T07:00:00+00:00"
    )
