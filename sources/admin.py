from django.contrib import admin, messages
from django.utils import timezone

from .models import DataSource, SyncRun
from .orchestrators import queue_sync
from .tasks import run_sync


class RunInline(admin.TabularInline):
    model = SyncRun
    fields = ["created", "mode", "status", "created_count", "updated_count", "rejected_count"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "owner", "enabled", "every_minutes", "leased_until"]
    list_filter = ["provider", "enabled"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
    exclude = ["secrets"]
    readonly_fields = ["created", "leased_until", "leased_by"]
    inlines = [RunInline]
    actions = ["sync_now"]

    @admin.action(description="Sync the selected sources now")
    def sync_now(self, request, queryset):
        for source in queryset:
            result = queue_sync(
                source.id, actor_id=source.owner_id, now=timezone.now(), enqueue=run_sync.enqueue
            )
            if not result.ok:
                self.message_user(request, f"{source}: {result.error.message}", messages.ERROR)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "source",
        "mode",
        "status",
        "created",
        "finished",
        "created_count",
        "rejected_count",
        "correlation_id",
    ]
    list_filter = ["status", "mode", "source__provider", "created"]
    search_fields = ["source__name", "correlation_id", "error_message"]
    list_select_related = ["source"]
    readonly_fields = [field.name for field in SyncRun._meta.fields]
    actions = ["run_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Run the selected runs' sources again")
    def run_again(self, request, queryset):
        for run in queryset.select_related("source"):
            queue_sync(
                run.source_id,
                actor_id=run.source.owner_id,
                now=timezone.now(),
                enqueue=run_sync.enqueue,
                upload=run.upload or None,
            )
        self.message_user(request, f"Queued {queryset.count()} run(s).")
