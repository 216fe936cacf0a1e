"""Writes of notifications: planning notices once per key, claiming one to send it,
writing what was sent where (or why not), and a person's settings, push subscriptions
and snoozes. None sends anything: sending is `notifications.channels`, for the policy
in `notifications.orchestrators`.

`notices_plan_here` runs inside the transaction of whichever executor recorded the
events it plans from (a status change), so a notice exists exactly when its event does.
"""

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q

from config.envelope import NotFound, Result
from events import types
from events.outbox import emit, executor
from goals.models import Goal

from .choices import AttemptOutcome, NoticeState
from .contracts import (
    NoticeData,
    NoticeJob,
    NotificationPreferences,
    PlannedNotice,
    Subscribe,
    Tried,
)
from .models import Attempt, Notice, NotificationSettings, PushSubscription, Snooze

NOTIFICATIONS_LIST = "notifications:list"
NOTIFICATION_SETTINGS = "notifications:settings"

EnqueueAt = Callable[[int, dt.datetime], object]


def snooze_key(goal_id: int) -> str:
    return f"snooze:{goal_id}"


def _logged(owner_id: int, notice_id: int | None = None) -> None:
    emit(
        types.NOTIFICATION_LOGGED,
        owner_id=owner_id,
        affected=[NOTIFICATIONS_LIST],
        subject=("notice", notice_id) if notice_id else None,
    )


def _write_planned(
    planned: list[PlannedNotice], *, now: dt.datetime, on_commit: EnqueueAt | None
) -> list[int]:
    """Write the notices whose keys are new (a key seen before is left as it was) and
    hand each one still waiting to `on_commit` once the transaction commits."""
    Notice.objects.bulk_create(
        [
            Notice(
                owner_id=plan.owner_id,
                kind=plan.kind,
                goal_id=plan.goal_id,
                key=plan.key,
                day=plan.day,
                title=plan.title[:200],
                body=plan.body,
                detail=plan.detail,
                link=plan.link,
                created=now,
                due_at=plan.due_at,
                expires_at=plan.expires_at,
                state=NoticeState.SKIPPED if plan.skip else NoticeState.PLANNED,
                reason=plan.skip,
                finished_at=now if plan.skip else None,
            )
            for plan in planned
        ],
        ignore_conflicts=True,
    )
    keys_by_owner: dict[int, set[str]] = {}
    for plan in planned:
        keys_by_owner.setdefault(plan.owner_id, set()).add(plan.key)
    waiting = Notice.objects.none()
    for owner_id, keys in keys_by_owner.items():
        waiting |= Notice.objects.filter(
            owner_id=owner_id, key__in=keys, state=NoticeState.PLANNED, claimed_until__isnull=True
        )
    queued = list(waiting.values_list("id", "due_at"))
    if on_commit is not None:
        for notice_id, due_at in queued:
            transaction.on_commit(lambda n=notice_id, d=due_at: on_commit(n, d))
    return [notice_id for notice_id, _ in queued]


def notices_plan_here(
    planned: list[PlannedNotice], *, now: dt.datetime, on_commit: EnqueueAt | None
) -> list[int]:
    """Inside the caller's transaction (the outbox's reaction): plan the notices. It
    records no event of its own: the events of that transaction are already written,
    and the notice shows on the Notifications page once it is sent."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Notices are planned inside the transaction of their events.")
    return _write_planned(planned, now=now, on_commit=on_commit)


@executor
def notices_plan(
    *, planned: list[PlannedNotice], now: dt.datetime, on_commit: EnqueueAt | None
) -> Result:
    """Plan the scheduler's notices (reminders, deadlines, summaries)."""
    ids = _write_planned(planned, now=now, on_commit=on_commit)
    for owner_id in sorted({plan.owner_id for plan in planned}):
        _logged(owner_id)
    return Result.success(ids)


@executor
def notice_claim(*, notice_id: int, claim: str, now: dt.datetime, lease_until: dt.datetime):
    """Take a due notice to send it, until `lease_until`; the data is the job, or None
    when there is nothing to send now (sent or skipped already, not due, or held by
    another worker). One conditional UPDATE decides between workers."""
    taken = (
        Notice.objects.filter(id=notice_id, state=NoticeState.PLANNED, due_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=lease_until, claim=claim)
    )
    if not taken:
        return Result.success(None)
    notice = Notice.objects.get(id=notice_id)
    return Result.success(
        NoticeJob(
            id=notice.id,
            owner_id=notice.owner_id,
            kind=notice.kind,
            goal_id=notice.goal_id,
            title=notice.title,
            body=notice.body,
            link=notice.link,
            detail=notice.detail,
            day=notice.day,
            expires_at=notice.expires_at,
            claim=claim,
            rounds=notice.rounds,
        )
    )


def _held(notice_id: int, claim: str) -> Notice:
    notice = (
        Notice.objects.select_for_update().filter(
            id=notice_id, claim=claim, state=NoticeState.PLANNED
        )
    ).first()
    if notice is None:
        raise NotFound("The notice is no longer held by this worker.")
    return notice


@executor
def notice_postpone(
    *, notice_id: int, claim: str, until: dt.datetime, reason: str, now: dt.datetime
) -> Result:
    """Hold a claimed notice until `until` (quiet hours, a retry)."""
    notice = _held(notice_id, claim)
    notice.due_at, notice.reason, notice.claimed_until = until, reason[:300], None
    notice.save(update_fields=["due_at", "reason", "claimed_until"])
    _logged(notice.owner_id, notice.id)
    return Result.success(notice.id)


@executor
def notice_finish(
    *,
    notice_id: int,
    claim: str,
    tried: list[Tried],
    state: NoticeState,
    reason: str,
    now: dt.datetime,
    retry_at: dt.datetime | None = None,
) -> Result:
    """Write what each channel did, and the notice's outcome: sent, skipped (with
    why), failed, or, with `retry_at`, waiting for another round. Push subscriptions
    the push service said are gone are deleted; those that took it are marked."""
    notice = _held(notice_id, claim)
    Attempt.objects.bulk_create(
        [
            Attempt(
                notice_id=notice.id,
                channel=one.channel,
                outcome=AttemptOutcome.SENT if one.ok else AttemptOutcome.FAILED,
                detail=one.detail[:300],
                at=now,
            )
            for one in tried
        ]
    )
    gone = [sub for one in tried for sub in one.gone]
    reached = [sub for one in tried for sub in one.reached]
    if gone:
        PushSubscription.objects.filter(id__in=gone, owner_id=notice.owner_id).delete()
    if reached:
        PushSubscription.objects.filter(id__in=reached).update(last_success_at=now)
    notice.claimed_until = None
    notice.reason = reason[:300]
    if retry_at is not None:
        notice.rounds += 1
        notice.due_at = retry_at
    else:
        notice.state = state
        notice.finished_at = now
    notice.save(
        update_fields=["claimed_until", "reason", "rounds", "due_at", "state", "finished_at"]
    )
    if notice.state == NoticeState.SENT:
        emit(
            types.NOTIFICATION_SENT,
            owner_id=notice.owner_id,
            affected=[NOTIFICATIONS_LIST],
            subject=("notice", notice.id),
            data=NoticeData.model_validate(notice).model_dump(mode="json"),
        )
    else:
        _logged(notice.owner_id, notice.id)
    if gone:
        emit(
            types.PUSH_SUBSCRIPTIONS_CHANGED,
            owner_id=notice.owner_id,
            affected=[NOTIFICATION_SETTINGS],
        )
    return Result.success(notice.state)


@executor
def settings_save(*, user_id: int, command: NotificationPreferences) -> Result:
    row, _ = NotificationSettings.objects.select_for_update().get_or_create(user_id=user_id)
    row.reminder_time = command.reminder_time
    row.quiet_start = command.quiet_start
    row.quiet_end = command.quiet_end
    row.channels = {str(kind): str(choice) for kind, choice in command.channels.items()}
    row.save()
    emit(
        types.NOTIFICATION_SETTINGS_CHANGED,
        owner_id=user_id,
        affected=[NOTIFICATION_SETTINGS],
        data={"reminder_time": row.reminder_time.isoformat(timespec="minutes")},
    )
    return Result.success(row.id)


@executor
def email_stop(*, user_id: int, now: dt.datetime) -> Result:
    """One-click unsubscribe: no notification email until turned back on."""
    row, _ = NotificationSettings.objects.select_for_update().get_or_create(user_id=user_id)
    if row.email_stopped_at is None:
        row.email_stopped_at = now
        row.save(update_fields=["email_stopped_at"])
    emit(types.NOTIFICATION_SETTINGS_CHANGED, owner_id=user_id, affected=[NOTIFICATION_SETTINGS])
    return Result.success(row.email_stopped_at)


@executor
def email_resume(*, user_id: int) -> Result:
    NotificationSettings.objects.filter(user_id=user_id).update(email_stopped_at=None)
    emit(types.NOTIFICATION_SETTINGS_CHANGED, owner_id=user_id, affected=[NOTIFICATION_SETTINGS])
    return Result.success(None)


@executor
def push_subscribe(*, user_id: int, command: Subscribe, now: dt.datetime) -> Result:
    """Keep a browser's subscription. The same endpoint again (the page telling it
    again, or the browser now used by another account) updates what was kept for it."""
    kept = {
        "owner_id": user_id,
        "p256dh": command.p256dh,
        "auth": command.auth,
        "label": command.label,
    }
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=str(command.endpoint), defaults=kept, create_defaults={**kept, "created": now}
    )
    emit(types.PUSH_SUBSCRIPTIONS_CHANGED, owner_id=user_id, affected=[NOTIFICATION_SETTINGS])
    return Result.success(subscription.id)


@executor
def push_unsubscribe(*, user_id: int, endpoint: str | None = None, subscription_id=None):
    subscriptions = PushSubscription.objects.filter(owner_id=user_id)
    if endpoint is not None:
        subscriptions = subscriptions.filter(endpoint=endpoint)
    if subscription_id is not None:
        subscriptions = subscriptions.filter(id=subscription_id)
    deleted, _ = subscriptions.delete()
    emit(types.PUSH_SUBSCRIPTIONS_CHANGED, owner_id=user_id, affected=[NOTIFICATION_SETTINGS])
    return Result.success(deleted)


@executor
def goal_snooze(*, owner_id: int, goal_id: int, until: dt.date | None) -> Result:
    goal = Goal.objects.filter(id=goal_id, owner_id=owner_id, deleted_at__isnull=True).first()
    if goal is None:
        raise NotFound("There is no such goal.")
    if until is None:
        Snooze.objects.filter(goal_id=goal_id).delete()
    else:
        Snooze.objects.update_or_create(
            goal_id=goal_id, defaults={"owner_id": owner_id, "until": until}
        )
    emit(
        types.GOAL_SNOOZED,
        owner_id=owner_id,
        affected=[snooze_key(goal_id)],
        subject=("goal", goal_id),
        data={"until": until.isoformat() if until else None},
    )
    return Result.success(until)
