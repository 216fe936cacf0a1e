"""Sending a notice through the orchestrator, with fake channels on the real
database: each row of the table is someone's channels and choice, and what each
channel does when tried; the notice's state and its attempts are what was written."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications import executors
from notifications.choices import Channel, ChannelChoice, NoticeKind, NoticeState
from notifications.contracts import PlannedNotice, Tried
from notifications.models import Notice, PushSubscription, Snooze
from notifications.orchestrators import ROUND_DELAYS, deliver

from .conftest import person, weight_goal

pytestmark = pytest.mark.usefixtures("push_settings")


class FakeChannel:
    """A channel that answers as told, and remembers what it was given."""

    def __init__(self, channel: str, ok: bool, *, gone: bool = False):
        self.channel, self.ok, self.gone, self.sent = channel, ok, gone, []

    def __call__(self, job, contact) -> Tried:
        self.sent.append(job.id)
        subscriptions = [sid for sid, _ in contact.push_targets] if self.channel == "push" else []
        return Tried(
            channel=self.channel,
            ok=self.ok,
            detail="took it" if self.ok else "refused it",
            reached=subscriptions if self.ok else [],
            gone=subscriptions if self.gone else [],
        )


def senders(push_ok=True, email_ok=True, push_gone=False):
    return {
        Channel.PUSH: FakeChannel("push", push_ok, gone=push_gone),
        Channel.EMAIL: FakeChannel("email", email_ok),
        Channel.WEBHOOK: FakeChannel("webhook", True),
    }


def subscribe(user):
    return PushSubscription.objects.create(
        owner=user,
        endpoint=f"https://push.example.com/{user.id}",
        p256dh="B" * 87,
        auth="A" * 22,
        created=timezone.now(),
    )


def planned(user, *, kind=NoticeKind.FELL_BEHIND, goal=None, key="k", due=None, lasts=None):
    now = timezone.now()
    due = due or now - dt.timedelta(seconds=1)
    plan = PlannedNotice(
        owner_id=user.id,
        kind=kind,
        key=key,
        day=due.date(),
        title="Weigh 75 kg fell behind",
        body="0.8 kg above the line.",
        goal_id=goal.id if goal else None,
        due_at=due,
        expires_at=due + (lasts or dt.timedelta(hours=12)),
    )
    [notice_id] = executors.notices_plan(planned=[plan], now=now, on_commit=None).unwrap()
    return notice_id


def attempts(notice_id):
    notice = Notice.objects.get(id=notice_id)
    return notice, [(a.channel, a.outcome) for a in notice.attempts.order_by("id")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "email", "push", "choice", "answers", "state", "tried"),
    [
        (
            "both reach, both chosen",
            True,
            True,
            ChannelChoice.BOTH,
            {},
            NoticeState.SENT,
            [("push", "sent"), ("email", "sent")],
        ),
        (
            "push chosen and taken: no email",
            True,
            True,
            ChannelChoice.PUSH,
            {},
            NoticeState.SENT,
            [("push", "sent")],
        ),
        (
            "push chosen and refused: email instead",
            True,
            True,
            ChannelChoice.PUSH,
            {"push_ok": False},
            NoticeState.SENT,
            [("push", "failed"), ("email", "sent")],
        ),
        (
            "push chosen, no browser subscribed: email",
            True,
            False,
            ChannelChoice.PUSH,
            {},
            NoticeState.SENT,
            [("email", "sent")],
        ),
        (
            "email chosen, no address: push",
            False,
            True,
            ChannelChoice.EMAIL,
            {},
            NoticeState.SENT,
            [("push", "sent")],
        ),
        (
            "both chosen, push gone: the email alone",
            True,
            True,
            ChannelChoice.BOTH,
            {"push_ok": False, "push_gone": True},
            NoticeState.SENT,
            [("push", "failed"), ("email", "sent")],
        ),
        (
            "nothing reaches them",
            False,
            False,
            ChannelChoice.BOTH,
            {},
            NoticeState.SKIPPED,
            [],
        ),
        (
            "turned off",
            True,
            True,
            ChannelChoice.OFF,
            {},
            NoticeState.SKIPPED,
            [],
        ),
    ],
)
def test_the_channels_tried_and_what_was_written(case, email, push, choice, answers, state, tried):
    user = person(email="ada@example.com" if email else "", channels={"fell_behind": choice})
    subscription = subscribe(user) if push else None
    channels = senders(**answers)
    notice_id = planned(user)

    result = deliver(notice_id, enqueue_at=None, senders=channels)

    assert result.ok, case
    notice, written = attempts(notice_id)
    assert (notice.state, written) == (state, tried), case
    if answers.get("push_gone"):
        assert not PushSubscription.objects.filter(id=subscription.id).exists()
    elif subscription is not None and ("push", "sent") in written:
        subscription.refresh_from_db()
        assert subscription.last_success_at is not None
    if state == NoticeState.SKIPPED:
        assert notice.reason
        assert not any(channel.sent for channel in channels.values())


@pytest.mark.django_db
def test_a_round_that_reaches_nobody_is_tried_again_then_fails():
    user = person()
    subscribe(user)
    retries = []
    notice_id = planned(user, lasts=dt.timedelta(days=1))
    channels = senders(push_ok=False, email_ok=False)

    deliver(notice_id, enqueue_at=lambda n, when: retries.append(when), senders=channels)
    notice, written = attempts(notice_id)
    assert notice.state == NoticeState.PLANNED and notice.rounds == 1
    assert written == [("push", "failed"), ("email", "failed")]
    assert "Trying again" in notice.reason
    assert retries == [notice.due_at]

    for rounds in range(2, len(ROUND_DELAYS) + 1):
        later = notice.due_at
        deliver(
            notice_id,
            enqueue_at=lambda n, when: retries.append(when),
            senders=channels,
            clock=lambda t=later: t,
        )
        notice.refresh_from_db()
        assert notice.rounds == rounds
    last = notice.due_at
    deliver(
        notice_id,
        enqueue_at=lambda n, when: retries.append(when),
        senders=channels,
        clock=lambda: last,
    )
    notice.refresh_from_db()
    assert notice.state == NoticeState.FAILED
    assert "It has failed" in notice.reason


@pytest.mark.django_db
def test_the_same_notice_is_planned_once_and_sent_once():
    user = person()
    first = planned(user, key="fell_behind:1:2026-06-10")
    again = planned(user, key="fell_behind:1:2026-06-10")
    assert first == again
    assert Notice.objects.filter(owner=user).count() == 1
    channels = senders()

    assert deliver(first, enqueue_at=None, senders=channels).data == NoticeState.SENT
    assert deliver(first, enqueue_at=None, senders=channels).data is None
    assert channels[Channel.EMAIL].sent == [first]


@pytest.mark.django_db
def test_a_notice_held_by_another_worker_is_not_sent_twice():
    user = person()
    notice_id = planned(user)
    now = timezone.now()
    executors.notice_claim(
        notice_id=notice_id, claim="other", now=now, lease_until=now + dt.timedelta(minutes=2)
    )
    channels = senders()
    assert deliver(notice_id, enqueue_at=None, senders=channels).data is None
    assert channels[Channel.EMAIL].sent == []


@pytest.mark.django_db
def test_in_quiet_hours_it_waits_for_their_end_in_the_persons_zone():
    user = person(quiet=True)  # 22:00 to 07:00 in New York
    late = dt.datetime(2026, 6, 11, 3, 0, tzinfo=dt.UTC)  # 23:00 EDT
    notice_id = planned(user, due=late - dt.timedelta(minutes=1), lasts=dt.timedelta(days=1))
    held = []
    channels = senders()

    deliver(
        notice_id,
        enqueue_at=lambda n, when: held.append(when),
        senders=channels,
        clock=lambda: late,
    )

    notice, written = attempts(notice_id)
    seven_edt = dt.datetime(2026, 6, 11, 11, 0, tzinfo=dt.UTC)
    assert (notice.state, notice.due_at, written, held) == (
        NoticeState.PLANNED,
        seven_edt,
        [],
        [seven_edt],
    )
    assert "quiet hours" in notice.reason and "07:00" in notice.reason
    deliver(notice_id, enqueue_at=None, senders=channels, clock=lambda: seven_edt)
    assert Notice.objects.get(id=notice_id).state == NoticeState.SENT


@pytest.mark.django_db
def test_a_snoozed_goal_is_not_nagged_but_its_success_is_told():
    user = person()
    goal = weight_goal(user)
    Snooze.objects.create(owner=user, goal=goal, until=timezone.now().date() + dt.timedelta(days=2))
    behind = planned(user, goal=goal, key="behind")
    achieved = planned(user, goal=goal, key="achieved", kind=NoticeKind.ACHIEVED)
    channels = senders()

    deliver(behind, enqueue_at=None, senders=channels)
    deliver(achieved, enqueue_at=None, senders=channels)

    skipped = Notice.objects.get(id=behind)
    assert skipped.state == NoticeState.SKIPPED and "snoozed" in skipped.reason
    assert Notice.objects.get(id=achieved).state == NoticeState.SENT
