"""The reminders control of a goal's page: snoozed until when, and the buttons to
snooze or wake them. A tag, so the goals app's page shows it without importing
notifications."""

from django import template
from django.utils import timezone

from accounts.selectors import preferences_for

from ..forms import SNOOZE_DAYS
from ..selectors import snoozed_until

register = template.Library()


@register.inclusion_tag("notifications/goal_reminders.html", takes_context=True)
def goal_reminders(context, goal):
    request = context["request"]
    until = snoozed_until(goal_id=goal.id)
    today = timezone.now().astimezone(preferences_for(request.user).zone).date()
    return {
        "goal": goal,
        "until": until if until is not None and until >= today else None,
        "choices": SNOOZE_DAYS,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
    }
