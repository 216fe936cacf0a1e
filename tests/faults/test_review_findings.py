"""Faults found in review of the background work, each shown as an operator would
meet it."""

import io
from types import SimpleNamespace

import pytest
from django.utils import timezone
from pydantic import BaseModel

from measurements.models import Measurement
from sources import executors
from sources.models import DataSource, SyncRun
from sources.orchestrators import sync
from sources.providers import Batch, Capability, Provider, Source, apple_health
from sources.providers.apple_health import AppleHealthExport, AppleHealthSettings
from tests.factories import MetricFactory

UNMAPPED = (
    b'<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min" '
    b'startDate="2026-11-20 07:01:00 +0100" endDate="2026-11-20 07:01:00 +0100" value="61"/>\n'
)
WEIGHT = (
    b'<Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Scale" unit="kg" '
    b'startDate="2026-11-20 07:01:00 +0100" endDate="2026-11-20 07:01:00 +0100" '
    b'value="81.4"/>\n'
)


def test_a_long_stretch_of_records_that_feed_no_metric_still_beats(monkeypatch):
    """A run beats only when its provider hands on a batch. An export whose first
    gigabytes hold no record of a mapped type (or whose mapped streams are summed and
    handed on at the end) went minutes without one, so the reaper took the live run
    for dead and gave it to a second worker, and after `MAX_RESUMES` undid it. The
    provider hands on an empty batch (a heartbeat) at least every
    `KEEPALIVE_SECONDS` of reading."""
    monkeypatch.setattr(apple_health, "KEEPALIVE_SECONDS", 0.0, raising=False)
    export = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
        + UNMAPPED * 5
        + WEIGHT
        + b"</HealthData>\n"
    )
    settings = AppleHealthSettings(metrics={"body_mass": 1})
    source = Source(id=1, settings=settings, secrets={}, streams={}, cursor=None)
    batches = list(AppleHealthExport().parse(source, io.BytesIO(export)))
    assert [item["value"] for batch in batches for item in batch.items] == ["81.4"]
    assert [batch for batch in batches[:-1] if not batch.items], "no heartbeat while reading"


class NoSettings(BaseModel):
    pass


class _SlowFeed(Provider):
    """Hands on an empty batch, as a provider does while it reads a long stretch that
    feeds no metric, then one measurement; notes the run's heartbeat in between."""

    key = "feed"
    label = "Test feed"
    capabilities = Capability.FULL_PULL
    settings_model = NoSettings

    def __init__(self, metric_id: int):
        self.metric_id = metric_id
        self.beats: list = []

    def pull(self, source, *, mode):
        yield Batch(items=[])
        self.beats.append(SyncRun.objects.values_list("heartbeat", flat=True).get())
        item = {"metric_id": self.metric_id, "value": "81.4", "external_id": "w-1"}
        yield Batch(items=[{**item, "measured_at": "2026-11-20T07:00:00+00:00"}])


@pytest.mark.django_db(transaction=True)
def test_an_empty_batch_is_written_as_the_runs_heartbeat():
    metric = MetricFactory(unit="kg")
    source = DataSource.objects.create(
        owner=metric.owner, provider="feed", name="Feed", created=timezone.now()
    )
    run_id = executors.run_queue(
        source_id=source.id, owner_id=source.owner_id, now=timezone.now(), on_commit=print
    ).data
    started = timezone.now()
    feed = _SlowFeed(metric.id)
    assert sync(run_id, providers=SimpleNamespace(get=lambda key: feed)).ok
    assert feed.beats and feed.beats[0] >= started
    assert Measurement.objects.count() == 1
