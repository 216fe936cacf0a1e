"""The page shell in a real browser: the user menu on a phone, copy buttons, the dark
theme, the focus ring, and the sign-up time zone taken from the browser."""

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

LONG_NAME = "a-very-long-user-name-of-30-ch"
PHONE = {"width": 390, "height": 800}


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()


def luminance(css_colour: str) -> float:
    """Relative luminance of an `rgb(r, g, b)` colour, as WCAG defines it."""
    channels = [int(part) / 255 for part in re.findall(r"\d+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_user_menu_fits_a_phone_and_closes_on_escape_and_outside_click(live_server, page: Page):
    assert len(LONG_NAME) == 30
    UserFactory(username=LONG_NAME)
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, LONG_NAME)
    menu = page.locator("details.menu").first
    summary = menu.locator("summary")
    summary_box = summary.bounding_box()
    assert summary_box["x"] >= 0 and summary_box["x"] + summary_box["width"] <= PHONE["width"]
    name = summary.locator(".menu-name")
    assert name.evaluate("el => el.scrollWidth > el.clientWidth"), "the name is cut short"
    assert name.evaluate("el => getComputedStyle(el).textOverflow") == "ellipsis"

    summary.click()
    items = menu.get_by_role("list")
    expect(items).to_be_visible()
    box = items.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(menu.get_by_role("link", name="API tokens")).to_be_in_viewport()

    menu.get_by_role("link", name="Preferences").focus()
    page.keyboard.press("Escape")
    expect(items).to_be_hidden()
    expect(summary).to_be_focused()

    summary.click()
    expect(items).to_be_visible()
    page.get_by_role("heading", name="Your goals").click()
    expect(items).to_be_hidden()


def test_every_shown_secret_has_a_copy_button_that_says_copied(
    live_server, context: BrowserContext, page: Page
):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    user = UserFactory()
    log_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/accounts/api-tokens/")
    page.get_by_label("Name").fill("Scale")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copy-status[role=status]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret

    page.goto(f"{live_server.url}/webhooks/")
    page.get_by_label("Receiver URL").fill("https://hooks.example.com/goaltrack")
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Add endpoint").click()
    webhook_secret = page.locator("#webhook-secret").inner_text()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copy-status[role=status]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == webhook_secret


def test_the_dark_theme_follows_the_system_setting(live_server, page: Page):
    user = UserFactory()
    page.emulate_media(color_scheme="dark")
    log_in(page, live_server.url, user.username)
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    assert luminance(background) < 0.05, background
    assert (luminance(text) + 0.05) / (luminance(background) + 0.05) >= 4.5

    page.emulate_media(color_scheme="light")
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert luminance(background) > 0.8, background


def tab_to(page: Page, element_id: str) -> list:
    """Press Tab until `element_id` has the focus; its outline's style, width and colour."""
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            break
    return page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; })()"
    )


def test_the_focus_ring_shows_after_tab(live_server, page: Page):
    page.goto(f"{live_server.url}/accounts/login/")
    style, width, colour = tab_to(page, "id_username")
    assert style == "solid" and width >= 2, (style, width)
    card = page.evaluate("getComputedStyle(document.querySelector('.auth-card')).backgroundColor")
    ratio = (max(luminance(colour), luminance(card)) + 0.05) / (
        min(luminance(colour), luminance(card)) + 0.05
    )
    assert ratio >= 3, (colour, card)

    page.emulate_media(forced_colors="active")
    page.reload()
    style, width, _ = tab_to(page, "id_username")
    assert style == "solid" and width >= 2, "the ring is an outline, kept in forced colours"


def test_sign_up_preselects_the_browsers_time_zone(live_server, browser: Browser):
    context = browser.new_context(timezone_id="America/Toronto")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("America/Toronto")
    expect(zone.locator("optgroup[label='America'] option[value='America/Toronto']")).to_have_count(
        1
    )
    context.close()
