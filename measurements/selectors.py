"""Reads for metrics and measurements."""

from django.db.models import QuerySet

from config.envelope import NotFound

from .models import Measurement, Metric


def metrics_for_owner(*, owner_id: int) -> QuerySet[Metric]:
    return Metric.objects.filter(owner_id=owner_id).order_by("name")


def metric_for_owner(*, metric_id: int, owner_id: int) -> Metric:
    """The metric, if it is the owner's; another user's metric does not exist."""
    metric = Metric.objects.filter(id=metric_id, owner_id=owner_id).first()
    if metric is None:
        raise NotFound("There is no such metric.")
    return metric


def latest_measurements(*, metric_id: int, limit: int = 50) -> QuerySet[Measurement]:
    return Measurement.objects.filter(metric_id=metric_id).order_by("-measured_at", "-id")[:limit]
