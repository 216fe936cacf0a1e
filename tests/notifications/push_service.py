"""A browser and its push service, on loopback, to test browser push end to end.

A browser subscribing makes a P-256 key pair and a 16-byte auth secret and hands the
server an endpoint at its push service, bound to the server's public key
(`applicationServerKey`). `PushService` plays both: `target()` subscribes a new
browser with the server's key from the settings (or a key given), and its HTTP
endpoint on loopback (pytest-httpserver) does what a push service does with each
request:

- checks the VAPID signature (RFC 8292) with the key the browser subscribed with: an
  ES256 JWT whose `aud` is the service's origin, not expired and not more than 24 h
  ahead, with a mailto: or https: `sub`; a wrong or missing signature is answered 403
  or 401, like the real services;
- decrypts the body (aes128gcm, RFC 8291) with the browser's private key and auth
  secret, and reads it as JSON; an unreadable body is answered 400;
- answers 201 and counts the payload as `received`, or what the test asked for
  (`answer(500)`, `forget(target)` for 410, an unknown subscription 404).

Use it through the fixtures `push_settings` and `push_service`, by importing both into
a test module or a conftest: `from tests.notifications.push_service import
push_service_fixture, push_settings_fixture  # noqa: F401`. A process of its own
(the task worker) gets the same keys with `vapid_env()` and
`OUTBOUND_ALLOW_NETWORKS=127.0.0.0/8,::1/128`; `wait_for()` waits for what it sends.
"""

import base64
import datetime as dt
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from functools import cache

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from notifications.push import PushTarget

LOOPBACK = ["127.0.0.0/8", "::1/128"]
SUBJECT = "mailto:push-tests@example.com"
#: The longest a VAPID signature may hold (RFC 8292 section 2).
LONGEST_SIGNATURE = dt.timedelta(hours=24)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@cache
def _test_keys() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    return b64(scalar), b64(raw_point(key.public_key()))


def vapid_env() -> dict[str, str]:
    """The VAPID settings of the tests, as environment variables for another process
    (the same keys for the whole test run)."""
    private, public = _test_keys()
    return {"VAPID_PRIVATE_KEY": private, "VAPID_PUBLIC_KEY": public, "VAPID_SUBJECT": SUBJECT}


@dataclass
class Browser:
    """One subscribed browser: its keys, and the server key it subscribed with."""

    target: PushTarget
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    server_key: str
    gone: bool = False


@dataclass
class Delivery:
    """One request the push service got, and what it made of it."""

    endpoint: str
    headers: dict[str, str]
    #: What the push service answered.
    status: int
    #: The body as sent, encrypted.
    body: bytes = b""
    #: The decrypted payload, when it could be decrypted.
    payload: dict | None = None
    #: The VAPID claims, when the signature held.
    claims: dict | None = None
    #: Why the request was refused, in words; "" when it was sound.
    problem: str = ""

    @property
    def ttl(self) -> str | None:
        return self.headers.get("ttl")

    @property
    def urgency(self) -> str | None:
        return self.headers.get("urgency")


class Refused(Exception):
    def __init__(self, status: int, problem: str):
        self.status = status
        super().__init__(problem)


@dataclass
class PushService:
    server: HTTPServer
    browsers: dict[str, Browser] = field(default_factory=dict)
    #: Every request, in order.
    requests: list[Delivery] = field(default_factory=list)
    #: The payloads delivered (decrypted, signature checked, answered 2xx), in order.
    received: list[dict] = field(default_factory=list)
    _status: int = 201
    _retry_after: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The service's origin, `http://127.0.0.1:<port>`: a signature's audience."""
        return f"http://{self.server.host}:{self.server.port}"

    def target(self, *, server_key: str | None = None) -> PushTarget:
        """A new browser, subscribed with `server_key` (by default the server's public
        key in the settings, as the page gives it), and where to push to it."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth_secret = secrets.token_bytes(16)
        endpoint = f"{self.url}/push/{secrets.token_urlsafe(16)}"
        target = PushTarget(
            endpoint=endpoint,
            p256dh=b64(raw_point(private_key.public_key())),
            auth=b64(auth_secret),
        )
        self.browsers[endpoint] = Browser(
            target=target,
            private_key=private_key,
            auth_secret=auth_secret,
            server_key=server_key or settings.VAPID_PUBLIC_KEY,
        )
        return target

    def answer(self, status: int, *, retry_after: str | None = None) -> None:
        """Answer every later request with `status` (201 is the service's own answer)."""
        self._status, self._retry_after = status, retry_after

    def forget(self, target: PushTarget) -> None:
        """The browser unsubscribed, or the subscription expired: 410 from now on."""
        self.browsers[target.endpoint].gone = True

    def received_by(self, target: PushTarget) -> list[dict]:
        return [
            delivery.payload
            for delivery in self.requests
            if delivery.endpoint == target.endpoint and 200 <= delivery.status < 300
        ]

    @property
    def rejected(self) -> list[Delivery]:
        """The requests that were not sound (a bad signature or body)."""
        return [delivery for delivery in self.requests if delivery.problem]

    def wait_for(self, count: int, timeout: float = 30) -> list[dict]:
        """The payloads received, once there are `count` of them (sent by another
        process); fails the test when they do not come within `timeout` seconds."""
        ends = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > ends:
                raise AssertionError(
                    f"{len(self.received)} of {count} push messages arrived in {timeout:g} s; "
                    f"refused: {[delivery.problem for delivery in self.rejected]}"
                )
            time.sleep(0.05)
        return list(self.received)

    # The push service's side --------------------------------------------------------

    def handle(self, request: Request) -> Response:
        endpoint = f"{self.url}{request.path}"
        headers = {name.lower(): value for name, value in request.headers.items()}
        delivery = Delivery(endpoint=endpoint, headers=headers, status=201, body=request.get_data())
        try:
            browser = self.browsers.get(endpoint)
            if browser is None:
                raise Refused(404, "no such subscription")
            if request.method != "POST":
                raise Refused(405, f"{request.method}, not POST")
            delivery.claims = self._checked_signature(headers, browser)
            delivery.payload = self._decrypted(headers, delivery.body, browser)
            if browser.gone:
                raise Refused(410, "")
            delivery.status = self._status
        except Refused as refused:
            delivery.status, delivery.problem = refused.status, str(refused)
        except Exception as exc:  # a fault here must show in the test, not hang it
            delivery.status, delivery.problem = 500, f"the push service failed: {exc!r}"
        with self._lock:
            self.requests.append(delivery)
            if 200 <= delivery.status < 300:
                self.received.append(delivery.payload)
        answer = Response(delivery.problem, status=delivery.status)
        if self._retry_after is not None and delivery.status >= 400:
            answer.headers["Retry-After"] = self._retry_after
        return answer

    def _checked_signature(self, headers: dict[str, str], browser: Browser) -> dict:
        found = re.fullmatch(
            r"vapid\s+(.+)", headers.get("authorization", ""), flags=re.IGNORECASE | re.DOTALL
        )
        if not found:
            raise Refused(401, "no VAPID Authorization header")
        params = dict(
            part.strip().split("=", 1) for part in found.group(1).split(",") if "=" in part
        )
        if params.get("k") != browser.server_key:
            raise Refused(403, "signed with another key than the subscription's")
        try:
            header, claims, signature = params.get("t", "").split(".")
            raw = unb64(signature)
            if len(raw) != 64:
                raise InvalidSignature
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(params["k"])).verify(
                encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
                f"{header}.{claims}".encode(),
                ec.ECDSA(hashes.SHA256()),
            )
            header, claims = json.loads(unb64(header)), json.loads(unb64(claims))
        except (InvalidSignature, ValueError) as exc:
            raise Refused(403, f"the signature does not hold ({exc!r})") from exc
        now = time.time()
        if header.get("alg") != "ES256":
            raise Refused(403, f"alg {header.get('alg')!r}, not ES256")
        if claims.get("aud") != self.url:
            raise Refused(403, f"aud {claims.get('aud')!r}, not {self.url}")
        if not now < claims.get("exp", 0) <= now + LONGEST_SIGNATURE.total_seconds():
            raise Refused(403, f"exp {claims.get('exp')!r} is past or over 24 h ahead")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            raise Refused(403, f"sub {claims.get('sub')!r} is no mailto: or https: address")
        return claims

    def _decrypted(self, headers: dict[str, str], body: bytes, browser: Browser) -> dict:
        if headers.get("content-encoding") != "aes128gcm":
            raise Refused(400, f"Content-Encoding {headers.get('content-encoding')!r}")
        if not headers.get("ttl", "").isdigit():
            raise Refused(400, "no TTL")
        try:
            plain = http_ece.decrypt(
                body,
                private_key=browser.private_key,
                auth_secret=browser.auth_secret,
                version="aes128gcm",
            )
            payload = json.loads(plain)
        except Exception as exc:
            raise Refused(400, f"the body could not be decrypted ({exc!r})") from exc
        if not isinstance(payload, dict):
            raise Refused(400, "the payload is not a JSON object")
        return payload


@pytest.fixture(name="push_settings")
def push_settings_fixture(settings):
    """The test VAPID keys (the ones `vapid_env()` gives another process), and
    outbound requests allowed to loopback, where the push service listens."""
    for name, value in vapid_env().items():
        setattr(settings, name, value)
    settings.OUTBOUND_ALLOW_NETWORKS = LOOPBACK
    return settings


@cache
def _server() -> HTTPServer:
    """One listening server for the test run (its thread is a daemon): starting and
    stopping one per test would cost half a second each."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    return server


@pytest.fixture(name="push_service")
def push_service_fixture(push_settings):
    """A push service on loopback, its browsers subscribed with the test keys."""
    server = _server()
    service = PushService(server=server)
    server.clear()
    server.expect_request(re.compile(r"^/")).respond_with_handler(service.handle)
    try:
        yield service
    finally:
        server.clear()
