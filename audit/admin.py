from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from events.outbox import recording

from . import trail
from .models import Action, AuditEntry


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


class AuditedModelAdmin(admin.ModelAdmin):
    """A model admin whose saves and deletes are on the audit trail like any other
    change, with the admin as actor and channel "admin", in the admin's transaction;
    and whose events are recorded there too (`tell`), so the owner's open pages and
    webhooks hear of an admin's change like of any other."""

    audit_subject: str
    audit_fields: tuple[str, ...]

    def audit_owner_id(self, obj) -> int:
        raise NotImplementedError

    def audit_metric_id(self, obj) -> int | None:
        return None

    def shown(self, obj) -> dict:
        """The object as its events carry it, taken before a delete."""
        return {}

    def tell(self, obj, action: Action, was: dict) -> None:
        """Record the change's events (`events.outbox.emit`); `was` is `shown(obj)`
        from before the change."""

    def _audit(self, request, obj, action: Action, *, before=None, after=None) -> None:
        trail.record(
            action=action,
            subject_type=self.audit_subject,
            subject_id=obj.pk,
            owner_id=self.audit_owner_id(obj),
            actor_id=request.user.pk,
            summary=str(obj),
            now=timezone.now(),
            before=before,
            after=after,
            metric_id=self.audit_metric_id(obj),
        )

    def save_model(self, request, obj, form, change):
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        before = trail.snapshot(stored, self.audit_fields) if stored else None
        with transaction.atomic(), recording():
            super().save_model(request, obj, form, change)
            action = Action.UPDATED if change else Action.CREATED
            self._audit(
                request, obj, action, before=before, after=trail.snapshot(obj, self.audit_fields)
            )
            self.tell(obj, action, self.shown(stored) if stored else {})

    def delete_model(self, request, obj):
        with transaction.atomic(), recording():
            self._audit(request, obj, Action.DELETED, before=trail.snapshot(obj, self.audit_fields))
            was = self.shown(obj)
            super().delete_model(request, obj)
            self.tell(obj, Action.DELETED, was)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(), recording():
            deleted = []
            for obj in queryset:
                before = trail.snapshot(obj, self.audit_fields)
                self._audit(request, obj, Action.DELETED, before=before)
                deleted.append((obj, self.shown(obj)))
            super().delete_queryset(request, queryset)
            for obj, was in deleted:
                self.tell(obj, Action.DELETED, was)
