"""The dashboard shows what the mapper says, in a number of queries that does not
grow with goals or measurements."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import preferences_for
from config.numbers import format_value
from goals.models import Goal
from goals.progress import progress_for_goal
from measurements.models import Measurement, Metric
from measurements.rollup import rollup_rebuild
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

KINDS = [
    {"kind": "reach", "aggregation": "last"},
    {"kind": "total", "aggregation": "sum", "start_value": None, "target": Decimal(100)},
    {
        "kind": "quota",
        "aggregation": "count",
        "start_value": None,
        "target": Decimal(3),
        "period": "week",
        "comparison": "at_least",
        "deadline": None,
    },
    {
        "kind": "range",
        "aggregation": "median",
        "period_aggregation": "mean",
        "start_value": None,
        "target": None,
        "target_low": Decimal(7),
        "target_high": Decimal(9),
        "period": "day",
        "deadline": None,
    },
]


def populate(user, *, goals: int, measurements: int) -> None:
    """`goals` goals of every kind over ten metrics, `measurements` measurements spread
    over the last 60 days."""
    now = timezone.now()
    metrics = [
        Metric.objects.create(owner=user, name=f"Metric {i}", unit="kg", created=now)
        for i in range(10)
    ]
    start = timezone.localdate() - dt.timedelta(days=60)
    Goal.objects.bulk_create(
        Goal(
            owner=user,
            metric=metrics[i % len(metrics)],
            title=f"Goal {i}",
            created=now,
            updated=now,
            **{
                "start_date": start,
                "deadline": start + dt.timedelta(days=120),
                "start_value": Decimal(82),
                "target": Decimal(75),
                "period": "",
                "comparison": "",
                **KINDS[i % len(KINDS)],
            },
        )
        for i in range(goals)
    )
    rng = random.Random(7)
    Measurement.objects.bulk_create(
        (
            Measurement(
                metric=metrics[i % len(metrics)],
                value=Decimal(rng.randint(700, 850)) / 10,
                measured_at=now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 60)),
                created=now,
                updated=now,
            )
            for i in range(measurements)
        ),
        batch_size=5000,
    )
    rollup_rebuild(metric.id for metric in metrics)


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("goals:dashboard"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.scale
@pytest.mark.django_db
def test_dashboard_queries_do_not_grow_with_goals_or_measurements(signed_in, user, other_user):
    populate(user, goals=4, measurements=100)
    small = dashboard_queries(signed_in)
    populate(other_user, goals=4, measurements=10)  # someone else's data is not read
    Goal.objects.filter(owner=user).delete()
    Metric.objects.filter(owner=user).delete()
    populate(user, goals=50, measurements=100_000)
    large = dashboard_queries(signed_in)
    assert small == large
    # session, the user with their profile, the position live updates start from,
    # active goals, archived goals, recently deleted goals, and the mapper's three
    # reads (grouped values, first/last, median).
    assert large == 9


@pytest.mark.django_db
def test_card_and_goal_page_show_the_mappers_numbers(signed_in, user):
    metric = MetricFactory(owner=user, unit="kg")
    goal = GoalFactory(metric=metric, start_date=timezone.localdate() - dt.timedelta(days=10))
    MeasurementFactory(metric=metric, value=Decimal("80.35"))
    preferences = preferences_for(user)
    progress = progress_for_goal(
        goal, profile_zone=preferences.zone, week_start=preferences.week_start, now=timezone.now()
    )
    assert progress.current == Decimal("80.35")
    card = signed_in.get(reverse("goals:card", args=[goal.id])).content.decode()
    page = signed_in.get(reverse("goals:detail", args=[goal.id])).content.decode()
    for html in (card, page):
        shown = format_value(progress.current, progress.places)
        assert f'<span class="current">{shown}</span>' in html
        assert progress.headline in html
        assert f'value="{progress.percent}"' in html
        assert progress.status_label in html
    assert progress.summary_text in page
