"""The progress chart in a real browser: each recorded value is reached by keyboard
and says its date and value, and the chart fits a phone's width."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, GoalFactory, MeasurementFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NIGHTS = {3: "7.5", 2: "6", 1: "9.5"}  # days ago: hours slept


@pytest.fixture
def sleeper(live_server, page: Page):
    """A signed-in owner of "Sleep 7 to 9 hours", with three nights recorded."""
    user = UserFactory()
    zone = ZoneInfo(user.profile.time_zone)
    today = timezone.localdate(timezone=zone)
    sleep = MetricFactory(owner=user, name="Sleep", unit="h", display_places=1)
    GoalFactory(
        metric=sleep,
        title="Sleep 7 to 9 hours",
        kind="range",
        start_value=None,
        target=None,
        target_low=Decimal(7),
        target_high=Decimal(9),
        period="day",
        period_aggregation="mean",
        aggregation="sum",
        start_date=today - dt.timedelta(days=6),
        deadline=today + dt.timedelta(days=21),
    )
    for days_ago, hours in NIGHTS.items():
        day = today - dt.timedelta(days=days_ago)
        MeasurementFactory(
            metric=sleep,
            value=Decimal(hours),
            measured_at=dt.datetime.combine(day, dt.time(8), tzinfo=zone),
        )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
    return today


def day_words(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def test_tab_reaches_each_night_with_its_date_value_and_status(page: Page, sleeper):
    today = sleeper
    short_night = today - dt.timedelta(days=2)
    card = page.locator("article.goal-card").filter(has_text="Sleep 7 to 9 hours")
    points = card.locator("svg .point")
    expect(points).to_have_count(3)

    for _ in range(80):
        page.keyboard.press("Tab")
        if points.nth(1).evaluate("point => point === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the second night of the chart")

    focused = points.nth(1)
    expect(focused).to_be_focused()
    expect(focused).to_have_accessible_name(f"{day_words(short_night)}: 6 h, below range")
    expect(focused.locator("title")).to_have_text(f"{day_words(short_night)}: 6 h, below range")
    page.keyboard.press("Tab")
    expect(points.nth(2)).to_be_focused()
    expect(points.nth(2)).to_have_accessible_name(
        f"{day_words(today - dt.timedelta(days=1))}: 9.5 h, above range"
    )
    table = card.locator("table.visually-hidden")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").nth(0)).to_contain_text("7.5 h")


def test_the_chart_fits_a_phone(page: Page, sleeper):
    page.set_viewport_size({"width": 390, "height": 844})
    card = page.locator("article.goal-card").filter(has_text="Sleep 7 to 9 hours")
    chart = card.locator("svg.chart")
    expect(chart).to_be_visible()
    card_box, chart_box = card.bounding_box(), chart.bounding_box()
    assert chart_box["width"] <= card_box["width"]
    assert card_box["x"] <= chart_box["x"]
    assert chart_box["x"] + chart_box["width"] <= card_box["x"] + card_box["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    label_height = chart.locator(".tick").first.bounding_box()["height"]
    assert label_height >= 10  # axis labels at a readable size
    texts = chart.locator(".tick").all_text_contents()
    assert {"6", "7", "8", "9", "10"} <= set(texts)
