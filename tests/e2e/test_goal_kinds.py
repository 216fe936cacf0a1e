"""One goal of each kind, set up in the browser with nothing recorded: each card says
where it stands in words and colour."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def new_goal(page: Page, base: str, kind: str, title: str, fields: dict[str, str]) -> None:
    """Fill the form as a person would: the kind first (its fields swap in), then the
    rest, with a new metric."""
    page.goto(f"{base}/goals/new/?blank=1")
    page.get_by_label("Kind").select_option(kind)
    expect(page.locator("#kind-fields legend")).to_have_text(KIND_LEGENDS[kind])
    page.get_by_label("Title").fill(title)
    for label, value in fields.items():
        field = page.get_by_label(label, exact=True)
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_label("New metric name").fill(title)
    page.get_by_label("Its unit").fill("units")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


KIND_LEGENDS = {
    "reach": "Reach a value",
    "total": "Reach a total",
    "quota": "Quota per period",
    "range": "Stay within a range",
}


def test_each_kind_with_nothing_recorded(live_server, page: Page):
    user = UserFactory(username="kim")
    base = live_server.url
    log_in(page, base, "kim")
    today = timezone.localdate(timezone=ZoneInfo(user.profile.time_zone))
    weeks_ago = (today - dt.timedelta(days=20)).isoformat()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    later = (today + dt.timedelta(days=60)).isoformat()

    new_goal(
        page,
        base,
        "reach",
        "Weigh 75 kg",
        {
            "Start date": weeks_ago,
            "Start value": "82",
            "Target": "75",
            "Deadline / end date": later,
        },
    )
    new_goal(
        page,
        base,
        "total",
        "Run 100 km",
        {"Start date": tomorrow, "Target": "100", "Deadline / end date": later},
    )
    new_goal(
        page,
        base,
        "quota",
        "Three workouts a week",
        {"Start date": weeks_ago, "Target": "3", "Period": "week", "Each period": "at_least"},
    )
    new_goal(
        page,
        base,
        "range",
        "Sleep 7 to 9 hours",
        {"Start date": tomorrow, "Low bound": "7", "High bound": "9", "Period": "day"},
    )

    page.goto(f"{base}/")
    cards = page.locator("article.goal-card")
    expect(cards).to_have_count(4)
    statuses = {
        card.locator("h2").inner_text(): card.locator(".card-head .pill").inner_text()
        for card in cards.all()
    }
    assert statuses == {
        "Weigh 75 kg": "Behind",
        "Run 100 km": "Not started",
        "Three workouts a week": "Behind",
        "Sleep 7 to 9 hours": "Not started",
    }
    expect(page.locator("#summary")).to_contain_text("2 behind")
    expect(page.locator("#summary")).to_contain_text("2 not started")
