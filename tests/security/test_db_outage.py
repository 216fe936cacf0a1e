"""A database outage, over real HTTP against the live server: while the database cannot
be reached, the API answers 503 with `Retry-After` in its error shape and pages get a
plain 503 page (rendered without touching the database); once it is back, requests
succeed again.

The outage is made as a restart makes it: on PostgreSQL the app's connections are
terminated (`pg_terminate_backend`, from the test's own connection) and new ones are
refused (the server's port is switched to one where nothing listens); on SQLite the
database file cannot be opened. The live server opens a connection for each request,
from the same settings, so it meets the outage at once.
"""

import contextlib
import json
import socket
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.api.conftest import token_for
from tests.factories import PASSWORD, MetricFactory, UserFactory

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, headers: dict[str, str] | None = None):
    """(status, headers, body) of a GET, whatever its status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with NO_PROXY.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def database_out_of_reach():
    """The database is gone for the length of the block, then back."""
    settings = connection.settings_dict  # shared by every thread's connections
    saved = dict(settings)
    try:
        if connection.vendor == "postgresql":
            settings["HOST"], settings["PORT"] = "127.0.0.1", closed_port()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        else:
            settings["NAME"] = "/nonexistent-directory/goaltrack.sqlite3"
        connection.close()
        yield
    finally:
        settings.update(saved)
        connection.close()


@pytest.fixture
def account(live_server, client):
    """A user with a metric, an API token and a signed-in browser session."""
    user = UserFactory()
    MetricFactory(owner=user, name="Weight")
    assert client.login(username=user.username, password=PASSWORD)
    return {
        "api": {"Authorization": f"Bearer {token_for(user)}", "Accept": "application/json"},
        "page": {"Cookie": f"sessionid={client.cookies['sessionid'].value}"},
    }


def assert_api_outage(status, headers, body) -> None:
    assert status == 503, body
    assert int(headers["Retry-After"]) > 0
    error = json.loads(body)["error"]
    assert error["code"] == "service_unavailable"
    assert error["phase"] == "authenticate"
    assert error["correlation_id"] == headers["X-Request-ID"]
    assert "Traceback" not in body


def test_the_api_and_pages_answer_503_during_an_outage_and_recover(live_server, account):
    api = f"{live_server.url}/api/v1/metrics"
    page = f"{live_server.url}/metrics/"
    assert fetch(api, account["api"])[0] == 200
    assert fetch(page, account["page"])[0] == 200

    with database_out_of_reach():
        assert_api_outage(*fetch(api, account["api"]))
        # A session (not a token) on the API: the same answer.
        assert_api_outage(*fetch(api, {**account["page"], "Accept": "application/json"}))

        status, headers, body = fetch(page, account["page"])
        assert status == 503
        assert headers["Content-Type"].startswith("text/html")
        assert int(headers["Retry-After"]) > 0
        assert "Back in a moment" in body and headers["X-Request-ID"] in body
        assert "<html" in body and "Traceback" not in body

        status, headers, body = fetch(page, {**account["page"], "HX-Request": "true"})
        assert status == 503
        assert headers["HX-Retarget"] == "#error-region"
        assert "<html" not in body and "cannot reach its database" in body

    assert fetch(api, account["api"])[0] == 200
    assert fetch(page, account["page"])[0] == 200
