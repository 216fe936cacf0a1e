"""Planning notices: from a status change, inside the transaction that changed it;
and the scheduler's daily work at each person's local reminder time (New York, on
the day the clocks go back: 1 Nov 2026, a Sunday)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Weekday
from goals.orchestrators import judge_statuses
from measurements.contracts import RecordMeasurement
from measurements.orchestrators import record_measurement
from notifications.choices import ChannelChoice, NoticeKind, NoticeState
from notifications.models import Notice, Snooze
from notifications.orchestrators import plan_daily_notices
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

from .conftest import behind_on_clock_day, person, record, weight_goal

pytestmark = pytest.mark.django_db

UTC = dt.UTC
CLOCKS_GO_BACK = dt.date(2026, 11, 1)
SEVEN_EST = dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_falling_behind_plans_one_notice_handed_over_on_commit(
    ada, django_capture_on_commit_callbacks
):
    goal = weight_goal(ada)
    record(goal.metric, "79")  # below the line: on track (the first judgement)
    assert not Notice.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record(goal.metric, "81.5")
    [notice] = Notice.objects.all()
    assert (notice.kind, notice.goal_id, notice.state) == (
        NoticeKind.FELL_BEHIND,
        goal.id,
        NoticeState.PLANNED,
    )
    assert notice.title == "Weigh 75 kg fell behind"
    assert notice.link == f"/goals/{goal.id}/"
    assert callbacks, "the notice is handed to a worker once the write commits"

    record(goal.metric, "81.8")  # still behind: no change, no news
    record(goal.metric, "79")  # back on track
    record(goal.metric, "81.5")  # behind again the same day: told once a day
    assert Notice.objects.filter(kind=NoticeKind.FELL_BEHIND).count() == 1


def test_reaching_the_target_plans_the_news(ada):
    goal = weight_goal(ada)
    record(goal.metric, "79")
    record(goal.metric, "74.9")
    [notice] = Notice.objects.all()
    assert notice.kind == NoticeKind.ACHIEVED
    assert "Weigh 75 kg" in notice.title


def test_a_write_that_changes_no_status_plans_nothing(ada):
    goal = weight_goal(ada)
    record(goal.metric, "79")
    record(goal.metric, "78.9")
    assert not Notice.objects.exists()


def workouts_goal(owner):
    """At least 3 workouts a week, since October."""
    return GoalFactory(
        metric=MetricFactory(owner=owner, name="Workouts", unit="workouts"),
        owner=owner,
        title="Workouts",
        kind="quota",
        target=Decimal(3),
        period="week",
        comparison="at_least",
        aggregation="count",
        start_value=None,
        start_date=dt.date(2026, 10, 5),
        deadline=None,
    )


def reminders(owner):
    return Notice.objects.filter(owner=owner, kind=NoticeKind.DAILY_REMINDER)


def test_todays_reminder_goes_at_seven_local_on_the_day_the_clocks_go_back(ada):
    behind_on_clock_day(ada)
    for minute in range(0, 60, 5):  # 06:00 to 06:55 EST: 11:00 to 11:55 UTC
        plan_daily_notices(SEVEN_EST - dt.timedelta(minutes=60 - minute), enqueue_at=None)
    assert not reminders(ada).exists(), "7:00 EDT (11:00 UTC) is not 7:00 on that day"

    plan_daily_notices(SEVEN_EST, enqueue_at=None)
    [reminder] = reminders(ada)
    assert reminder.due_at == SEVEN_EST
    assert reminder.day == CLOCKS_GO_BACK
    assert reminder.title == "Today: Weigh 75 kg needs you"
    assert "above the line" in reminder.body and "record today's weight" in reminder.body
    assert reminder.state == NoticeState.PLANNED


def test_two_schedulers_and_every_later_tick_plan_the_day_once(
    ada, django_capture_on_commit_callbacks
):
    behind_on_clock_day(ada)
    queued = []
    for minutes in (0, 0, 1, 30, 119):
        with django_capture_on_commit_callbacks(execute=True):
            plan_daily_notices(
                SEVEN_EST + dt.timedelta(minutes=minutes),
                enqueue_at=lambda notice_id, when: queued.append(notice_id),
            )
    assert reminders(ada).count() == 1
    assert len(set(queued)) == 1


def test_a_reminder_time_long_past_is_not_sent_late(ada):
    behind_on_clock_day(ada)
    plan_daily_notices(SEVEN_EST + dt.timedelta(hours=3), enqueue_at=None)
    assert not reminders(ada).exists()


def test_a_day_with_nothing_needed_is_written_as_not_sent(ada):
    plan_daily_notices(SEVEN_EST, enqueue_at=None)
    [reminder] = reminders(ada)
    assert reminder.state == NoticeState.SKIPPED
    assert "none of your goals needed anything" in reminder.reason


def test_a_snoozed_goal_is_left_out_of_the_reminder(ada):
    goal = behind_on_clock_day(ada)
    Snooze.objects.create(owner=ada, goal=goal, until=CLOCKS_GO_BACK)
    plan_daily_notices(SEVEN_EST, enqueue_at=None)
    [reminder] = reminders(ada)
    assert reminder.state == NoticeState.SKIPPED


def test_the_reminder_time_is_each_persons_own(db):
    early = person(email="early@example.com", reminder_time=dt.time(6, 30))
    late = person(email="late@example.com", zone="Asia/Kolkata", reminder_time=dt.time(17, 30))
    behind_on_clock_day(early)
    behind_on_clock_day(late)
    six_thirty_est = dt.datetime(2026, 11, 1, 11, 30, tzinfo=UTC)  # 17:00 in Kolkata
    plan_daily_notices(six_thirty_est, enqueue_at=None)
    assert reminders(early).count() == 1 and not reminders(late).exists()
    plan_daily_notices(dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC), enqueue_at=None)  # 17:30 IST
    assert reminders(late).get().due_at == dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_the_last_day_of_a_weekly_quota_warns_and_escalates(ada):
    ada.profile.week_start = Weekday.MONDAY
    ada.profile.save()
    goal = workouts_goal(ada)
    metric = goal.metric
    MeasurementFactory(
        metric=metric, value=Decimal(1), measured_at=dt.datetime(2026, 10, 27, 12, tzinfo=UTC)
    )
    plan_daily_notices(SEVEN_EST, enqueue_at=None)  # Sunday: the week's last day

    warnings = Notice.objects.filter(kind=NoticeKind.DEADLINE, goal=goal).order_by("due_at")
    local_times = [w.due_at.astimezone(ada.profile.zone).strftime("%H:%M") for w in warnings]
    assert local_times == ["07:00", "16:00", "21:00", "23:00"]
    assert "Last day of the week for Workouts: 2 workouts left" in warnings[0].body
    assert len({w.key for w in warnings}) == 4
    # Told by the warning, so not again in today's reminder.
    assert reminders(ada).get().state == NoticeState.SKIPPED


def test_with_deadline_warnings_off_the_reminder_tells_instead(db):
    user = person(channels={NoticeKind.DEADLINE: ChannelChoice.OFF})
    workouts_goal(user)
    plan_daily_notices(SEVEN_EST, enqueue_at=None)
    assert not Notice.objects.filter(kind=NoticeKind.DEADLINE).exists()
    assert "3 workouts left this week" in reminders(user).get().body


def test_the_weekly_summary_goes_on_the_first_day_of_their_week(ada):
    ada.profile.week_start = Weekday.SUNDAY
    ada.profile.save()
    behind_on_clock_day(ada)
    plan_daily_notices(SEVEN_EST, enqueue_at=None)
    summary = Notice.objects.get(kind=NoticeKind.WEEKLY_SUMMARY)
    assert summary.key == "weekly_summary::2026-10-25"
    assert summary.detail["week_first"] == "2026-10-25"
    assert summary.detail["week_last"] == "2026-10-31"
    [row] = summary.detail["rows"]
    assert row["title"] == "Weigh 75 kg" and row["sentence"]
    assert "Weigh 75 kg" in summary.body


def test_no_summary_on_other_days(ada):
    behind_on_clock_day(ada)  # weeks start on Monday; 1 Nov is a Sunday
    plan_daily_notices(SEVEN_EST, enqueue_at=None)
    assert not Notice.objects.filter(kind=NoticeKind.WEEKLY_SUMMARY).exists()


def test_a_goal_that_falls_behind_as_days_pass_is_told_by_the_scheduled_judgement(ada):
    goal = weight_goal(ada)  # 82 to 75 kg over 90 days, 30 days in
    five_days_ago = timezone.now() - dt.timedelta(days=5)
    record_measurement(
        RecordMeasurement(
            metric_id=goal.metric_id, value=Decimal("79.9"), measured_at=five_days_ago
        ),
        actor_id=ada.id,
        now=five_days_ago,
    ).unwrap()
    goal.refresh_from_db()
    assert goal.standing == "on_track"  # on the line then; the line has moved on since

    assert judge_statuses(now=timezone.now()) == 1
    goal.refresh_from_db()
    assert goal.standing == "behind"
    [notice] = Notice.objects.filter(kind=NoticeKind.FELL_BEHIND)
    assert notice.goal_id == goal.id
    assert judge_statuses(now=timezone.now()) == 1
    assert Notice.objects.count() == 1, "judged again, nothing moved: nothing new"
