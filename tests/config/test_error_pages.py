"""Error pages read in words and keep the site's navigation for someone logged in;
the technical reference (correlation id, phase, status) is small, below. An htmx
request gets the notice alone, for the page's error region."""

import pytest
from django.test import Client
from django.urls import include, path

from config.request_context import Phase, set_phase
from tests.factories import GoalFactory

pytestmark = pytest.mark.django_db

MAIN_NAV = '<nav class="container nav" aria-label="Main">'


def explode(request):
    set_phase(Phase.EXECUTE)
    raise RuntimeError("secret internals: password=hunter2")


explode.login_required = False
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
#: The site's own routes, plus one that fails.
urlpatterns = [path("explode/", explode), path("", include("config.urls"))]


class WithoutTheSite:
    """Only the failing route: the page with navigation cannot find its links."""

    handler500 = "config.errors.server_error"
    urlpatterns = [path("explode/", explode)]


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


def test_a_logged_in_404_keeps_the_navigation_and_reads_in_words(signed_in, other_user):
    goal = GoalFactory(metric__owner=other_user)
    response = signed_in.get(f"/goals/{goal.id}/")
    page = response.text
    assert response.status_code == 404
    assert MAIN_NAV in page and ">Dashboard</a>" in page and 'href="/accounts/api-tokens/"' in page
    assert "We couldn&#x27;t find that page" in page
    assert "There is no such goal." in page
    assert (
        f'<p class="error-reference"><small>Reference <code>{response["X-Request-ID"]}</code>'
        in page
    )
    assert "HTTP 404" in page and "failed while" not in page
    assert "Back to your dashboard" in page
    assert goal.title not in page


def test_an_unknown_address_for_someone_not_logged_in_offers_the_login(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert MAIN_NAV in response.text and ">Dashboard</a>" not in response.text
    assert "There is no page at this address." in response.text
    assert 'href="/accounts/login/"' in response.text


def test_an_htmx_404_is_the_notice_alone_for_the_error_region(signed_in, htmx_headers):
    response = signed_in.get("/goals/999999/", headers=htmx_headers)
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#error-region"
    assert response["HX-Reswap"] == "innerHTML"
    assert "<html" not in response.text and "<nav" not in response.text
    assert "<h1" not in response.text, "the page keeps its own heading"
    assert "We couldn&#x27;t find that page" in response.text


def test_a_500_for_someone_logged_in_keeps_the_navigation(failing_site, signed_in):
    signed_in.raise_request_exception = False
    response = signed_in.get("/explode/")
    assert response.status_code == 500
    assert MAIN_NAV in response.text and ">Dashboard</a>" in response.text
    assert "Something went wrong on our side" in response.text
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response["X-Request-ID"] in response.text


def test_an_error_page_that_cannot_be_drawn_falls_back_to_the_plain_one(settings, signed_in):
    settings.ROOT_URLCONF = WithoutTheSite
    settings.DEBUG = False
    signed_in.raise_request_exception = False
    response = signed_in.get("/explode/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert response["X-Request-ID"] in response.text and "execute" in response.text
    assert ">Dashboard</a>" not in response.text and "hunter2" not in response.text


def test_an_expired_form_is_a_403_in_words(user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post("/accounts/api-tokens/", {"name": "Scale"})
    assert response.status_code == 403
    assert "You can&#x27;t do that here" in response.text
    assert "Your form expired" in response.text
    assert MAIN_NAV in response.text
