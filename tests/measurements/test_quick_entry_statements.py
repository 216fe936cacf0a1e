"""The quick entry's round trip in SQL statements, from the session to the answer:
the same however many goals share the metric.

Each statement: the session; the user with their profile (its time zone); the
metric with the goals over it and their owner's zone, read once and passed down to
the executor; the measurement (INSERT ... ON CONFLICT DO NOTHING RETURNING, no
savepoint), its audit entry and its rollup bucket, added to: one statement on
PostgreSQL, three on SQLite; the goals' days (the status judgement); the events,
ordered, announced (NOTIFY) and written in one statement with the owner's webhook
endpoints read (PostgreSQL; a statement of their own on SQLite). The goals whose
window the value falls outside of, for the confirmation, come from the goals judged.
In a test, the transaction is a savepoint and its release: with them, 8 statements
on PostgreSQL, as a served request makes with its BEGIN and COMMIT.
"""

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

STATEMENTS = {"postgresql": 8, "sqlite": 11}


@pytest.mark.django_db
@pytest.mark.parametrize("goals", [1, 10, 30])
def test_a_quick_entry_costs_the_same_statements_however_many_goals_share_the_metric(
    signed_in, user, goals, htmx_headers, django_assert_num_queries
):
    metric = MetricFactory(owner=user, name="Weight", unit="kg")
    for _ in range(goals):
        GoalFactory(metric=metric, owner=user)
    MeasurementFactory(metric=metric, value="80.4")  # the metric's places are known
    signed_in.post(
        reverse("measurements:record", args=[metric.id]), {"value": "80.2"}, headers=htmx_headers
    )  # the goals' first judgement is stored: later entries only move it

    with django_assert_num_queries(STATEMENTS[connection.vendor]):
        response = signed_in.post(
            reverse("measurements:record", args=[metric.id]),
            {"value": "80.1", "submission_token": "8d3c1f0e-5e0b-4c2a-9a50-6f1f2e3d4c5b"},
            headers=htmx_headers,
        )
    assert response.status_code == 200
    assert "Recorded" in response.content.decode() or "80.1" in response.content.decode()
