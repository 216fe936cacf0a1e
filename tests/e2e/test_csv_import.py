"""Importing a CSV in a real browser: upload, preview with the suggested mapping, import;
the run's row follows the worker's progress by itself and stops polling at the end."""

import re
from pathlib import Path

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from measurements.models import Measurement
from tests.factories import PASSWORD, MetricFactory, UserFactory
from tests.processes import run_queued

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CSV = (
    "Date;Weight (kg);Comment\n"
    + "".join(
        f"2026-10-{day:02d} 07:00;{80 + day / 10:.1f};morning\n".replace(".", ",")
        for day in range(1, 31)
    )
    + "2026-10-31 07:00;heavy;typo\n"
)


def test_a_csv_is_previewed_imported_and_followed_to_its_end(live_server, page: Page, tmp_path):
    user = UserFactory()
    metric = MetricFactory(owner=user, name="Weight", unit="kg")
    upload = tmp_path / "weights.csv"
    upload.write_text(CSV)
    media = tmp_path / "media"
    with override_settings(MEDIA_ROOT=media):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
        page.get_by_role("link", name="Sources").click()
        page.get_by_label("CSV file", exact=True).set_input_files(upload)
        page.locator("#id_csv-metric").select_option(label="Weight (kg)")
        page.get_by_role("button", name="Preview").click()

        expect(page.get_by_label("Value column")).to_have_value("Weight (kg)")
        preview = page.locator("table.preview")
        expect(preview).to_contain_text("80.1 kg")
        expect(preview.locator("tr.row-invalid")).to_have_count(0)
        page.get_by_role("button", name="Import").click()

        row = page.locator("table.runs tbody tr").first
        expect(row).to_contain_text("Queued")
        run_queued(media_root=media)
        expect(row).to_contain_text("Succeeded", timeout=10_000)
        expect(row).to_contain_text("30")
        expect(row).not_to_have_attribute("hx-trigger", re.compile("changed"))
        page.get_by_text("Why 1 row was rejected").click()
        expect(page.locator(".run-rejections")).to_contain_text("value")
    assert Measurement.objects.filter(metric=metric).count() == 30
