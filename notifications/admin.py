"""The admin's view of notifications: a read-only log of every notice, sent or not,
with the channels tried inline; people's settings, push subscriptions and snoozes."""

from django.contrib import admin

from .models import Attempt, Notice, NotificationSettings, PushSubscription, Snooze


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["at", "channel", "outcome", "detail"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ["title", "owner", "kind", "state", "day", "due_at", "reason"]
    list_filter = ["state", "kind"]
    search_fields = ["title", "owner__username", "key"]
    list_select_related = ["owner"]
    date_hierarchy = "created"
    inlines = [AttemptInline]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(ReadOnly):
    list_display = ["user", "reminder_time", "quiet_start", "quiet_end", "email_stopped_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ReadOnly):
    list_display = ["owner", "label", "created", "last_success_at"]
    search_fields = ["owner__username", "label"]
    list_select_related = ["owner"]
    exclude = ["p256dh", "auth"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return True


@admin.register(Snooze)
class SnoozeAdmin(ReadOnly):
    list_display = ["goal", "owner", "until"]
    list_select_related = ["goal", "owner"]
