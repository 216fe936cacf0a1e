"""A forgotten password, in the browser: the login page's "Forgot your password?", the
mail read from a real SMTP server on loopback, its link, a new password, a login.

The mail is sent by a task; here the tasks run as they are queued (Django's
ImmediateBackend), in the live server's thread once the request's transaction has
committed, so the test reads the mail as soon as the page has answered. A worker
process sending it is covered in tests/accounts/test_email_address.py."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-brand-new-passphrase-9"


def test_a_forgotten_password_is_reset_from_the_mailed_link(
    live_server, page: Page, mail_settings, immediate_tasks
):
    user = UserFactory(username="ada", email="ada@example.com")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    [mail] = mail_settings.wait_for(1)
    assert mail["To"] == "ada@example.com"
    [link] = re.findall(r"https?://\S+", mail.get_body(("plain",)).get_content())
    assert link.startswith(f"{live_server.url}/accounts/password/reset/")

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your goals")).to_be_visible()
