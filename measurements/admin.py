from django.contrib import admin

from audit.admin import AuditedModelAdmin
from config.numbers import quantity

from .models import SNAPSHOT_FIELDS, Measurement, Metric


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

    @admin.display(description="Value", ordering="value")
    def shown_value(self, measurement: Measurement) -> str:
        """At the metric's display places; the form below keeps the exact value."""
        metric = measurement.metric
        shown = quantity(measurement.value, metric.unit, metric.places)
        return f"{shown} ({measurement.as_entered})" if measurement.as_entered else shown

    @admin.display(ordering="metric__owner__username")
    def owner(self, measurement: Measurement):
        return measurement.metric.owner
