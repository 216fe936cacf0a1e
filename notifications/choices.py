"""The vocabularies of notifications, shared by models, contracts and the policy."""

from django.db import models


class NoticeKind(models.TextChoices):
    FELL_BEHIND = "fell_behind", "A goal fell behind"
    ACHIEVED = "achieved", "A goal was achieved"
    DAILY_REMINDER = "daily_reminder", "Today's reminder"
    DEADLINE = "deadline", "A deadline or period end is close"
    WEEKLY_SUMMARY = "weekly_summary", "Weekly summary"


class Channel(models.TextChoices):
    PUSH = "push", "Browser push"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class ChannelChoice(models.TextChoices):
    """Which channels a kind of notice goes to (`NotificationSettings.channels`)."""

    OFF = "off", "Off"
    PUSH = "push", "Push, or email when push can't reach you"
    EMAIL = "email", "Email"
    BOTH = "both", "Push and email"


class NoticeState(models.TextChoices):
    PLANNED = "planned", "Waiting"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    FAILED = "failed", "Could not be sent"


class AttemptOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not tried"
