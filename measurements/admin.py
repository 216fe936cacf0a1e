from django.contrib import admin

from .models import Measurement, Metric


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "owner", "created"]
    list_filter = ["unit"]
    search_fields = ["name", "unit", "owner__username"]
    list_select_related = ["owner"]
    readonly_fields = ["created"]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["measured_at", "metric", "value", "source", "owner", "note"]
    list_filter = ["source", "measured_at"]
    search_fields = ["metric__name", "note", "external_id", "metric__owner__username"]
    list_select_related = ["metric__owner"]
    date_hierarchy = "measured_at"
    raw_id_fields = ["metric"]
    readonly_fields = ["created", "updated"]

    @admin.display(ordering="metric__owner__username")
    def owner(self, measurement: Measurement):
        return measurement.metric.owner
