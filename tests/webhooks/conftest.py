"""A real HTTP receiver on loopback (pytest-httpserver), outbound requests allowed to
loopback as an operator would allow a LAN, tiny retry delays, and helpers to make
endpoints and write events through real executors."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from measurements.contracts import RecordMeasurement
from measurements.orchestrators import record_measurement
from tests.api.conftest import ApiClient, token_for
from tests.factories import MetricFactory, UserFactory
from webhooks.contracts import CreateEndpoint
from webhooks.orchestrators import create_endpoint

LOOPBACK = ["127.0.0.0/8", "::1/128"]
#: Seconds between attempts in the tests: eight attempts in well under a second.
TINY_SCHEDULE = [0.05] * 7


@pytest.fixture
def loopback(settings):
    settings.OUTBOUND_ALLOW_NETWORKS = LOOPBACK
    settings.WEBHOOK_RETRY_SCHEDULE = TINY_SCHEDULE
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    return settings


@pytest.fixture
def metric(db):
    return MetricFactory(unit="kg")


def make_endpoint(owner_id: int, url: str, types=("measurement.recorded",)):
    """An endpoint made as the page makes one; (its data, its secret)."""
    command = CreateEndpoint(url=url, description="Receiver", event_types=list(types))
    created = create_endpoint(command, actor_id=owner_id, now=timezone.now()).unwrap()
    return created.endpoint, created.secret


def record(metric, value="81.4"):
    """A measurement recorded through the real orchestrator and executor."""
    command = RecordMeasurement(
        metric_id=metric.id,
        value=Decimal(value),
        measured_at=timezone.now() - dt.timedelta(minutes=1),
    )
    return record_measurement(command, actor_id=metric.owner_id, now=timezone.now()).unwrap()


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def api(owner):
    """The API as `owner`, with a bearer token."""
    return ApiClient(token_for(owner))


@pytest.fixture
def stranger_api(db):
    return ApiClient(token_for(UserFactory()))
