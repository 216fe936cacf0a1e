from django.contrib import admin

from .models import Goal


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "metric",
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
    readonly_fields = ["created", "updated", "deleted_at"]
