"""Metrics and measurements as the API shows them (`MetricOut`, `MeasurementOut`),
for the events that carry them: a webhook delivered later still says what the object
was at the change, also when it has been deleted since. A test holds these to the
API's own output."""

from typing import Any

from config.numbers import plain
from config.times import exact_time as _time

from .models import Measurement, Metric


def metric_shown(metric: Metric) -> dict[str, Any]:
    return {
        "id": metric.id,
        "name": metric.name,
        "unit": metric.unit,
        "display_places": metric.places,
        "created": _time(metric.created),
    }


def measurement_shown(measurement: Measurement, *, unit: str) -> dict[str, Any]:
    original = measurement.original_value
    return {
        "id": measurement.id,
        "metric_id": measurement.metric_id,
        "value": plain(measurement.value),
        "unit": unit,
        "original_value": None if original is None else plain(original),
        "original_unit": measurement.original_unit,
        "measured_at": _time(measurement.measured_at),
        "note": measurement.note,
        "source": measurement.source,
        "external_id": measurement.external_id,
        "created": _time(measurement.created),
        "updated": _time(measurement.updated),
    }
