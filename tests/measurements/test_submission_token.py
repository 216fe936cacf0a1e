"""A quick-entry form carries a one-time submission token: the same form sent twice,
or twice at once, records one measurement."""

import datetime as dt
import re
import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import Action, AuditEntry
from measurements.contracts import RecordMeasurement
from measurements.models import Measurement
from measurements.orchestrators import record_measurement
from tests.factories import GoalFactory, MetricFactory

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
TOKEN = re.compile(r'<input type="hidden" name="submission_token" value="([0-9a-f-]{36})">')


def tokens(response) -> list[str]:
    return TOKEN.findall(response.content.decode())


def quick_entry(client, metric, token, value="81.4", **headers):
    return client.post(
        reverse("measurements:record", args=[metric.id]),
        {"value": value, "submission_token": token},
        headers=headers,
    )


@pytest.fixture
def metric(user):
    return MetricFactory(owner=user, unit="kg")


@pytest.mark.django_db
def test_the_same_form_sent_twice_records_once(signed_in, metric, htmx_headers):
    token = str(uuid.uuid4())
    first = quick_entry(signed_in, metric, token, **htmx_headers)
    second = quick_entry(signed_in, metric, token, **htmx_headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "Recorded 81.4 kg." in first.content.decode()
    assert "Recorded 81.4 kg." in second.content.decode()
    assert Measurement.objects.count() == 1
    assert AuditEntry.objects.filter(action=Action.CREATED).count() == 1


@pytest.mark.django_db
def test_the_same_form_sent_twice_without_javascript_records_once(signed_in, metric):
    token = str(uuid.uuid4())
    assert quick_entry(signed_in, metric, token).status_code == 302
    assert quick_entry(signed_in, metric, token).status_code == 302
    assert Measurement.objects.count() == 1


@pytest.mark.django_db
def test_another_token_records_another_measurement(signed_in, metric, htmx_headers):
    quick_entry(signed_in, metric, str(uuid.uuid4()), **htmx_headers)
    quick_entry(signed_in, metric, str(uuid.uuid4()), **htmx_headers)
    assert Measurement.objects.count() == 2


@pytest.mark.django_db
def test_the_form_that_comes_back_after_recording_has_a_fresh_token(
    signed_in, metric, htmx_headers
):
    token = str(uuid.uuid4())
    response = quick_entry(signed_in, metric, token, **htmx_headers)
    (fresh,) = tokens(response)
    assert fresh != token
    quick_entry(signed_in, metric, fresh, value="81.2", **htmx_headers)
    assert Measurement.objects.count() == 2


@pytest.mark.django_db
def test_the_metric_page_form_carries_a_token(signed_in, metric):
    response = signed_in.get(reverse("measurements:detail", args=[metric.id]))
    (token,) = tokens(response)
    assert uuid.UUID(token)


@pytest.mark.django_db
def test_two_forms_on_one_page_carry_different_tokens(signed_in, metric):
    GoalFactory(metric=metric, title="Weigh 75 kg")
    GoalFactory(metric=metric, title="Stay under 80 kg")
    found = tokens(signed_in.get(reverse("goals:dashboard")))
    assert len(found) == 2
    assert len(set(found)) == 2


@pytest.mark.django_db
def test_a_token_used_for_one_metric_is_refused_for_another(signed_in, metric, user, htmx_headers):
    other = MetricFactory(owner=user, unit="km")
    token = str(uuid.uuid4())
    quick_entry(signed_in, metric, token, **htmx_headers)
    response = quick_entry(signed_in, other, token, value="5", **htmx_headers)
    body = response.content.decode()
    assert response.status_code == 200
    assert "This form was already used for another measurement." in body
    assert "Recorded" not in body
    assert list(Measurement.objects.values_list("metric_id", flat=True)) == [metric.id]


def race(command: RecordMeasurement, *, actor_id: int, runners: int = 2) -> list:
    """Run `record_measurement` in `runners` threads at once, each on its own
    connection."""
    barrier = threading.Barrier(runners)
    results, errors = [], []

    def submit():
        try:
            barrier.wait(timeout=10)
            results.append(record_measurement(command, actor_id=actor_id, now=NOW))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    return results


@pytest.mark.django_db(transaction=True)
def test_racing_submissions_of_one_form_record_once(monkeypatch):
    metric = MetricFactory()
    insert = Measurement.save

    def insert_and_hold(self, *args, **kwargs):
        insert(self, *args, **kwargs)
        time.sleep(0.05)

    monkeypatch.setattr(Measurement, "save", insert_and_hold)
    rounds = 8
    for _ in range(rounds):
        token = uuid.uuid4()
        command = RecordMeasurement(
            metric_id=metric.id, value=Decimal("81.4"), measured_at=NOW, submission_token=token
        )
        results = race(command, actor_id=metric.owner_id)
        assert [result.ok for result in results] == [True, True]
        assert sorted(result.data.replayed for result in results) == [False, True]
        assert len({result.data.id for result in results}) == 1
        assert Measurement.objects.filter(submission_token=token).count() == 1
    assert Measurement.objects.count() == rounds
    assert AuditEntry.objects.filter(action=Action.CREATED).count() == rounds
