"""In a real browser: rename a goal in place on its card (its Rename button; the title
opens the goal), and delete a goal then undo it; with HTMX, and the delete and undo
once more without JavaScript."""

import re

import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from tests.e2e.test_goal_flow import create_reach_goal, sign_up

pytestmark = pytest.mark.django_db(transaction=True)


def _dashboard_with_a_goal(page: Page, base: str, username: str, javascript: bool = True):
    sign_up(page, base, username)
    page.get_by_label("Kind").select_option("reach")
    if not javascript:
        page.get_by_role("button", name="Show the fields for this kind").click()
    expect(page.get_by_label("Start value")).to_be_visible()
    create_reach_goal(page)
    page.get_by_role("link", name="Dashboard").click()
    card = page.locator(f"#goal-{Goal.objects.get().id}")
    expect(card).to_contain_text("Weigh 75 kg")
    page.wait_for_load_state()  # htmx is ready
    return card


def test_rename_in_place_changes_only_the_card(live_server, page: Page):
    base = live_server.url
    card = _dashboard_with_a_goal(page, base, "ada")
    dashboard_url = page.url
    requests = []
    page.on("request", lambda request: requests.append((request.method, request.url)))

    card.get_by_role("button", name="Rename").click()
    title = card.get_by_role("textbox", name="Title")
    expect(title).to_be_focused()
    expect(title).to_have_value("Weigh 75 kg")

    # Cancel puts the title back, and the focus on Rename.
    card.get_by_role("button", name="Cancel").click()
    expect(card.get_by_role("link", name="Weigh 75 kg")).to_be_visible()
    expect(card.get_by_role("button", name="Rename")).to_be_focused()

    # A blank title is refused in the form itself.
    card.get_by_role("button", name="Rename").click()
    card.get_by_role("textbox", name="Title").fill("  ")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("alert")).to_have_text("Give the goal a title.")

    requests.clear()
    card.get_by_role("textbox", name="Title").fill("Weigh 74 kg")
    with page.expect_response(re.compile(r"/title/$")) as renamed:
        card.get_by_role("textbox", name="Title").press("Enter")
    assert renamed.value.status == 200
    expect(page.locator(f"#goal-{Goal.objects.get().id}-title")).to_have_text("Weigh 74 kg")
    expect(page.locator("#error-region")).to_be_empty()
    assert page.url == dashboard_url
    assert Goal.objects.get().title == "Weigh 74 kg"
    # Only the card talks to the server: no list, summary or page reload.
    paths = {re.sub(r"^https?://[^/]+", "", url) for _, url in requests}
    assert all(re.fullmatch(r"/goals/\d+/(title|card)/", path) for path in paths), paths


def test_the_title_opens_the_goal_and_escape_cancels_a_rename(live_server, page: Page):
    card = _dashboard_with_a_goal(page, live_server.url, "eve")
    goal = Goal.objects.get()

    # Rename by keyboard: Tab to Rename, Enter opens the form, Escape cancels it.
    card.get_by_role("button", name="Rename").focus()
    page.keyboard.press("Enter")
    title = card.get_by_role("textbox", name="Title")
    expect(title).to_be_focused()
    title.fill("Something else")
    page.keyboard.press("Escape")
    expect(card.get_by_role("textbox", name="Title")).to_have_count(0)
    expect(card.get_by_role("link", name="Weigh 75 kg")).to_be_visible()
    expect(card.get_by_role("button", name="Rename")).to_be_focused()
    assert Goal.objects.get().title == "Weigh 75 kg"

    # Enter saves.
    page.keyboard.press("Enter")
    card.get_by_role("textbox", name="Title").fill("Weigh 74 kg")
    page.keyboard.press("Enter")
    expect(card.get_by_role("link", name="Weigh 74 kg")).to_be_visible()
    expect(card.get_by_role("button", name="Rename")).to_be_focused()
    assert Goal.objects.get().title == "Weigh 74 kg"

    # The title is a link to the goal.
    card.get_by_role("link", name="Weigh 74 kg").click()
    expect(page).to_have_url(re.compile(rf"/goals/{goal.id}/$"))
    expect(page.get_by_role("heading", name="Weigh 74 kg", level=1)).to_be_visible()


def test_delete_then_undo_with_htmx(live_server, page: Page):
    base = live_server.url
    card = _dashboard_with_a_goal(page, base, "bea")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(re.compile(r"/delete/$")) as deleted:
        card.get_by_role("button", name="Delete").click()
    assert deleted.value.status == 200
    expect(page.locator("article.goal-card")).to_have_count(0)
    undo_region = page.locator("#undo-region")
    expect(undo_region).to_contain_text("“Weigh 75 kg” was deleted.")
    expect(page.locator("#recently-deleted")).to_contain_text("Weigh 75 kg")
    expect(page.locator("#error-region")).to_be_empty()
    assert Goal.objects.get().deleted_at is not None

    undo = undo_region.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    undo.click()
    expect(undo_region).to_contain_text("“Weigh 75 kg” is back on your dashboard.")
    # The notice about the deletion is gone: "is back" replaced it.
    expect(undo_region).not_to_contain_text("was deleted")
    expect(undo_region.locator(".page-notice")).to_have_count(1)
    expect(page.locator("article.goal-card")).to_have_count(1)
    expect(page.locator("#recently-deleted")).not_to_contain_text("Weigh 75 kg")
    expect(page.locator("#error-region")).to_be_empty()
    assert Goal.objects.get().deleted_at is None


def test_dismissing_the_confirmation_keeps_the_goal(live_server, page: Page):
    card = _dashboard_with_a_goal(page, live_server.url, "cy")
    page.once("dialog", lambda dialog: dialog.dismiss())
    card.get_by_role("button", name="Delete").click()
    expect(page.locator("article.goal-card")).to_have_count(1)
    assert Goal.objects.get().deleted_at is None


def test_delete_then_undo_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    card = _dashboard_with_a_goal(page, live_server.url, "dee", javascript=False)

    # Rename leads to the edit page; the title leads to the goal page.
    card.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Edit “Weigh 75 kg”")).to_be_visible()
    page.go_back()
    card.get_by_role("link", name="Weigh 75 kg").click()
    expect(page.get_by_role("heading", name="Weigh 75 kg", level=1)).to_be_visible()

    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete “Weigh 75 kg”?")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("“Weigh 75 kg” was deleted.")).to_be_visible()
    expect(page.locator("article.goal-card")).to_have_count(0)
    # The notice offers the Undo, in the one place notices appear.
    page.locator("#undo-region").get_by_role("button", name="Undo").click()
    expect(page.get_by_text("“Weigh 75 kg” is back on your dashboard.")).to_be_visible()
    expect(page.get_by_text("was deleted")).to_have_count(0)
    expect(page.locator("article.goal-card")).to_have_count(1)
    context.close()
