"""Who a write's events go to, through a real write: every enabled endpoint of the
owner subscribed to the type, and nobody else. On PostgreSQL the endpoints are read
in the statement that writes the events, with no query of their own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MetricFactory
from webhooks.models import Delivery, Endpoint

from .conftest import make_endpoint, record

URL = "https://hooks.example.com/in"


@pytest.mark.django_db
def test_a_write_reaches_exactly_the_enabled_endpoints_of_its_owner_that_subscribed(metric):
    subscribed, _ = make_endpoint(metric.owner_id, URL)
    also, _ = make_endpoint(metric.owner_id, URL, types=("goal.created", "measurement.recorded"))
    disabled, _ = make_endpoint(metric.owner_id, URL)
    Endpoint.objects.filter(id=disabled.id).update(enabled=False)
    make_endpoint(metric.owner_id, URL, types=("goal.created",))
    stranger = MetricFactory(unit="kg")
    make_endpoint(stranger.owner_id, URL)

    with CaptureQueriesContext(connection) as queries:
        measurement = record(metric)

    reached = Delivery.objects.filter(event__subject_id=measurement.id)
    assert sorted(reached.values_list("endpoint_id", flat=True)) == sorted([subscribed.id, also.id])
    endpoint_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and Endpoint._meta.db_table in q["sql"]
    ]
    assert len(endpoint_reads) == (0 if connection.vendor == "postgresql" else 1)
