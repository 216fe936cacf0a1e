"""What people are told, where and when: the orchestration of notifications.

Planning
    A notice is planned once per key (kind, goal, local day, stage). Status notices
    ("fell behind", "achieved") are planned from `goal.status_changed` events, inside
    the transaction that changed the status (`plan_status_notices`, a reaction of the
    outbox). The daily work (today's reminder, the deadline warnings of the day, the
    weekly summary on the first day of the week) is planned by the scheduler at each
    person's reminder time, in their zone (`plan_daily_notices`).

Sending
    A task sends each notice when it is due (`deliver`): the policy
    (`notifications.policy`) decides from the person's channels and settings whether
    it goes now, waits for the end of quiet hours, or is skipped (and why); the
    chosen channels are tried, then the fallbacks; what each did is written. A notice
    that reached nobody is tried again after `ROUND_DELAYS`, then has failed. A
    deadline warning is checked again when it is due: met in time, it is skipped.

Nothing is lost, nothing is told twice
    A worker claims a notice before sending it, so two tasks send it once; a notice
    whose task was lost is handed to the queue again by the scheduler
    (`requeue_lost_notices`). Two schedulers plan the same keys, which exist once.

Like every orchestrator, these build no queries: selectors read, executors write.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

from django.urls import reverse
from django.utils import timezone

from config.envelope import NotFound, Result
from config.orchestration import execute
from events.types import GOAL_STATUS_CHANGED
from goals.progress import progress_for_goals

from . import channels as notice_channels
from . import content
from . import executors as notice_executors
from . import selectors as notice_selectors
from .choices import Channel, ChannelChoice, NoticeKind, NoticeState
from .contracts import NotificationPreferences, PlannedNotice, SnoozeGoal, Subscribe, Tried
from .policy import Circumstances, channels_to_try, choice_for, decide, local_moment
from .schedule import REMINDER_LIFETIME, DailyRun, due_runs

EnqueueAt = Callable[[int, dt.datetime], object]

#: After a round that reached nobody, the next tries, this long after the one before.
ROUND_DELAYS = (dt.timedelta(minutes=5), dt.timedelta(minutes=30))
#: How long a worker holds a notice while it sends it.
CLAIM_LEASE = dt.timedelta(minutes=2)
#: A due notice not sent this long after it fell due lost its task.
REQUEUE_AFTER = dt.timedelta(minutes=5)
REQUEUE_BATCH = 500
#: How long news of a status change is worth sending (held over quiet hours, say).
STATUS_NEWS_LIFETIME = {
    NoticeKind.FELL_BEHIND: dt.timedelta(hours=24),
    NoticeKind.ACHIEVED: dt.timedelta(days=3),
}


def goal_link(goal_id: int) -> str:
    return reverse("goals:detail", args=[goal_id])


# Planning -----------------------------------------------------------------------------


class OutboxEvent(Protocol):
    id: int
    owner_id: int
    type: str
    at: dt.datetime
    subject_id: int | None
    data: dict


def plan_status_notices(
    events: Sequence[OutboxEvent],
    *,
    enqueue_at: EnqueueAt | None,
    selectors=notice_selectors,
    executors=notice_executors,
) -> list[int]:
    """The outbox's reaction, inside the transaction that wrote `events`: a notice for
    each goal that just fell behind or was achieved, sent once it commits. No query
    for events that carry no such news."""
    news = [
        (event, NoticeKind(kind))
        for event in events
        if event.type == GOAL_STATUS_CHANGED
        and (
            kind := content.status_change(
                event.data.get("previous_status"), event.data.get("status")
            )
        )
    ]
    if not news:
        return []
    people = {
        person.user_id: person
        for person in selectors.people(user_ids={e.owner_id for e, _ in news})
    }
    goals = selectors.goals_by_id(goal_ids={event.subject_id for event, _ in news})
    planned = []
    for event, kind in news:
        person, goal = people.get(event.owner_id), goals.get(event.subject_id)
        if person is None or goal is None:
            continue
        # The event carries the status; what the goal needs now is in its progress. This
        # runs only when a status moved, not on every write.
        shown = progress_for_goals(
            [goal],
            profile_zone=person.zone,
            week_start=person.week_start,
            now=event.at,
            series=False,
        )[goal.id]
        title, body = content.status_notice(
            goal.title,
            previous=event.data.get("previous_status"),
            status=event.data["status"],
            percent=event.data.get("percent"),
            progress=shown,
            metric=goal.metric.name,
        )
        day = event.at.astimezone(person.zone).date()
        planned.append(
            PlannedNotice(
                owner_id=event.owner_id,
                kind=kind,
                key=f"{kind}:{event.subject_id}:{day.isoformat()}",
                day=day,
                title=title,
                body=body,
                goal_id=event.subject_id,
                link=goal_link(event.subject_id),
                due_at=event.at,
                expires_at=event.at + STATUS_NEWS_LIFETIME[kind],
            )
        )
    if not planned:
        return []
    return executors.notices_plan_here(planned, now=events[0].at, on_commit=enqueue_at)


def plan_daily_notices(
    now: dt.datetime,
    *,
    enqueue_at: EnqueueAt | None,
    selectors=notice_selectors,
    executors=notice_executors,
) -> list[int]:
    """The scheduler's daily work for everyone whose reminder time has come: today's
    reminder, today's deadline warnings, and on the first day of their week the
    summary of the week before. Safe to run again: the keys exist once."""
    runs = due_runs(selectors.people(), now)
    if not runs:
        return []
    done = selectors.existing_keys(
        owner_ids={run.person.user_id for run in runs},
        keys={_daily_key(run) for run in runs},
    )
    runs = [run for run in runs if (run.person.user_id, _daily_key(run)) not in done]
    if not runs:
        return []
    owners = {run.person.user_id for run in runs}
    goals = selectors.active_goals_for(owner_ids=owners)
    snoozes = selectors.snoozes_for(owner_ids=owners)
    by_owner: dict[int, list] = {}
    for goal in goals:
        by_owner.setdefault(goal.owner_id, []).append(goal)
    planned: list[PlannedNotice] = []
    for run in runs:
        planned += _daily_notices(run, by_owner.get(run.person.user_id, []), snoozes, now=now)
    if not planned:
        return []
    return executors.notices_plan(planned=planned, now=now, on_commit=enqueue_at).unwrap()


def _daily_key(run: DailyRun) -> str:
    return f"{NoticeKind.DAILY_REMINDER}::{run.day.isoformat()}"


def _daily_notices(run: DailyRun, goals, snoozes, *, now: dt.datetime) -> list[PlannedNotice]:
    person = run.person
    progress = progress_for_goals(
        goals, profile_zone=person.zone, week_start=person.week_start, now=now, series=run.weekly
    )
    deadlines_on = choice_for(NoticeKind.DEADLINE, person.settings.channels) != ChannelChoice.OFF
    reminder_items, planned = [], []
    for goal in goals:
        shown = progress[goal.id]
        if run.day <= snoozes.get(goal.id, dt.date.min):
            continue
        closing = content.closing(shown, title=goal.title)
        if closing is not None and deadlines_on:
            planned += _deadline_notices(run, goal, closing)
        elif need := content.need_today(shown, metric=goal.metric.name):
            reminder_items.append((goal.title, need))
    # The day's reminder is written even with nothing to say (as not sent), so its key
    # marks the person's day as done.
    title, body = content.daily_reminder(reminder_items)
    planned.append(
        PlannedNotice(
            owner_id=person.user_id,
            kind=NoticeKind.DAILY_REMINDER,
            key=_daily_key(run),
            day=run.day,
            title=title,
            body=body,
            link=reverse("goals:dashboard"),
            detail={"items": len(reminder_items)},
            due_at=run.at,
            expires_at=min(run.at + REMINDER_LIFETIME, run.day_ends),
            skip="" if reminder_items else "none of your goals needed anything that day",
        )
    )
    if run.weekly:
        planned.append(_weekly_summary(run, goals, progress))
    return planned


def _deadline_notices(run: DailyRun, goal, closing: "content.Closing") -> list[PlannedNotice]:
    """The day's warnings of a deadline or period end close by: at the reminder time,
    and on the last day again as the day runs out (`content.closing_times`). Each is
    checked again when it is due, and skipped if the goal was met in time."""
    zone = run.person.zone
    return [
        PlannedNotice(
            owner_id=run.person.user_id,
            kind=NoticeKind.DEADLINE,
            key=f"{NoticeKind.DEADLINE}:{goal.id}:{closing.last_day.isoformat()}:{stage}",
            day=run.day,
            title=_closing_title(goal.title, closing),
            body=closing.text,
            goal_id=goal.id,
            link=goal_link(goal.id),
            detail={"stage": stage, "last_day": closing.last_day.isoformat()},
            due_at=max(run.at, local_moment(run.day, at, zone)),
            expires_at=run.day_ends,
        )
        for stage, at in content.closing_times(
            closing, reminder_time=run.person.settings.reminder_time
        )
    ]


def _closing_title(title: str, closing: "content.Closing") -> str:
    if closing.days_left == 0:
        return f"Last day for {title}"
    return f"{title}: {closing.days_left + 1} days left"


def _weekly_summary(run: DailyRun, goals, progress) -> PlannedNotice:
    first, last = run.week_before
    lines = [
        content.week_line(goal.title, progress[goal.id], week_first=first, week_last=last)
        for goal in goals
    ]
    subject, body = content.weekly_summary(lines, week_first=first, week_last=last)
    return PlannedNotice(
        owner_id=run.person.user_id,
        kind=NoticeKind.WEEKLY_SUMMARY,
        key=f"{NoticeKind.WEEKLY_SUMMARY}::{first.isoformat()}",
        day=run.day,
        title=subject,
        body=body,
        link=reverse("goals:dashboard"),
        detail={
            "week_first": first.isoformat(),
            "week_last": last.isoformat(),
            "rows": [
                {
                    "title": line.title,
                    "sentence": line.sentence,
                    "status": line.status_label,
                    "percent": line.percent,
                }
                for line in lines
            ],
        },
        due_at=run.at,
        expires_at=run.at + dt.timedelta(days=2),
        skip="" if goals else "you had no active goals that week",
    )


def requeue_lost_notices(
    now: dt.datetime, *, enqueue_at: EnqueueAt, selectors=notice_selectors
) -> list[int]:
    """Hand the notices whose task was lost to the queue again (see the module)."""
    lost = selectors.lost_notices(now=now, due_before=now - REQUEUE_AFTER, limit=REQUEUE_BATCH)
    for notice_id in lost:
        enqueue_at(notice_id, now)
    return lost


# Sending ------------------------------------------------------------------------------


def deliver(
    notice_id: int,
    *,
    enqueue_at: EnqueueAt | None,
    clock: Callable[[], dt.datetime] = timezone.now,
    senders=notice_channels.SENDERS,
    selectors=notice_selectors,
    executors=notice_executors,
) -> Result:
    """Send one due notice, if no other worker has it: now, later, or not at all, as
    the policy decides; the data is the notice's state, or None when there was
    nothing to do."""
    now = clock()
    claimed = execute(
        partial(
            executors.notice_claim,
            notice_id=notice_id,
            claim=uuid.uuid4().hex,
            now=now,
            lease_until=now + CLAIM_LEASE,
        )
    )
    if not claimed.ok or claimed.data is None:
        return claimed
    job = claimed.data
    contact = selectors.contact_for(user_id=job.owner_id)
    person = contact.person
    decision = decide(
        Circumstances(
            kind=job.kind,
            now=now,
            expires_at=job.expires_at,
            zone=person.zone,
            channels=person.settings.channels,
            reach=contact.reach,
            quiet_start=person.settings.quiet_start,
            quiet_end=person.settings.quiet_end,
            snoozed_until=selectors.snoozed_until(goal_id=job.goal_id),
        )
    )
    finish = partial(executors.notice_finish, notice_id=job.id, claim=job.claim)
    if decision.skip or (skip := _no_longer_needed(job, person, now, selectors)):
        return execute(
            partial(
                finish, tried=[], state=NoticeState.SKIPPED, reason=decision.skip or skip, now=now
            )
        )
    if decision.wait_until is not None:
        local = decision.wait_until.astimezone(person.zone)
        held = execute(
            partial(
                executors.notice_postpone,
                notice_id=job.id,
                claim=job.claim,
                until=decision.wait_until,
                reason=f"Waiting for the end of your quiet hours, at {local:%H:%M}.",
                now=now,
            )
        )
        if held.ok and enqueue_at is not None:
            enqueue_at(job.id, decision.wait_until)
        return held
    plan = decision.plan
    tried = [senders[channel](job, contact) for channel in plan.first]
    for channel in channels_to_try(plan, [(one.channel, one.ok) for one in tried]):
        tried.append(senders[channel](job, contact))
        if tried[-1].ok:
            break
    finished = clock()
    if any(one.ok for one in tried):
        return execute(
            partial(finish, tried=tried, state=NoticeState.SENT, reason="", now=finished)
        )
    retry_at = _next_round(job.rounds, finished, job.expires_at)
    reason = _failure(tried, retry_at, person.zone)
    recorded = execute(
        partial(
            finish,
            tried=tried,
            state=NoticeState.FAILED,
            reason=reason,
            now=finished,
            retry_at=retry_at,
        )
    )
    if recorded.ok and retry_at is not None and enqueue_at is not None:
        enqueue_at(job.id, retry_at)
    return recorded


def _no_longer_needed(job, person, now, selectors) -> str:
    """A deadline warning whose goal was met (or archived) since it was planned."""
    if job.kind != NoticeKind.DEADLINE or job.goal_id is None:
        return ""
    goal = selectors.active_goal(goal_id=job.goal_id)
    if goal is None:
        return "the goal is no longer active"
    shown = progress_for_goals(
        [goal], profile_zone=person.zone, week_start=person.week_start, now=now, series=False
    )[goal.id]
    if content.closing(shown, title=goal.title) is None:
        return "the goal needs nothing more before its deadline"
    return ""


def _next_round(rounds: int, now: dt.datetime, expires_at: dt.datetime) -> dt.datetime | None:
    if rounds >= len(ROUND_DELAYS):
        return None
    retry_at = now + ROUND_DELAYS[rounds]
    return retry_at if retry_at < expires_at else None


def _failure(tried: list[Tried], retry_at: dt.datetime | None, zone) -> str:
    why = "; ".join(f"{Channel(one.channel).label}: {one.detail}" for one in tried)
    then = f" Trying again at {retry_at.astimezone(zone):%H:%M}." if retry_at else " It has failed."
    return f"No channel reached you ({why}).{then}"


# Settings -----------------------------------------------------------------------------


def save_settings(
    command: NotificationPreferences, *, actor_id: int, executors=notice_executors
) -> Result:
    return execute(partial(executors.settings_save, user_id=actor_id, command=command))


def unsubscribe_email(
    user_id: int | None, *, now: dt.datetime, executors=notice_executors
) -> Result:
    """The one-click unsubscribe: the token's person gets no notification email."""
    if user_id is None:
        return Result.failure(NotFound("This unsubscribe link is not one of ours."))
    return execute(partial(executors.email_stop, user_id=user_id, now=now))


def resume_email(*, actor_id: int, executors=notice_executors) -> Result:
    return execute(partial(executors.email_resume, user_id=actor_id))


def subscribe_push(
    command: Subscribe, *, actor_id: int, now: dt.datetime, executors=notice_executors
) -> Result:
    return execute(partial(executors.push_subscribe, user_id=actor_id, command=command, now=now))


def unsubscribe_push(
    *,
    actor_id: int,
    endpoint: str | None = None,
    subscription_id: int | None = None,
    executors=notice_executors,
) -> Result:
    return execute(
        partial(
            executors.push_unsubscribe,
            user_id=actor_id,
            endpoint=endpoint,
            subscription_id=subscription_id,
        )
    )


def snooze_goal(command: SnoozeGoal, *, actor_id: int, executors=notice_executors) -> Result:
    return execute(
        partial(
            executors.goal_snooze, owner_id=actor_id, goal_id=command.goal_id, until=command.until
        )
    )
