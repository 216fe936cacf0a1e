"""Every form of the site, sent back with hostile values, answers in words and never
with a 500.

A signed-in demo account's pages are crawled from the dashboard (links on the site,
up to `PAGES`); each kind of form found (by action with its ids left out, method and
fields: the same form of another goal is the same code) is submitted once per field
and hostile value, the other fields as the page filled them, as a plain form and as
htmx sends it. Forms that end the session or delete the account are left
out; delete buttons are, too, so that the pages after them still have their data.
This is the audit that found a snooze's `next=0` read as a view's name and a history
range ending on 31 December 9999 overflowing the calendar.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = [pytest.mark.audit, pytest.mark.django_db(transaction=True)]

PAGES = 150
#: One value per kind of trouble: empty, signed, beyond a float, not a number, too long,
#: a time and days off the calendar, a NUL byte.
HOSTILE = ["", "-1", "1e309", "NaN", "9" * 400, "24:61", "9999-12-31", "0001-01-01", "a\x00b"]
LEFT_OUT = ("logout", "/accounts/delete", "/password", "unsubscribe", "delete")
NOT_PAGES = ("/static/", "/api/v1/docs", "/admin/")


class Page(HTMLParser):
    """A page's links and forms (action, method, htmx target, fields as filled)."""

    def __init__(self):
        super().__init__()
        self.links: set[str] = set()
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.add(found["href"])
        elif tag == "form":
            self._form = {
                "action": found.get("hx-post") or found.get("action") or "",
                "method": "post" if found.get("hx-post") else (found.get("method") or "get"),
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "select", "textarea"}:
            name = found.get("name")
            unchecked = found.get("type") in {"checkbox", "radio"} and "checked" not in found
            if name and not unchecked:
                self._form["fields"][name] = found.get("value") or ""
            elif name:
                self._form["fields"].setdefault(name, None)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def crawl(client: Client) -> list[tuple[str, dict]]:
    """(page, form) for every form on the pages reached from the dashboard."""
    seen: set[str] = set()
    queue, forms = ["/"], []
    while queue and len(seen) < PAGES:
        url = queue.pop(0)
        if url in seen or any(part in url for part in LEFT_OUT):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        for href in page.links:
            parts = urlsplit(urljoin(url, href))
            if parts.netloc in {"", "testserver"} and not parts.path.startswith(NOT_PAGES):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        forms += [(url, form) for form in page.forms]
    return forms


def test_no_form_answers_hostile_values_with_a_server_error():
    call_command("demo_seed", verbosity=0)
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="demo"))
    sent, failures = set(), []
    for page, form in crawl(client):
        action = urljoin(page, form["action"] or page)
        shape = (re.sub(r"\d+", "N", action), form["method"], tuple(sorted(form["fields"])))
        if shape in sent or any(part in action for part in LEFT_OUT):
            continue
        sent.add(shape)
        filled = {name: value for name, value in form["fields"].items() if value is not None}
        send = client.post if form["method"].lower() == "post" else client.get
        for name in form["fields"]:
            if name == "csrfmiddlewaretoken":
                continue
            for value in HOSTILE:
                for headers in ({}, {"HX-Request": "true"}):
                    response = send(action, {**filled, name: value}, headers=headers)
                    if response.status_code >= 500:
                        failures.append((action, name, value[:20], bool(headers)))
    assert len(sent) >= 25, f"only {len(sent)} forms found: the crawl lost its way"
    assert not failures, failures[:20]
