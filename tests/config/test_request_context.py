"""The correlation id and phase: accepted, rejected, generated, echoed, and carried
by every error, whatever its format."""

import logging

import pytest
from django.urls import path

from config.envelope import NotFound
from config.request_context import (
    Phase,
    RequestContextLogFilter,
    is_acceptable_request_id,
    set_phase,
)


def explode(request):
    set_phase(Phase.EXECUTE)
    raise RuntimeError("secret internals: password=hunter2")


def missing(request):
    raise NotFound("There is no such goal.")


handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
urlpatterns = [
    path("explode/", explode),
    path("missing/", missing),
]

for view in (explode, missing):
    view.login_required = False


@pytest.mark.parametrize(
    ("offered", "accepted"),
    [
        ("abc12345-ffff", True),
        ("client.req:42_x", True),
        ("short", False),
        ("x" * 65, False),
        ("has space 123456", False),
        ("line\nbreak-123456", False),
        ("<script>alert(1)</script>", False),
        ("", False),
        (None, False),
    ],
)
def test_which_request_ids_are_accepted(offered, accepted):
    assert is_acceptable_request_id(offered) is accepted


@pytest.mark.django_db
def test_a_sane_request_id_is_echoed(client):
    response = client.get("/accounts/login/", headers={"X-Request-ID": "phone-app-req-0001"})
    assert response["X-Request-ID"] == "phone-app-req-0001"


@pytest.mark.django_db
@pytest.mark.parametrize("offered", ["bad id with spaces", "y" * 200, "a\tb12345678"])
def test_a_malformed_request_id_is_replaced(client, offered):
    response = client.get("/accounts/login/", headers={"X-Request-ID": offered})
    assert response["X-Request-ID"] != offered
    assert is_acceptable_request_id(response["X-Request-ID"])


@pytest.mark.django_db
def test_an_id_is_generated_per_request(client):
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]
    assert first != second
    assert len(first) == 32


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


@pytest.fixture
def raising_client(client):
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
def test_an_unexpected_error_is_a_500_page_with_phase_and_id_and_no_trace(
    error_urls, raising_client
):
    response = raising_client.get("/explode/", headers={"X-Request-ID": "trace-me-000001"})
    body = response.content.decode()
    assert response.status_code == 500
    assert "trace-me-000001" in body
    assert "execute" in body
    assert "hunter2" not in body
    assert "Traceback" not in body
    assert response["X-Request-ID"] == "trace-me-000001"


@pytest.mark.django_db
def test_an_unexpected_error_in_json(error_urls, raising_client):
    response = raising_client.get(
        "/explode/", headers={"Accept": "application/json", "X-Request-ID": "json-call-00001"}
    )
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": response.json()["error"]["message"],
            "phase": "execute",
            "correlation_id": "json-call-00001",
            "fields": [],
        }
    }
    assert "hunter2" not in response.content.decode()


@pytest.mark.django_db
def test_an_unexpected_error_in_an_htmx_request_is_a_fragment_for_the_error_region(
    error_urls, raising_client
):
    response = raising_client.get(
        "/explode/", headers={"HX-Request": "true", "X-Request-ID": "htmx-call-00001"}
    )
    body = response.content.decode()
    assert response.status_code == 500
    assert response["HX-Retarget"] == "#error-region"
    assert "<html" not in body
    assert "htmx-call-00001" in body and "execute" in body


@pytest.mark.django_db
def test_an_expected_error_keeps_the_phase_it_was_raised_in(error_urls, client):
    response = client.get("/missing/", headers={"Accept": "application/json"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["phase"] == "validate"
    assert error["correlation_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_an_unknown_url_is_a_404_page_with_the_reference(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert response["X-Request-ID"] in response.content.decode()


@pytest.mark.django_db
def test_every_log_line_of_a_request_carries_its_id(error_urls, raising_client, caplog):
    console = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RequestContextLogFilter) for f in handler.filters)
    )
    caplog.handler.addFilter(RequestContextLogFilter())
    with caplog.at_level(logging.ERROR):
        raising_client.get("/explode/", headers={"X-Request-ID": "logged-req-0001"})
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records
    for record in records:
        assert "[logged-req-0001 execute]" in console.formatter.format(record)
