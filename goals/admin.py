from django.contrib import admin
from django.utils import timezone

from accounts.selectors import preferences_for
from audit.admin import AuditedModelAdmin
from audit.models import Action
from config.numbers import format_value, quantity
from events import types

from .executors import tell
from .models import AUDITED_FIELDS, Goal
from .progress import progress_for_goal
from .shown import goal_shown
from .standing import restate

EVENT_TYPES = {
    Action.CREATED: types.GOAL_CREATED,
    Action.UPDATED: types.GOAL_CHANGED,
    Action.DELETED: types.GOAL_DELETED,
}


@admin.register(Goal)
class GoalAdmin(AuditedModelAdmin):
    list_display = [
        "title",
        "kind",
        "metric",
        "target_shown",
        "owner",
        "status",
        "start_date",
        "deadline",
        "updated",
    ]
    list_filter = ["kind", "status", "period", "start_date"]
    search_fields = ["title", "metric__name", "owner__username"]
    list_select_related = ["metric", "owner"]
    raw_id_fields = ["metric"]
    readonly_fields = ["progress", "created", "updated", "deleted_at"]
    audit_subject = "goal"
    audit_fields = AUDITED_FIELDS

    def audit_owner_id(self, goal: Goal) -> int:
        return goal.owner_id

    def audit_metric_id(self, goal: Goal) -> int:
        return goal.metric_id

    def shown(self, goal: Goal) -> dict:
        return goal_shown(goal)

    def tell(self, goal: Goal, action: Action, was: dict) -> None:
        if action == Action.DELETED:
            tell(EVENT_TYPES[action], goal, was=was)
            return
        tell(EVENT_TYPES[action], goal)
        restate([goal], now=timezone.now())

    @admin.display(description="Target")
    def target_shown(self, goal: Goal) -> str:
        """The target at the metric's display places (the form keeps exact values)."""
        metric = goal.metric
        if goal.target_low is not None and goal.target_high is not None:
            low = format_value(goal.target_low, metric.places)
            return f"{low} to {quantity(goal.target_high, metric.unit, metric.places)}"
        return quantity(goal.target, metric.unit, metric.places) or "—"

    @admin.display(description="Progress now")
    def progress(self, goal: Goal) -> str:
        """What the owner sees on their dashboard, from the one progress mapper."""
        if goal.pk is None:
            return "—"
        preferences = preferences_for(goal.owner)
        progress = progress_for_goal(
            goal,
            profile_zone=preferences.zone,
            week_start=preferences.week_start,
            now=timezone.now(),
        )
        return f"{progress.status_label}: {progress.summary_text}"
