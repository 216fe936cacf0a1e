"""Baselines: what a request costs with the app's middleware stack but none of its
layers, so a bench can show how much the real view adds."""

from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from measurements.models import Measurement


@require_POST
def insert_measurement(request, metric_id: int):
    """One INSERT and a 204: no form, orchestrator, executor or template."""
    now = timezone.now()
    Measurement.objects.create(
        metric_id=metric_id,
        value=Decimal(request.POST["value"]),
        measured_at=now,
        created=now,
        updated=now,
    )
    return HttpResponse(status=204)
