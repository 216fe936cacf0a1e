"""Browser push against a browser and push service on loopback (`push_service`): what
arrives is what was sent, readable only with the browser's keys and signed with the
server's; what the push service answers becomes a `PushOutcome` in words; endpoints
the server must not reach are refused before any request; the key command's keys
work; the service worker is served from the root to anyone."""

import io
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from notifications.push import PushOutcome, PushTarget, public_key, push_configured, send_push
from tests.notifications.push_service import (
    SUBJECT,
    b64,
    push_service_fixture,  # noqa: F401
    push_settings_fixture,  # noqa: F401
    raw_point,
    unb64,
    vapid_env,
)

MESSAGE = {
    "title": "Weight fell behind",
    "body": "82.1 kg; 80.5 kg expected by today. Über-ambitious? Ändere das Ziel.",
    "url": "/goals/42/",
    "tag": "fell_behind:42",
}


def test_a_message_arrives_decrypted_and_signed_by_the_server(push_service):
    target = push_service.target()

    outcome = send_push(target, MESSAGE)

    assert outcome == PushOutcome(ok=True, status=201)
    assert push_service.rejected == []
    assert push_service.received == [MESSAGE]
    [delivery] = push_service.requests
    assert delivery.claims["aud"] == push_service.url
    assert delivery.claims["sub"] == SUBJECT
    assert 11.9 * 3600 < delivery.claims["exp"] - time.time() <= 12 * 3600
    assert delivery.ttl == "86400"
    assert delivery.urgency == "normal"


def test_each_browser_reads_only_its_own_messages(push_service):
    first, second = push_service.target(), push_service.target()

    assert send_push(first, {"title": "one"}).ok
    assert send_push(second, {"title": "two"}).ok

    assert push_service.received_by(first) == [{"title": "one"}]
    assert push_service.received_by(second) == [{"title": "two"}]
    # One message sent twice is encrypted anew: a fresh key and salt each time.
    assert send_push(first, {"title": "one"}).ok
    assert push_service.received_by(first) == [{"title": "one"}, {"title": "one"}]
    once, twice = (d.body for d in push_service.requests if d.endpoint == first.endpoint)
    assert once != twice


def test_time_to_live_and_urgency_are_the_callers(push_service):
    assert send_push(push_service.target(), MESSAGE, ttl=600, urgency="high").ok

    [delivery] = push_service.requests
    assert (delivery.ttl, delivery.urgency) == ("600", "high")


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_has_is_gone(push_service, status):
    target = push_service.target()
    push_service.answer(status)

    outcome = send_push(target, MESSAGE)

    assert not outcome.ok and outcome.gone and outcome.status == status
    assert outcome.error.startswith(f"the push service answered {status} (")
    assert outcome.error.endswith("the subscription no longer exists")
    assert push_service.received == []


def test_an_unsubscribed_browser_is_gone_and_the_others_still_get_theirs(push_service):
    left, stays = push_service.target(), push_service.target()
    push_service.forget(left)

    assert send_push(left, MESSAGE).gone
    assert send_push(stays, MESSAGE) == PushOutcome(ok=True, status=201)
    assert push_service.received_by(stays) == [MESSAGE]


def test_trouble_at_the_push_service_fails_without_losing_the_subscription(push_service):
    push_service.answer(500)

    outcome = send_push(push_service.target(), MESSAGE)

    assert outcome == PushOutcome(
        ok=False,
        gone=False,
        status=500,
        error="the push service answered 500 (internal server error): it had a problem",
    )


def test_too_many_requests_is_said_in_words_with_when_to_try_again(push_service):
    push_service.answer(429, retry_after="120")

    outcome = send_push(push_service.target(), MESSAGE)

    assert outcome.error == "the push service answered 429 (too many requests)"
    assert (outcome.ok, outcome.gone, outcome.status, outcome.retry_after) == (
        False,
        False,
        429,
        120.0,
    )


def test_a_browser_subscribed_with_another_server_key_refuses_the_signature(push_service):
    other_key = b64(unb64(vapid_env()["VAPID_PUBLIC_KEY"])[:-1] + b"\x00")
    target = push_service.target(server_key=other_key)

    outcome = send_push(target, MESSAGE)

    assert not outcome.ok and not outcome.gone and outcome.status == 403
    assert "did not accept this server's signature" in outcome.error
    assert push_service.received == []


def test_a_loopback_endpoint_is_refused_without_a_request_unless_allowed(push_service, settings):
    settings.OUTBOUND_ALLOW_NETWORKS = []
    target = push_service.target()

    outcome = send_push(target, MESSAGE)

    assert not outcome.ok and not outcome.gone and outcome.status is None
    assert "is refused" in outcome.error
    assert push_service.requests == []


def test_a_private_address_over_https_is_refused_without_a_request(push_service, settings):
    settings.OUTBOUND_ALLOW_NETWORKS = []
    browser = push_service.target()
    target = PushTarget(
        endpoint=browser.endpoint.replace("http://", "https://"),
        p256dh=browser.p256dh,
        auth=browser.auth,
    )

    outcome = send_push(target, MESSAGE)

    assert outcome.error == (
        "the push endpoint at 127.0.0.1 is refused: it points to a private or local "
        "network, which is not allowed"
    )
    assert push_service.requests == []


def test_plain_http_goes_only_to_allowed_networks(push_settings):
    """Push services are https; http is for one on a network the operator allows. The
    address is judged as it resolves, before connecting (192.0.2.10 would not answer)."""
    target = PushTarget(endpoint="http://192.0.2.10/push/x", **_browser_keys())

    outcome = send_push(target, MESSAGE)

    assert outcome.error == (
        "the push endpoint at 192.0.2.10 is refused: it is not https, and plain http is "
        "only sent to allowed networks"
    )
    push_settings.OUTBOUND_ALLOW_NETWORKS = []
    sent = []
    outcome = send_push(target, MESSAGE, fetch=lambda url, **options: sent.append(url))
    assert outcome.error == "the push endpoint at 192.0.2.10 is refused: it is not https"
    assert sent == []


def _browser_keys() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    return {"p256dh": b64(raw_point(key.public_key())), "auth": b64(b"0123456789abcdef")}


def test_a_push_service_that_does_not_answer_fails_in_words(push_settings):
    closed = PushTarget(endpoint="http://127.0.0.1:9/push/x", **_browser_keys())

    outcome = send_push(closed, MESSAGE)

    assert outcome == PushOutcome(
        ok=False,
        error="the push service at 127.0.0.1 could not be reached: the server could not be reached",
    )


def test_a_message_too_large_for_push_is_not_sent(push_service):
    outcome = send_push(push_service.target(), {**MESSAGE, "body": "x" * 4000})

    assert not outcome.ok and outcome.error.startswith("the message is too large for push")
    assert push_service.requests == []


def test_subscription_keys_that_are_not_keys_are_refused(push_service):
    real = push_service.target()

    outcome = send_push(PushTarget(real.endpoint, p256dh="bm90IGEga2V5", auth=real.auth), MESSAGE)

    assert outcome == PushOutcome(ok=False, error="the subscription's keys are not valid")
    assert push_service.requests == []


def test_without_keys_push_is_off_and_nothing_is_sent(push_service, settings):
    target = push_service.target()
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""

    assert not push_configured()
    outcome = send_push(target, MESSAGE)

    assert outcome == PushOutcome(
        ok=False, error="push is not set up on this server (no VAPID keys)"
    )
    assert push_service.requests == []


def test_keys_that_are_not_a_pair_are_a_configuration_error(push_service, settings):
    target = push_service.target()
    raw = unb64(settings.VAPID_PUBLIC_KEY)
    settings.VAPID_PUBLIC_KEY = b64(raw[:-1] + bytes([raw[-1] ^ 1]))  # never the same key

    with pytest.raises(ImproperlyConfigured, match="not the public key of VAPID_PRIVATE_KEY"):
        public_key()
    assert send_push(target, MESSAGE) == PushOutcome(
        ok=False, error="push is not set up correctly on this server"
    )
    assert push_service.requests == []


def test_the_public_key_is_an_uncompressed_p256_point_in_base64url(push_settings):
    assert push_configured()
    key = public_key()

    assert key == vapid_env()["VAPID_PUBLIC_KEY"]
    assert "=" not in key
    raw = unb64(key)
    assert len(raw) == 65 and raw[0] == 4


def test_the_key_command_prints_keys_that_sign_what_browsers_accept(push_service, settings):
    out = io.StringIO()

    call_command("vapid_keys", stdout=out)

    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    assert set(lines) == {"VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY"}
    assert lines["VAPID_PUBLIC_KEY"] != vapid_env()["VAPID_PUBLIC_KEY"]
    settings.VAPID_PRIVATE_KEY = lines["VAPID_PRIVATE_KEY"]
    settings.VAPID_PUBLIC_KEY = lines["VAPID_PUBLIC_KEY"]
    assert public_key() == lines["VAPID_PUBLIC_KEY"]
    subscribed_now = push_service.target()

    assert send_push(subscribed_now, MESSAGE).ok
    assert push_service.received == [MESSAGE]
    assert push_service.rejected == []


# The service worker -------------------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_to_anyone(client, db):
    response = client.get("/service-worker.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    assert 'addEventListener("push"' in script
    assert 'addEventListener("notificationclick"' in script


def test_the_service_worker_is_revalidated_cheaply(client, db):
    first = client.get("/service-worker.js")

    again = client.get("/service-worker.js", headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304


def test_the_strict_policy_lets_pages_register_the_worker_from_this_site(client, db):
    """A worker script's source is checked against `worker-src`, which falls back to
    `script-src 'self'`: the policy needs nothing added for it."""
    policy = client.get("/service-worker.js")["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )

    assert "worker-src" not in directives and "child-src" not in directives
    assert directives["script-src"] == ["'self'"]
