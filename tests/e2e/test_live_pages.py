"""Live pages in a real browser: a dashboard left open moves by itself, without a reload,
whatever made the change: another page of the same person, the API, or a CSV import
run by the real task worker.

The web server is the one `make run` starts, in a process of its own on the test
database (streams need an ASGI server; PostgreSQL announces commits with NOTIFY, SQLite
is polled). A last test runs on the test suite's own WSGI live server, where the stream
is unavailable and the pages fall back to polling."""

import datetime as dt
import json
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from tests import processes
from tests.events.client import session_for
from tests.factories import PASSWORD, GoalFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

#: A change made elsewhere shows within this (the stream takes well under a second).
PUSHED_MS = 5_000
#: Without the stream the page polls every 5 s.
POLLED_MS = 15_000


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    """The web server of `make run` on the test database; uploads go to `media`."""
    folder = tmp_path_factory.mktemp("live-pages")
    port = processes.free_port()
    process = processes.serve(
        processes.web_server(port),
        folder / "server.log",
        port=port,
        MEDIA_ROOT=str(folder / "media"),
        # The browser tests' own allowance (tests/e2e/conftest.py) is not the server's.
        DJANGO_ALLOW_ASYNC_UNSAFE=None,
    )
    process.base = f"http://127.0.0.1:{port}"
    process.media = folder / "media"
    yield process
    processes.stop(process, processes.GRACEFUL_SECONDS + 5)


def weight_goal():
    """A person with a weight goal that started a month ago and has no data yet."""
    metric = MetricFactory(owner=UserFactory(), name="Weight", unit="kg")
    goal = GoalFactory(
        metric=metric,
        title="Weigh 75 kg",
        start_date=timezone.localdate() - dt.timedelta(days=30),
    )
    return metric, goal


def signed_in(context: BrowserContext, base: str, user) -> None:
    context.add_cookies([{"name": "sessionid", "value": session_for(user), "url": base}])


def open_dashboard(page: Page, base: str, via: str = "stream") -> None:
    """The dashboard, once its live updates are connected; marked, so that a reload
    would show (the mark would be gone)."""
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-live-via", via, timeout=POLLED_MS)
    page.evaluate("window.notReloaded = true")


def not_reloaded(page: Page) -> bool:
    return page.evaluate("window.notReloaded === true")


def card_body(page: Page, goal):
    return page.locator(f"#goal-{goal.id} .goal-card-body")


def test_a_value_recorded_in_one_page_appears_in_the_other(server, page: Page, context):
    metric, goal = weight_goal()
    page.goto(f"{server.base}/accounts/login/")
    page.get_by_label("Username").fill(metric.owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
    open_dashboard(page, server.base)
    other = context.new_page()
    open_dashboard(other, server.base)
    expect(card_body(page, goal)).not_to_contain_text("81.4")

    entry = other.locator(f"#goal-{goal.id}").get_by_role("textbox")
    entry.fill("81.4")
    entry.press("Enter")
    expect(other.locator(f"#goal-{goal.id}").get_by_role("status")).to_have_text(
        "Recorded 81.4 kg."
    )

    expect(card_body(page, goal)).to_contain_text("81.4", timeout=PUSHED_MS)
    assert not_reloaded(page) and not_reloaded(other)


def test_a_value_posted_through_the_api_appears_in_an_open_dashboard(server, page: Page, context):
    metric, goal = weight_goal()
    out = StringIO()
    call_command("api_token", metric.owner.username, "--name", "scale", stdout=out)
    signed_in(context, server.base, metric.owner)
    open_dashboard(page, server.base)

    request = urllib.request.Request(
        f"{server.base}/api/v1/measurements",
        data=json.dumps({"metric_id": metric.id, "value": "80.7"}).encode(),
        headers={
            "Authorization": f"Bearer {out.getvalue().strip()}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201

    expect(card_body(page, goal)).to_contain_text("80.7", timeout=PUSHED_MS)
    assert not_reloaded(page)


def csv_of_the_last_days(days: int) -> str:
    """One weighing a morning over the last `days` days, down to 78.6 kg yesterday."""
    today = timezone.localdate()
    rows = [
        f"{today - dt.timedelta(days=ago):%Y-%m-%d} 07:00;{78.6 + (ago - 1) / 10:.1f}".replace(
            ".", ","
        )
        for ago in range(days, 0, -1)
    ]
    return "Date;Weight (kg)\n" + "\n".join(rows) + "\n"


def test_a_csv_import_moves_the_open_dashboard_when_the_worker_finishes(
    server, page: Page, context, tmp_path: Path
):
    metric, goal = weight_goal()
    signed_in(context, server.base, metric.owner)
    open_dashboard(page, server.base)
    expect(card_body(page, goal)).not_to_contain_text("78.6")

    importing = context.new_page()
    importing.goto(f"{server.base}/sources/")
    upload = tmp_path / "weights.csv"
    upload.write_text(csv_of_the_last_days(10))
    importing.get_by_label("CSV file", exact=True).set_input_files(upload)
    importing.locator("#id_csv-metric").select_option(label="Weight (kg)")
    importing.get_by_role("button", name="Preview").click()
    expect(importing.get_by_label("Value column")).to_have_value("Weight (kg)")
    importing.get_by_role("button", name="Import").click()
    expect(importing.locator("table.runs tbody tr").first).to_contain_text("Queued")

    processes.run_queued(media_root=server.media)

    expect(card_body(page, goal)).to_contain_text("78.6", timeout=PUSHED_MS)
    assert not_reloaded(page)


def test_without_the_stream_the_page_polls_for_what_changed(live_server, page: Page, context):
    """The test suite's live server is WSGI: the stream answers 204, and the page asks
    `/events/since` every few seconds instead."""
    metric, goal = weight_goal()
    signed_in(context, live_server.url, metric.owner)
    open_dashboard(page, live_server.url, via="poll")
    other = context.new_page()
    other.goto(f"{live_server.url}/")
    entry = other.locator(f"#goal-{goal.id}").get_by_role("textbox")
    entry.fill("82.3")
    entry.press("Enter")
    expect(other.locator(f"#goal-{goal.id}").get_by_role("status")).to_contain_text("82.3")

    expect(card_body(page, goal)).to_contain_text("82.3", timeout=POLLED_MS)
    assert not_reloaded(page)
