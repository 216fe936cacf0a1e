import datetime as dt

from django.contrib import admin
from django.utils import timezone

from audit.admin import AuditedModelAdmin
from audit.models import Action
from config.numbers import quantity
from events import types

from .executors import shown, tell_changed
from .models import SNAPSHOT_FIELDS, Measurement, Metric

EVENT_TYPES = {
    Action.CREATED: types.MEASUREMENT_RECORDED,
    Action.UPDATED: types.MEASUREMENT_CHANGED,
    Action.DELETED: types.MEASUREMENT_DELETED,
}


def _instant(shown: dict) -> tuple[int, dt.datetime]:
    """Where a measurement was, as `tell_changed(moved_from=...)` takes it."""
    return shown["metric_id"], dt.datetime.fromisoformat(shown["measured_at"])


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "display_places", "owner", "created"]
    list_filter = ["unit"]
    search_fields = ["name", "unit", "owner__username"]
    list_select_related = ["owner"]
    readonly_fields = ["created"]


@admin.register(Measurement)
class MeasurementAdmin(AuditedModelAdmin):
    list_display = ["measured_at", "metric", "shown_value", "source", "owner", "note"]
    list_filter = ["source", "measured_at"]
    search_fields = ["metric__name", "note", "external_id", "metric__owner__username"]
    list_select_related = ["metric__owner"]
    date_hierarchy = "measured_at"
    raw_id_fields = ["metric"]
    readonly_fields = ["created", "updated"]
    audit_subject = "measurement"
    audit_fields = SNAPSHOT_FIELDS

    def audit_owner_id(self, measurement: Measurement) -> int:
        return measurement.metric.owner_id

    def audit_metric_id(self, measurement: Measurement) -> int:
        return measurement.metric_id

    def shown(self, measurement: Measurement) -> dict:
        return shown(measurement)

    def tell(self, measurement: Measurement, action: Action, was: dict) -> None:
        """A measurement moved to another metric leaves the first one too."""
        changes = [(EVENT_TYPES[action], was if action == Action.DELETED else shown(measurement))]
        if was and action == Action.UPDATED and was["metric_id"] != measurement.metric_id:
            changes.append((types.MEASUREMENT_DELETED, was))
        owner_id = measurement.metric.owner_id
        moved_from = [_instant(was)] if was and action == Action.UPDATED else []
        tell_changed(owner_id, changes, now=timezone.now(), moved_from=moved_from)

    @admin.display(description="Value", ordering="value")
    def shown_value(self, measurement: Measurement) -> str:
        """At the metric's display places; the form below keeps the exact value."""
        metric = measurement.metric
        shown = quantity(measurement.value, metric.unit, metric.places)
        return f"{shown} ({measurement.as_entered})" if measurement.as_entered else shown

    @admin.display(ordering="metric__owner__username")
    def owner(self, measurement: Measurement):
        return measurement.metric.owner
