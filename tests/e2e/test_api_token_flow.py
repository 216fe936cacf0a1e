"""A token made in the browser works over real HTTP: a measurement sent with it shows
on the metric's page, marked as coming from the API."""

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_token_made_on_the_page_records_through_the_api(live_server, page: Page):
    user = UserFactory()
    metric = MetricFactory(owner=user, name="Weight", unit="kg")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/api-tokens/")
    page.get_by_label("Name").fill("Scale")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    expect(page.get_by_role("cell", name="Scale", exact=True)).to_be_visible()

    request = urllib.request.Request(
        f"{live_server.url}/api/v1/measurements",
        data=json.dumps({"metric_id": metric.id, "value": 180, "unit": "lb"}).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        assert json.load(response)["value"] == "81.646627"

    page.goto(f"{live_server.url}/metrics/{metric.id}/")
    row = page.locator("#measurement-list tbody tr").first
    expect(row).to_contain_text("81.6 kg (180 lb)")
    expect(row).to_contain_text("API")
