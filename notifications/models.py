"""What people are told, and how to reach them.

A `Notice` is one thing to tell one person ("Weight fell behind", "Today's
reminder"), keyed so that it is never told twice (`key`: kind, goal and local day).
Each channel tried for it is an `Attempt` (sent, failed or skipped, and why), so the
Notifications page and the admin show what was sent where, and what was not and why.
"""

import datetime as dt

from django.conf import settings
from django.db import models

from .choices import AttemptOutcome, Channel, NoticeKind, NoticeState


class NotificationSettings(models.Model):
    """One user's notification preferences. Times are local, in the profile's zone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    #: When today's reminder goes out, local time.
    reminder_time = models.TimeField(default=dt.time(7, 0))
    #: Nothing is sent between these local times (None: no quiet hours); a notice that
    #: falls inside waits for their end.
    quiet_start = models.TimeField(null=True, blank=True, default=dt.time(22, 0))
    quiet_end = models.TimeField(null=True, blank=True, default=dt.time(7, 0))
    #: Per kind of notice (`NoticeKind`), a `ChannelChoice`; a kind missing here has
    #: its default (`notifications.policy.DEFAULT_CHANNELS`).
    channels = models.JSONField(default=dict, blank=True)
    #: Set by a one-click unsubscribe: no email of any kind until it is turned back on.
    email_stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Notification settings of {self.user}"


class PushSubscription(models.Model):
    """A browser that agreed to be sent push messages (Web Push, RFC 8030/8291)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=2000, unique=True)
    #: The browser's public key (base64url, P-256) and auth secret, to encrypt for it.
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    #: The browser and system, in words, so the owner can tell subscriptions apart.
    label = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField()
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return self.label or self.endpoint[:60]


class Snooze(models.Model):
    """A goal whose reminders are quiet until `until` (a local day, inclusive)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    goal = models.OneToOneField("goals.Goal", on_delete=models.CASCADE, related_name="snooze")
    until = models.DateField()

    def __str__(self) -> str:
        return f"Reminders of goal {self.goal_id} snoozed until {self.until}"


class Notice(models.Model):
    """One thing to tell one person, at `due_at` (later than planned when it fell in
    quiet hours). `key` makes it once only: two schedulers, a retried task or the same
    status change seen twice all find the notice already there."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    goal = models.ForeignKey("goals.Goal", null=True, blank=True, on_delete=models.SET_NULL)
    #: The kind, the goal and the local day (and a stage for escalating notices).
    key = models.CharField(max_length=120)
    #: The local day the notice is about.
    day = models.DateField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    #: A rich version for email (the weekly summary's table), as plain data.
    detail = models.JSONField(default=dict, blank=True)
    #: Where the notice leads (a path in the app).
    link = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField()
    due_at = models.DateTimeField()
    #: Past this moment the notice is no longer worth sending (the day it was about
    #: ended, the deadline passed).
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=NoticeState.choices)
    #: Why it was not sent, or what it waits for, in words.
    reason = models.CharField(max_length=300, blank=True)
    #: A worker holds the notice while it sends (its claim), until then.
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: Rounds of sending that reached nobody; a few are tried before it has failed.
    rounds = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="notice_once_per_key"),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="notice_state_due"),
            models.Index(fields=["owner", "-created"], name="notice_owner_created"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display()})"


class Attempt(models.Model):
    """One channel tried for a notice, and what came of it."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attempts")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    #: In words: "push service answered 410: the subscription is gone".
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_outcome_display()}"
