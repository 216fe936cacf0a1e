from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by executors, never edited."""

    list_display = ["at", "action", "subject_type", "subject_id", "summary", "owner", "channel"]
    list_filter = ["action", "subject_type", "channel", "at"]
    search_fields = ["correlation_id", "summary", "owner__username", "=subject_id"]
    list_select_related = ["owner"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
