"""Notifications end to end, with committed transactions: a value recorded through the
real orchestrator puts a goal behind; the real task worker (`db_worker`, a process of
its own) sends the notice to a real SMTP server and a push service on loopback, the
push decrypted with the browser's keys. The real scheduler plans the daily reminder
at 7:00 local on the day the clocks go back, and it is emailed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from background.scheduler import Scheduler
from notifications.choices import NoticeKind, NoticeState
from notifications.models import Attempt, Notice, PushSubscription
from notifications.orchestrators import deliver, plan_daily_notices
from notifications.push import PushTarget
from notifications.tasks import enqueue_notice_at
from tests import processes
from tests.factories import MeasurementFactory
from tests.notifications.push_service import LOOPBACK, vapid_env

from .conftest import behind_on_clock_day, person, record, weight_goal

pytestmark = pytest.mark.django_db(transaction=True)


def worker(tmp_path, smtp_server):
    return processes.start(
        processes.manage("db_worker", "--no-startup-delay", "--interval", "0.1", "--no-reload"),
        tmp_path / "worker.log",
        EMAIL_URL=smtp_server.url,
        OUTBOUND_ALLOW_NETWORKS=",".join(LOOPBACK),
        SITE_URL="http://goals.example.com",
        **vapid_env(),
    )


def subscribed(user, target: PushTarget) -> PushSubscription:
    return PushSubscription.objects.create(
        owner=user,
        endpoint=target.endpoint,
        p256dh=target.p256dh,
        auth=target.auth,
        label="Firefox on Linux",
        created=timezone.now(),
    )


def finished(notice_kind) -> Notice:
    return processes.wait_until(
        lambda: Notice.objects.filter(kind=notice_kind).exclude(state=NoticeState.PLANNED).first(),
        timeout=60,
        what="the notice to be sent",
    )


def test_falling_behind_is_told_once_by_email_and_once_by_push(tmp_path, smtp_server, push_service):
    # Only the news is counted: the daily planning run below would otherwise also send
    # today's reminder once 7:00 has passed in New York, and a Monday's weekly summary.
    ada = person(channels={"daily_reminder": "off", "weekly_summary": "off"})
    target = push_service.target()
    subscribed(ada, target)
    goal = weight_goal(ada)
    record(goal.metric, "79")  # on track
    running = worker(tmp_path, smtp_server)
    try:
        record(goal.metric, "81.5")  # behind: commits, and the worker sends
        notice = finished(NoticeKind.FELL_BEHIND)
        [mail] = smtp_server.wait_for(1)
        [pushed] = push_service.wait_for(1)
    finally:
        processes.stop(running)
    record(goal.metric, "81.9")  # still behind: no news
    plan_daily_notices(timezone.now(), enqueue_at=enqueue_notice_at)  # a second run
    plan_daily_notices(timezone.now(), enqueue_at=enqueue_notice_at)
    processes.run_queued(
        EMAIL_URL=smtp_server.url, OUTBOUND_ALLOW_NETWORKS=",".join(LOOPBACK), **vapid_env()
    )
    assert notice.state == NoticeState.SENT, running.log.read_text()[-3000:]
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Weigh 75 kg fell behind"
    assert mail["List-Unsubscribe"].startswith(
        "<http://goals.example.com/notifications/unsubscribe/"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "above the line" in mail.get_body(("plain",)).get_content()
    assert pushed["title"] == "Weigh 75 kg fell behind"
    assert pushed["url"] == f"http://goals.example.com/goals/{goal.id}/"
    channels = set(Attempt.objects.filter(notice=notice).values_list("channel", "outcome"))
    assert channels == {("push", "sent"), ("email", "sent")}
    assert len(smtp_server.messages) == 1 and len(push_service.received) == 1


def test_with_push_failing_the_email_goes_alone(tmp_path, smtp_server, push_service):
    ada = person(channels={"fell_behind": "push"})  # push, or email when push fails
    subscribed(ada, push_service.target())
    push_service.answer(500)
    goal = weight_goal(ada)
    record(goal.metric, "79")
    record(goal.metric, "81.5")
    processes.run_queued(
        EMAIL_URL=smtp_server.url, OUTBOUND_ALLOW_NETWORKS=",".join(LOOPBACK), **vapid_env()
    )
    notice = Notice.objects.get(kind=NoticeKind.FELL_BEHIND)
    assert notice.state == NoticeState.SENT
    tried = list(notice.attempts.order_by("id").values_list("channel", "outcome", "detail"))
    assert [(channel, outcome) for channel, outcome, _ in tried] == [
        ("push", "failed"),
        ("email", "sent"),
    ]
    assert "500" in tried[0][2]
    assert len(smtp_server.wait_for(1)) == 1
    assert push_service.received == []


def test_the_reminder_for_new_york_goes_at_seven_local_the_day_the_clocks_go_back(
    smtp_server, mail_settings
):
    ada = person(email="ada@example.com", zone="America/New_York")
    behind_on_clock_day(ada)
    clock = {"now": dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)}  # 05:00 EST
    scheduler = Scheduler(holder="test", clock=lambda: clock["now"])
    queued = []
    planned_at = None
    while clock["now"] < dt.datetime(2026, 11, 1, 14, 0, tzinfo=dt.UTC):
        runs = {run.chore: run.outcome for run in scheduler.tick()}
        if planned_at is None and runs.get("plan_notifications", "").startswith("planned 1 "):
            planned_at = clock["now"]
            queued += Notice.objects.filter(kind=NoticeKind.DAILY_REMINDER).values_list(
                "id", flat=True
            )
        clock["now"] += dt.timedelta(minutes=1)
    assert planned_at == dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)  # 07:00 EST

    [notice_id] = queued
    deliver(notice_id, enqueue_at=None, clock=lambda: planned_at)
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "Today: Weigh 75 kg needs you"
    assert "record today's weight" in mail.get_body(("plain",)).get_content()
    assert Notice.objects.filter(kind=NoticeKind.DAILY_REMINDER).count() == 1


def test_the_weekly_summary_is_an_email_with_a_table(smtp_server, mail_settings):
    ada = person(email="ada@example.com", zone="America/New_York")
    ada.profile.week_start = 6  # Sunday: 1 Nov 2026
    ada.profile.save()
    goal = behind_on_clock_day(ada)
    MeasurementFactory(
        metric=goal.metric,
        value=Decimal("81.4"),
        measured_at=dt.datetime(2026, 10, 25, 12, tzinfo=dt.UTC),
    )
    seven = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    plan_daily_notices(seven, enqueue_at=None)
    summary = Notice.objects.get(kind=NoticeKind.WEEKLY_SUMMARY)
    deliver(summary.id, enqueue_at=None, clock=lambda: seven)

    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "Your week: 25 Oct to 31 Oct"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<table" in html and '<th scope="col"' in html and "Weigh 75 kg" in html
    assert "<img" not in html
    assert "Weigh 75 kg" in text and "|" in text
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [a.channel for a in summary.attempts.all()] == ["email"]
