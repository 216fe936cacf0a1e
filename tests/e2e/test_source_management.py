"""In a real browser, on a phone-sized screen and by keyboard only: rename a source in
place, pause and resume it, delete it with its measurements; the Sources page never
scrolls sideways."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from measurements.models import Measurement
from sources.models import DataSource, RunStatus, SyncRun
from tests.factories import PASSWORD, MeasurementFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"


def _sources(owner):
    metric = MetricFactory(owner=owner, name="Workouts", unit="")
    now = timezone.now()
    feed = DataSource.objects.create(
        owner=owner,
        provider="icalendar",
        name="Gym",
        settings={
            "url": "https://calendar.example.com/private/basic.ics",
            "metric_id": metric.id,
            "match": "gym",
            "count": "events",
            "time_zone": "Europe/Berlin",
        },
        every_minutes=360,
        created=now,
    )
    run = SyncRun.objects.create(
        source=feed,
        created=now,
        status=RunStatus.FAILED,
        mode="full_pull",
        error_code="internal_error",
        error_message="The calendar feed at calendar.example.com could not be fetched: no "
        "server of that name exists (tried 4 times).",
        correlation_id="5be0c4a1f2d34e9a",
    )
    for day in range(3):
        MeasurementFactory(
            metric=metric,
            value=1,
            measured_at=now - dt.timedelta(days=day + 1),
            source="provider",
            external_id=f"ical-day-{day}",
            data_source_id=feed.id,
            sync_run_id=run.id,
        )
    return feed, metric


def test_a_source_is_renamed_paused_and_deleted_by_keyboard_on_a_phone(
    live_server, browser, settings
):
    user = UserFactory()
    feed, metric = _sources(user)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
    page.goto(f"{live_server.url}/sources/")
    expect(page.get_by_role("heading", name="Recent runs")).to_be_visible()
    _no_sideways_scroll(page)
    row = page.locator(f"#source-{feed.id}")
    expect(row).to_contain_text("Calendar feed (iCalendar)")
    expect(page.locator("table.runs")).to_contain_text("ref 5be0c4a1")

    # Rename in place: the name field takes the focus, Enter saves, the focus returns.
    page.get_by_role("link", name="Rename “Gym”").focus()
    page.keyboard.press("Enter")
    name = row.get_by_role("textbox", name="Name")
    expect(name).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Climbing gym")
    page.keyboard.press("Enter")
    expect(row.locator(".source-name")).to_have_text("Climbing gym")
    expect(page.get_by_role("link", name="Rename “Climbing gym”")).to_be_focused()
    _no_sideways_scroll(page)

    # Pause, then resume, with the focus kept on the control.
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Pause “Climbing gym”")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row).to_contain_text("Paused")
    resume = page.get_by_role("button", name="Resume “Climbing gym”")
    expect(resume).to_be_focused()
    expect(row.get_by_role("button", name="Sync “Climbing gym” now")).to_have_count(0)
    assert DataSource.objects.get(id=feed.id).enabled is False
    page.keyboard.press("Space")
    expect(row).not_to_contain_text("Paused")
    expect(page.get_by_role("button", name="Pause “Climbing gym”")).to_be_focused()
    assert DataSource.objects.get(id=feed.id).enabled is True

    # Delete, choosing to delete its measurements too.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Delete “Climbing gym”…")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Delete “Climbing gym”?")).to_be_visible()
    _no_sideways_scroll(page)
    keep = page.get_by_role("radio", name="Keep them")
    expect(keep).to_be_checked()
    keep.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Delete them too")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Delete the source")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#undo-region")).to_contain_text(
        "“Climbing gym” was deleted; 3 measurements deleted with it."
    )
    _no_sideways_scroll(page)
    assert not DataSource.objects.filter(id=feed.id).exists()
    assert not Measurement.objects.filter(metric=metric).exists()
    context.close()
