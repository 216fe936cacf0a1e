"""The admin's view of outgoing webhooks: read-only, but for switching endpoints off
and on (through the same orchestrator as the page, so the owner's event and the audit
trail follow). Deliveries are a log, with their attempts inline."""

from django.contrib import admin, messages
from django.utils import timezone

from .contracts import UpdateEndpoint
from .models import Attempt, Delivery, Endpoint
from .orchestrators import update_endpoint


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["at", "status_code", "duration_ms", "succeeded", "error"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = [
        "url",
        "description",
        "owner",
        "enabled",
        "failing_since",
        "last_success_at",
        "created",
    ]
    list_filter = ["enabled"]
    search_fields = ["url", "description", "owner__username"]
    list_select_related = ["owner"]
    exclude = ["secret", "previous_secret"]

    actions = ["disable", "enable"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def _switch(self, request, queryset, enabled: bool) -> None:
        for endpoint in queryset:
            result = update_endpoint(
                endpoint.id,
                UpdateEndpoint(enabled=enabled),
                actor_id=endpoint.owner_id,
                now=timezone.now(),
            )
            if not result.ok:
                self.message_user(request, f"{endpoint}: {result.error.message}", messages.ERROR)

    @admin.action(description="Disable the selected endpoints")
    def disable(self, request, queryset):
        self._switch(request, queryset, enabled=False)

    @admin.action(description="Enable the selected endpoints")
    def enable(self, request, queryset):
        self._switch(request, queryset, enabled=True)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "type",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "created",
    ]
    list_filter = ["status", "type", "created"]
    search_fields = ["msg_id", "endpoint__url", "endpoint__owner__username"]
    list_select_related = ["endpoint"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
