"""Recording, editing and deleting measurements with the keyboard alone, in a real
browser: each entry refreshes its card, its chart and the summary, and nothing else."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from measurements.models import Measurement
from tests.e2e.keyboard import tab_until
from tests.factories import PASSWORD, GoalFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def weigh_in(live_server, page: Page):
    """A signed-in owner of a reach goal (90 → 70 kg, halfway today: 80 kg expected)
    and of a goal over another metric that no entry here touches."""
    user = UserFactory()
    # The owner's today (their zone is a day ahead of UTC late in the UTC evening).
    today = timezone.localdate(timezone=ZoneInfo(user.profile.time_zone))
    weight = MetricFactory(owner=user, name="Weight", unit="kg")
    goal = GoalFactory(
        metric=weight,
        title="Weigh 70 kg",
        start_value=Decimal(90),
        target=Decimal(70),
        start_date=today - dt.timedelta(days=30),
        deadline=today + dt.timedelta(days=30),
    )
    other = GoalFactory(
        metric=MetricFactory(owner=user, name="Steps", unit="steps"), start_date=today
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
    return goal, other


def test_three_entries_in_a_row_refresh_the_card_chart_and_summary(page: Page, weigh_in):
    goal, other = weigh_in
    card = page.locator("article.goal-card").filter(has_text="Weigh 70 kg")
    summary = page.locator("#summary")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    tab_until(page, r"^value$")
    entry = card.get_by_role("textbox")
    expect(entry).to_be_focused()
    entries = [("85", "85", "1 behind"), ("75", "75", "0 behind"), ("180 lb", "81.6", "1 behind")]
    for value, current, status in entries:
        chart_before = card.locator("svg").evaluate("svg => svg.outerHTML")
        requested.clear()
        page.keyboard.type(value)
        page.keyboard.press("Enter")
        expect(card.get_by_role("status")).to_contain_text(f"Recorded {value}")
        expect(summary).to_contain_text(status)
        expect(card.locator(".current")).to_contain_text(current)
        expect(card.get_by_role("textbox")).to_be_focused()
        expect(card.get_by_role("textbox")).to_have_value("")
        expect(card.locator("polyline.values")).to_have_count(1)
        assert card.locator("svg").evaluate("svg => svg.outerHTML") != chart_before
        assert any(url.endswith(f"/goals/{goal.id}/card/") for url in requested)
        assert not any(f"/goals/{other.id}/" in url for url in requested)
    assert Measurement.objects.filter(metric=goal.metric).count() == 3


def test_edit_then_delete_and_undo_on_the_metric_page(live_server, page: Page, weigh_in):
    goal, _ = weigh_in
    newest = Measurement.objects.create(
        metric=goal.metric,
        value=Decimal("80.5"),
        measured_at=timezone.now(),
        created=timezone.now(),
        updated=timezone.now(),
    )
    page.goto(f"{live_server.url}/metrics/{goal.metric_id}/")
    row = page.locator(f"#measurement-{newest.id}")

    tab_until(page, r"^Edit 80\.5 kg")
    page.keyboard.press("Enter")
    value = row.get_by_label("Value")
    expect(value).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("79.9")
    page.keyboard.press("Tab")
    page.keyboard.type("after the run")
    with page.expect_response(re.compile(r"/metrics/\d+/measurements/$")):
        page.keyboard.press("Enter")
    expect(row).to_contain_text("79.9 kg")
    expect(row).to_contain_text("after the run")
    expect(row.get_by_role("link", name=re.compile("^Edit"))).to_be_focused()

    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name=re.compile("^Delete"))).to_be_focused()
    page.keyboard.press("Enter")
    notice = page.locator("#undo-region")
    expect(notice).to_contain_text("Deleted 79.9 kg.")
    expect(row).to_have_count(0)
    expect(notice.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    expect(notice).to_contain_text("Restored 79.9 kg.")
    expect(row).to_contain_text("after the run")
    restored = Measurement.objects.get(id=newest.id)
    assert (restored.value, restored.note) == (Decimal("79.9"), "after the run")
