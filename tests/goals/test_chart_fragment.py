"""The goal page's chart switches its range: as a fragment for HTMX, as the whole
page through a plain link without JavaScript."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

HTMX = {"HX-Request": "true"}


@pytest.fixture
def long_goal(user):
    today = timezone.localdate()
    metric = MetricFactory(owner=user, name="Weight", unit="kg")
    goal = GoalFactory(
        metric=metric,
        start_date=today - dt.timedelta(days=200),
        deadline=today + dt.timedelta(days=30),
    )
    for days_ago, value in ((150, "81"), (60, "79"), (5, "77")):
        MeasurementFactory(
            metric=metric,
            value=Decimal(value),
            measured_at=timezone.now() - dt.timedelta(days=days_ago),
        )
    return goal


@pytest.mark.django_db
@pytest.mark.parametrize(("span", "points"), [("4w", 1), ("3m", 2), ("1y", 3), ("all", 3)])
def test_the_chart_fragment_shows_only_its_range(signed_in, long_goal, span, points):
    url = reverse("goals:chart", args=[long_goal.id])
    response = signed_in.get(url, {"range": span}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="goal-chart"')
    assert "<html" not in html
    small, large = html.split('class="chart-large"')
    assert small.count('class="point ') == large.count('class="point ') == points
    assert f'href="?range={span}#goal-chart" hx-get="{url}?range={span}"' in html
    assert html.count('aria-current="true"') == 1


@pytest.mark.django_db
def test_without_javascript_the_range_is_a_plain_link(signed_in, long_goal):
    page = signed_in.get(reverse("goals:detail", args=[long_goal.id]), {"range": "4w"})

    html = page.content.decode()
    assert "<html" in html
    assert 'href="?range=4w#goal-chart" hx-get' in html
    assert 'aria-current="true">4 weeks</a>' in html
    assert "range=4w" in html.split('id="goal-chart"')[1].split(">")[0]  # kept on refresh


@pytest.mark.django_db
def test_a_switched_chart_refreshes_itself_in_its_own_range(signed_in, long_goal):
    """After a switch to 3 months, a change to the goal re-fetches the chart in 3
    months, not in the range the page was loaded with."""
    url = reverse("goals:chart", args=[long_goal.id])
    html = signed_in.get(url, {"range": "3m"}, headers=HTMX).content.decode()

    opening = html.split(">")[0]
    assert f'hx-get="{url}?range=3m"' in opening
    assert f'hx-trigger="goal-{long_goal.id}-changed from:body"' in opening
