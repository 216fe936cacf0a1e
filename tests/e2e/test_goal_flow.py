"""A new user, in a real browser: sign up, set a goal, see it, edit it, record a
measurement, archive and restore it; once with JavaScript (HTMX swaps) and once
without (plain forms, redirects, messages)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from measurements.models import Measurement

pytestmark = pytest.mark.django_db(transaction=True)


def sign_up(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill("a-long-passphrase-42")
    page.get_by_label("Password confirmation").fill("a-long-passphrase-42")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="New goal")).to_be_visible()
    # The start screen offers templates; these flows fill in the blank form.
    page.get_by_role("link", name="Start from a blank form").click()
    expect(page.get_by_label("Kind")).to_be_visible()
    # htmx readies the form's controls once the page has loaded; a person is slower.
    page.wait_for_load_state()


def create_reach_goal(page: Page) -> None:
    page.get_by_label("Title").fill("Weigh 75 kg")
    page.get_by_label("Start value").fill("82")
    page.get_by_label("Target").fill("75")
    page.get_by_label("Deadline / end date").fill("2027-03-01")
    page.get_by_label("New metric name").fill("Weight")
    page.get_by_label("Its unit").fill("kg")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("heading", name="Weigh 75 kg")).to_be_visible()


def test_the_whole_flow_with_htmx(live_server, page: Page):
    base = live_server.url
    sign_up(page, base, "ada")

    # Changing the kind swaps the fields in place.
    page.get_by_label("Kind").select_option("range")
    expect(page.get_by_label("Low bound")).to_be_visible()
    expect(page.get_by_label("Start value")).to_have_count(0)
    page.get_by_label("Kind").select_option("reach")
    expect(page.get_by_label("Start value")).to_be_visible()
    create_reach_goal(page)

    page.get_by_role("link", name="Dashboard").click()
    card = page.locator("article.goal-card").filter(has_text="Weigh 75 kg")
    expect(card).to_be_visible()
    # Before htmx is ready, Enter posts the form the plain way (a notice, not the card).
    page.wait_for_load_state()

    # Record with the keyboard: the card refreshes itself, the input clears.
    entry = card.get_by_role("textbox")
    entry.fill("81.4")
    entry.press("Enter")
    expect(card.get_by_role("status")).to_have_text("Recorded 81.4 kg.")
    expect(card.get_by_role("textbox")).to_have_value("")
    expect(card.locator(".goal-card-body")).to_contain_text("81.4")
    assert Measurement.objects.get().value == Decimal("81.4")

    # Archive: the card leaves, the archived list shows it; restore brings it back.
    with page.expect_response(re.compile(r"/archive/$")) as archived:
        card.get_by_role("button", name="Archive").click()
    assert archived.value.status == 204
    expect(page.locator("article.goal-card")).to_have_count(0)
    archived_list = page.locator("#archived-goals")
    expect(archived_list).to_contain_text("Weigh 75 kg")
    archived_list.get_by_role("button", name="Restore").click()
    expect(page.locator("article.goal-card")).to_have_count(1)
    expect(page.locator("#archived-goals")).not_to_contain_text("Weigh 75 kg")

    # Edit.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Title").fill("Weigh 74 kg")
    page.get_by_label("Target").fill("74")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Weigh 74 kg")).to_be_visible()
    assert Goal.objects.get().title == "Weigh 74 kg"


def test_the_whole_flow_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    sign_up(page, base, "grace")

    # Without JavaScript the kind is chosen by reloading the form.
    page.get_by_label("Kind").select_option("total")
    page.get_by_role("button", name="Show the fields for this kind").click()
    expect(page.get_by_label("Start value")).to_have_count(0)
    page.get_by_label("Kind").select_option("reach")
    page.get_by_role("button", name="Show the fields for this kind").click()
    create_reach_goal(page)
    expect(page.get_by_text("is set")).to_be_visible()

    page.get_by_role("textbox", name="Weight in kg").fill("80.9")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Recorded 80.9 kg.")).to_be_visible()

    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("“Weigh 75 kg” is archived.")).to_be_visible()
    page.locator("#archived-goals").get_by_role("button", name="Restore").click()
    expect(page.get_by_text("is back on your dashboard")).to_be_visible()
    expect(page.locator("article.goal-card")).to_have_count(1)
    context.close()
