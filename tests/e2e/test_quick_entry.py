"""Quick entry in a real browser, with the keyboard alone: a wrong value and then an
empty one each say what is wrong (the last error gives way to the new one), a value
is recorded for yesterday through the folded-away day and time, a far-off value
is recorded once confirmed, and the answers swap in without a breach of the page's
Content Security Policy."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.keyboard import tab_until
from tests.factories import PASSWORD, MeasurementFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = ZoneInfo("Europe/Berlin")  # the owner's zone (the factory's)


@pytest.fixture
def weight_page(live_server, page: Page):
    """A signed-in owner (in Berlin) on the page of their weight, weighed thrice."""
    user = UserFactory()
    weight = MetricFactory(owner=user, name="Weight", unit="kg")
    now = timezone.now()
    for days, value in [(3, "80.2"), (2, "80"), (1, "79.8")]:
        MeasurementFactory(
            metric=weight, value=Decimal(value), measured_at=now - dt.timedelta(days=days, hours=1)
        )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
    page.goto(f"{live_server.url}{weight.get_absolute_url()}")
    return weight


def test_yesterdays_value_by_keyboard_and_errors_that_give_way(page: Page, weight_page):
    weight = weight_page
    form = page.locator("form.quick-entry")
    entry = form.get_by_role("textbox", name="Weight in kg")
    alert = form.get_by_role("alert")

    tab_until(page, r"^value$")
    page.keyboard.type("eighty")
    page.keyboard.press("Enter")
    expect(alert).to_contain_text("Enter a number, optionally with a unit")
    expect(entry).to_be_focused()
    expect(entry).to_have_attribute("aria-invalid", "true")

    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.press("Enter")  # empty: the browser lets it through, the page answers
    expect(alert).to_have_text("Enter a value to record.")
    expect(entry).to_be_focused()

    page.keyboard.type("80.4")
    tab_until(page, r"^Another day or time$")
    page.keyboard.press("Enter")
    tab_until(page, r"^yesterday$")
    page.keyboard.press("Enter")

    status = form.get_by_role("status")
    expect(status).to_contain_text("Recorded 80.4 kg for yesterday at")
    expect(alert).to_have_count(0)
    expect(entry).to_be_focused()
    expect(entry).to_have_value("")
    expect(entry).not_to_have_attribute("aria-invalid", "true")
    expect(form.locator("details.entry-when")).not_to_have_attribute("open", "")
    stored = weight.measurements.get(value=Decimal("80.4")).measured_at
    today = timezone.now().astimezone(BERLIN).date()
    assert stored.astimezone(BERLIN).date() == today - dt.timedelta(days=1)


def test_a_far_off_value_is_recorded_once_confirmed(page: Page, weight_page):
    weight = weight_page
    form = page.locator("form.quick-entry")
    tab_until(page, r"^value$")
    page.keyboard.type("800")
    page.keyboard.press("Enter")
    question = form.get_by_role("alert")
    expect(question).to_contain_text(
        "That is much more than your recent values (around 80 kg). Record 800 kg anyway?"
    )
    confirm = form.get_by_role("button", name="Record anyway")
    expect(confirm).to_be_focused()
    expect(form.get_by_role("textbox", name="Weight in kg")).to_have_value("800")
    assert not weight.measurements.filter(value=800).exists()
    page.keyboard.press("Enter")
    expect(form.get_by_role("status")).to_contain_text("Recorded 800 kg.")
    assert weight.measurements.filter(value=800).exists()


def test_the_answer_swaps_in_without_breaching_the_content_security_policy(page: Page, weight_page):
    """A field whose style a script or an extension set (CSSOM writes are allowed,
    and leave a `style` attribute): htmx must not copy that attribute onto the new
    field while it settles, which the policy (`style-src 'self'`) refuses."""
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    form = page.locator("form.quick-entry")
    entry = form.get_by_role("textbox", name="Weight in kg")
    entry.evaluate("(field) => { field.style.caretColor = 'transparent'; }")
    entry.fill("eighty")
    entry.press("Enter")
    expect(form.get_by_role("alert")).to_contain_text("Enter a number")
    entry.fill("80.6")
    entry.press("Enter")
    expect(form.get_by_role("status")).to_contain_text("Recorded 80.6 kg.")
    assert refused == []
