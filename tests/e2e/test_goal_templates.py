"""In a real browser: a goal set up from a template with the keyboard alone, the
form's errors all at once with the focus on the first, and one notice at a time."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from tests.e2e.test_goal_kinds import log_in
from tests.factories import GoalFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _tab_to(page: Page, name: str, limit: int = 40) -> None:
    """Press Tab until the focused element's text starts with `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate("document.activeElement.innerText || ''").strip()
        if text.startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_a_goal_from_a_template_by_keyboard_alone(live_server, page: Page):
    UserFactory(username="kai")
    base = live_server.url
    log_in(page, base, "kai")
    page.goto(f"{base}/goals/new/")
    expect(page.get_by_role("heading", name="Start from a template")).to_be_visible()

    _tab_to(page, "Workouts a week")
    page.keyboard.press("Enter")
    title = page.get_by_label("Title")
    expect(title).to_be_focused()
    expect(title).to_have_value("3 workouts a week")
    expect(page.get_by_label("Kind")).to_have_value("quota")
    expect(page.get_by_label("Period", exact=True)).to_have_value("week")
    expect(page.get_by_label("Each period", exact=True)).to_have_value("at_least")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="3 workouts a week", level=1)).to_be_visible()
    goal = Goal.objects.get()
    assert (goal.kind, goal.period, goal.comparison, goal.target) == (
        "quota",
        "week",
        "at_least",
        Decimal(3),
    )
    assert (goal.metric.name, goal.metric.unit) == ("Workouts", "workouts")


def test_a_template_asks_first_for_what_only_the_person_knows(live_server, page: Page):
    UserFactory(username="lou")
    base = live_server.url
    log_in(page, base, "lou")
    page.goto(f"{base}/goals/new/")
    _tab_to(page, "Lose weight by a date")
    page.keyboard.press("Enter")

    # The focus starts on the start value; the target follows it.
    expect(page.get_by_label("Start value")).to_be_focused()
    page.keyboard.type("82")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Target")).to_be_focused()
    page.keyboard.type("75")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Lose weight", level=1)).to_be_visible()
    goal = Goal.objects.get()
    assert (goal.kind, goal.start_value, goal.target) == ("reach", Decimal(82), Decimal(75))


def test_every_error_at_once_with_the_focus_on_the_first(live_server, page: Page):
    UserFactory(username="mo")
    base = live_server.url
    log_in(page, base, "mo")
    page.goto(f"{base}/goals/new/?blank=1")
    page.get_by_label("Title").fill("Gym")
    page.get_by_role("button", name="Create goal").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Target: This field is required.",
            "New metric name: Name the new metric and its unit, or choose one.",
            "Its unit: Name the new metric and its unit, or choose one.",
        ]
    )
    target = page.get_by_label("Target")
    expect(target).to_be_focused()
    expect(target).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Title")).to_have_value("Gym")
    assert not Goal.objects.exists()


def test_a_new_kind_brings_its_daily_aggregation(live_server, page: Page):
    UserFactory(username="ola")
    base = live_server.url
    log_in(page, base, "ola")
    page.goto(f"{base}/goals/new/?blank=1")
    aggregation = page.get_by_label("A day's value is its")
    expect(aggregation).to_have_value("sum")
    page.get_by_label("Kind").select_option("reach")
    expect(page.get_by_label("Start value")).to_be_visible()
    expect(page.get_by_label("A day's value is its")).to_have_value("last")
    expect(page.locator("#aggregation-field")).to_have_count(1)


def _dashboard_with_goals(page: Page, base: str, username: str, *titles: str) -> list:
    """Goals of these titles on a new user's dashboard, open in `page`."""
    user = UserFactory(username=username)
    goals = [GoalFactory(metric__owner=user, title=title) for title in titles]
    log_in(page, base, username)
    page.goto(f"{base}/")
    return goals


def test_delete_and_undo_show_one_notice_at_a_time(live_server, page: Page):
    first, second = _dashboard_with_goals(
        page, live_server.url, "ned", "Weigh 75 kg", "Weigh 70 kg"
    )
    region = page.locator("#undo-region")
    notices = region.locator(".page-notice")

    for goal in (first, second):
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_response(re.compile(r"/delete/$")):
            page.locator(f"#goal-{goal.id}").get_by_role("button", name="Delete").click()
        expect(region).to_contain_text(f"“{goal.title}” was deleted.")
        # A new delete replaces the last one's notice.
        expect(notices).to_have_count(1)

    undo = region.get_by_role("button", name="Undo deleting “Weigh 70 kg”")
    expect(undo).to_be_focused()
    page.keyboard.press("Enter")
    expect(region).to_contain_text("“Weigh 70 kg” is back on your dashboard.")
    expect(notices).to_have_count(1)
    expect(region).not_to_contain_text("was deleted")

    # Dismiss is reachable by keyboard and takes the notice away.
    dismiss = region.get_by_role("button", name="Dismiss this notice")
    dismiss.focus()
    page.keyboard.press("Enter")
    expect(notices).to_have_count(0)
    second.refresh_from_db()
    assert second.deleted_at is None


def test_a_list_reloading_under_a_delete_waits_for_it(live_server, page: Page):
    """The list fetches itself again (another change's event) while a card's Delete is
    on its way: the Delete still says so and the card still goes."""
    deleted, kept = _dashboard_with_goals(page, live_server.url, "ida", "Weigh 70 kg", "Run 100 km")
    held = []
    page.route(re.compile(r"/delete/$"), lambda route: held.append(route))

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#goal-{deleted.id}").get_by_role("button", name="Delete").click()
    page.wait_for_function("document.querySelector('#active-goals .htmx-request') !== null")
    assert len(held) == 1
    with page.expect_response(re.compile(r"/goals/active/$")):
        page.evaluate("htmx.trigger(document.body, 'goals-list-changed')")
    held[0].continue_()

    expect(page.locator("#undo-region")).to_contain_text("“Weigh 70 kg” was deleted.")
    expect(page.locator(f"#goal-{deleted.id}")).to_have_count(0)
    expect(page.locator(f"#goal-{kept.id}")).to_contain_text("Run 100 km")


def test_the_fields_of_a_kind_on_its_way_take_no_typing(live_server, page: Page):
    """What is typed into the old kind's fields while the new kind's are fetched would be
    replaced by them: those fields wait, disabled, and take the typing once they are in."""
    UserFactory(username="uma")
    base = live_server.url
    log_in(page, base, "uma")
    page.goto(f"{base}/goals/new/?blank=1")
    held = []
    page.route(re.compile(r"/goals/new/\?"), lambda route: held.append(route))

    page.get_by_label("Kind").select_option("total")
    page.wait_for_function("document.querySelector('#kind-fields').disabled")
    expect(page.get_by_label("A day's value is its")).to_be_disabled()
    assert len(held) == 1
    held[0].continue_()

    expect(page.locator("#kind-fields legend")).to_have_text("Reach a total")
    target = page.get_by_label("Target", exact=True)
    expect(target).to_be_enabled()
    target.fill("100")
    expect(page.get_by_label("A day's value is its")).to_be_enabled()
    expect(target).to_have_value("100")
