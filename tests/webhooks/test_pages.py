"""The webhooks page with the test client: adding an endpoint (its secret shown once,
a refresh makes nothing), the address and event-type checks, the endpoint's page with
its delivery log, the test event, resends, switching off and on, a new secret, and
deleting; another user's endpoint does not exist."""

import pytest
from django.utils import timezone

from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint

from .conftest import make_endpoint

URL = "https://hooks.example.com/goaltrack"


def add(client, **fields):
    data = {"url": URL, "description": "Home dashboard", "event_types": ["goal.created"]}
    return client.post("/webhooks/", {**data, **fields})


@pytest.mark.django_db
def test_the_page_needs_a_login(client):
    response = client.get("/webhooks/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_the_user_menu_links_to_the_page(signed_in):
    assert 'href="/webhooks/"' in signed_in.get("/").text


def test_the_form_offers_the_public_event_types_with_what_they_mean(signed_in):
    page = signed_in.get("/webhooks/").text
    assert 'value="measurement.recorded"' in page
    assert "A measurement was recorded" in page
    assert "webhook.test" not in page and "webhook_endpoint.disabled" not in page


def test_a_new_endpoint_shows_its_secret_once(signed_in, user):
    response = add(signed_in)
    endpoint = Endpoint.objects.get(owner=user)
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{endpoint.id}/"

    shown = signed_in.get(response["Location"])
    assert endpoint.secret in shown.text and endpoint.secret.startswith("whsec_")
    assert shown["Cache-Control"] == "no-store"
    assert 'data-copy="webhook-secret"' in shown.text and "js/copy.js" in shown.text

    again = signed_in.get(response["Location"])  # a refresh
    assert endpoint.secret not in again.text
    assert Endpoint.objects.filter(owner=user).count() == 1
    listed = signed_in.get("/webhooks/").text
    assert "Home dashboard" in listed and endpoint.secret not in listed


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"url": "http://127.0.0.1:8000/hook"}, "private or local network"),
        ({"url": "http://localhost/hook"}, "private or local network"),
        ({"url": "http://[::1]/hook"}, "private or local network"),
        ({"url": "ftp://example.com/x"}, "starting with https://"),
        ({"url": "https://user:pw@example.com/x"}, "user name and password"),
        ({"event_types": []}, "Choose at least one event type"),
        ({"event_types": ["webhook.test"]}, "not one of the available choices"),
    ],
)
def test_what_the_form_refuses(signed_in, user, fields, error):
    response = add(signed_in, **fields)
    assert response.status_code == 200
    assert error in response.text
    assert not Endpoint.objects.filter(owner=user).exists()


def test_an_operator_allowed_network_is_accepted(signed_in, user, settings):
    settings.OUTBOUND_ALLOW_NETWORKS = ["127.0.0.0/8"]
    assert add(signed_in, url="http://127.0.0.1:9000/hook").status_code == 302


def test_another_users_endpoint_does_not_exist(signed_in, other_user):
    endpoint, _ = make_endpoint(other_user.id, URL)
    for path in ("", "deliveries/"):
        assert signed_in.get(f"/webhooks/{endpoint.id}/{path}").status_code == 404
    for path in ("test/", "enabled/", "secret/", "delete/"):
        assert signed_in.post(f"/webhooks/{endpoint.id}/{path}").status_code == 404
    assert Endpoint.objects.filter(id=endpoint.id, enabled=True).exists()


def test_the_delivery_log_shows_each_attempt(signed_in, user):
    endpoint, _ = make_endpoint(user.id, URL)
    delivery = Delivery.objects.create(
        endpoint_id=endpoint.id,
        type="goal.created",
        msg_id="msg_log",
        body="{}",
        status=DeliveryStatus.SUCCEEDED,
        attempts=2,
        created=timezone.now(),
    )
    Attempt.objects.create(
        delivery=delivery,
        at=timezone.now(),
        status_code=500,
        duration_ms=41,
        error="the server had a problem (HTTP 500)",
    )
    Attempt.objects.create(
        delivery=delivery, at=timezone.now(), status_code=204, duration_ms=12, succeeded=True
    )
    page = signed_in.get(f"/webhooks/{endpoint.id}/").text
    assert "msg_log" in page and "HTTP 500" in page and "HTTP 204" in page
    assert "41 ms" in page and "The server had a problem" in page
    fragment = signed_in.get(f"/webhooks/{endpoint.id}/deliveries/").text
    assert fragment.lstrip().startswith('<section class="panel" id="delivery-log"')
    assert "Resend" in fragment


def test_a_test_event_without_and_with_htmx(signed_in, user, htmx_headers):
    endpoint, _ = make_endpoint(user.id, URL)
    response = signed_in.post(f"/webhooks/{endpoint.id}/test/")
    assert response.status_code == 302
    assert Delivery.objects.get(endpoint_id=endpoint.id).type == "webhook.test"
    assert "A test event is on its way" in signed_in.get(response["Location"]).text

    fragment = signed_in.post(f"/webhooks/{endpoint.id}/test/", headers=htmx_headers)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section class="panel" id="delivery-log"')
    assert fragment.text.count("webhook.test") == 2
    assert "every 2s" in fragment.text  # due now: the log looks again shortly
    assert f"webhook-endpoint-{endpoint.id}-changed" in fragment["HX-Trigger"]


def test_resend_a_failed_delivery(signed_in, user):
    endpoint, _ = make_endpoint(user.id, URL)
    delivery = Delivery.objects.create(
        endpoint_id=endpoint.id,
        type="goal.created",
        msg_id="msg_again",
        body="{}",
        status=DeliveryStatus.FAILED,
        attempts=8,
        tries=8,
        created=timezone.now(),
    )
    response = signed_in.post(f"/webhooks/{endpoint.id}/deliveries/{delivery.id}/resend/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.tries == 0
    # Pending now: a second resend is refused, in words.
    again = signed_in.post(f"/webhooks/{endpoint.id}/deliveries/{delivery.id}/resend/")
    assert "still being sent" in signed_in.get(again["Location"]).text


def test_disable_enable_edit_rotate_and_delete(signed_in, user):
    endpoint, secret = make_endpoint(user.id, URL)
    signed_in.post(f"/webhooks/{endpoint.id}/enabled/", {"enabled": "0"})
    assert not Endpoint.objects.get(id=endpoint.id).enabled
    page = signed_in.get(f"/webhooks/{endpoint.id}/").text
    assert "This endpoint is disabled" in page and ">Send a test event</button>" not in page
    signed_in.post(f"/webhooks/{endpoint.id}/enabled/", {"enabled": "1"})
    assert Endpoint.objects.get(id=endpoint.id).enabled

    edited = signed_in.post(
        f"/webhooks/{endpoint.id}/",
        {"url": URL + "/v2", "description": "", "event_types": ["goal.deleted", "goal.created"]},
    )
    assert edited.status_code == 302
    stored = Endpoint.objects.get(id=endpoint.id)
    assert stored.url == URL + "/v2" and stored.event_types == ["goal.created", "goal.deleted"]

    rotated = signed_in.post(f"/webhooks/{endpoint.id}/secret/")
    new = Endpoint.objects.get(id=endpoint.id).secret
    assert new != secret and new in signed_in.get(rotated["Location"]).text

    deleted = signed_in.post(f"/webhooks/{endpoint.id}/delete/")
    assert deleted["Location"] == "/webhooks/"
    assert not Endpoint.objects.filter(id=endpoint.id).exists()


def test_an_endpoint_stopped_for_failures_is_announced_on_the_page(signed_in, user):
    endpoint, _ = make_endpoint(user.id, URL)
    Endpoint.objects.filter(id=endpoint.id).update(
        enabled=False,
        disabled_at=timezone.now(),
        disabled_reason="Disabled: its deliveries failed for 27 hours without a single success.",
    )
    page = signed_in.get("/webhooks/").text
    assert "Deliveries to Receiver stopped" in page
    assert "failed for 27 hours without a single success" in page


def test_the_admin_lists_endpoints_and_deliveries_with_their_attempts(client, user):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="pw-for-admin-1")
    endpoint, secret = make_endpoint(user.id, URL)
    delivery = Delivery.objects.create(
        endpoint_id=endpoint.id,
        type="goal.created",
        msg_id="msg_adm",
        body="{}",
        created=timezone.now(),
    )
    Attempt.objects.create(delivery=delivery, at=timezone.now(), status_code=502, duration_ms=9)
    client.force_login(admin)
    endpoints = client.get("/admin/webhooks/endpoint/")
    assert endpoints.status_code == 200 and URL in endpoints.text
    shown = client.get(f"/admin/webhooks/endpoint/{endpoint.id}/change/")
    assert shown.status_code == 200 and secret not in shown.text
    log = client.get(f"/admin/webhooks/delivery/{delivery.id}/change/")
    assert log.status_code == 200 and "msg_adm" in log.text and "502" in log.text
    client.post(
        "/admin/webhooks/endpoint/",
        {"action": "disable", "_selected_action": [endpoint.id]},
    )
    assert not Endpoint.objects.get(id=endpoint.id).enabled
