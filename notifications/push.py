"""Web Push: one message to one browser, encrypted for it and signed by this server.

- The payload (JSON) is encrypted for the browser's key and auth secret with
  `aes128gcm` (RFC 8291 on RFC 8188, by `http_ece`): the push service carries it
  without being able to read it.
- The request is signed with VAPID (RFC 8292): a JWT (ES256) whose `aud` is the
  endpoint's origin, `exp` twelve hours ahead and `sub` the operator's contact
  (`VAPID_SUBJECT`), with the server's public key beside it. A push service accepts it
  only when that key is the one the browser subscribed with (`public_key()`, the
  page's `applicationServerKey`).
- It goes through the guarded outbound client (`sources.outbound`): the endpoint came
  from a browser, so it must not lead the server into private networks. Endpoints are
  https, except in a network the operator allows (`OUTBOUND_ALLOW_NETWORKS`), where
  plain http is accepted too (a push service on the LAN, the tests' on loopback).

The keys are base64url, without padding, as browsers and the `web-push` tools write
them: `VAPID_PRIVATE_KEY` the private P-256 scalar (32 bytes), `VAPID_PUBLIC_KEY` the
uncompressed public point (65 bytes). `manage.py vapid_keys` makes a pair.

`send_push` never raises for what happens on the way: it returns a `PushOutcome` that
says in words what went wrong, and `gone` when the push service says the subscription
no longer exists (404, 410), so that the caller forgets it.
"""

import base64
import binascii
import http
import ipaddress
import json
import logging
import os
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from py_vapid import jwt

from sources import outbound

logger = logging.getLogger(__name__)

#: The largest body a push service must accept (RFC 8030 section 7.2); with the
#: aes128gcm header, padding delimiter and tag, about 3990 bytes of JSON.
MAX_BODY_BYTES = 4096
#: How long the signature holds; RFC 8292 allows at most 24 hours.
SIGNATURE_SECONDS = 12 * 60 * 60
URGENCIES = ("very-low", "low", "normal", "high")
#: Push services answer 201 and an empty body; more than this is refused.
MAX_ANSWER_BYTES = 64 * 1024

_GONE = frozenset({404, 410})
_WHY = {
    400: "it could not read the request",
    401: "it did not accept this server's signature",
    403: "it did not accept this server's signature (the browser may have subscribed "
    "with another key)",
    404: "the subscription no longer exists",
    410: "the subscription no longer exists",
    413: "the message is too large",
}


@dataclass(frozen=True)
class PushTarget:
    """Where one browser receives push messages, as its `PushSubscription` says."""

    endpoint: str
    #: The browser's public key (base64url, uncompressed P-256 point).
    p256dh: str
    #: The browser's auth secret (base64url, 16 bytes).
    auth: str


@dataclass(frozen=True)
class PushOutcome:
    ok: bool
    #: The push service says the subscription no longer exists: forget it.
    gone: bool = False
    #: The push service's HTTP status, when it answered.
    status: int | None = None
    #: What went wrong, in words ("the push service answered 429 (too many requests)").
    error: str = ""
    #: Seconds the push service asked to wait before trying again (Retry-After).
    retry_after: float | None = None


def push_configured() -> bool:
    """Whether this server has VAPID keys, without which no push can be sent."""
    return bool(settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY)


def public_key() -> str:
    """The server's public key as a page gives it to `pushManager.subscribe()`
    (`applicationServerKey`: base64url, uncompressed P-256 point). Raises
    `ImproperlyConfigured` when the keys are missing, unreadable or not a pair."""
    return _server_keys(settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY)[1]


def new_key_pair() -> tuple[str, str]:
    """A new VAPID key pair: (private key, public key), in the settings' format."""
    private = ec.generate_private_key(ec.SECP256R1())
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    return _b64(scalar), _b64(_point(private.public_key()))


def send_push(
    target: PushTarget,
    payload: dict,
    *,
    ttl: int = 86400,
    urgency: str = "normal",
    fetch: Callable[..., outbound.Response] = outbound.fetch,
) -> PushOutcome:
    """Send `payload` (a JSON object) to the browser of `target`. `ttl`: seconds the
    push service keeps the message for a browser that is offline (0: now or never);
    `urgency`: one of `URGENCIES`, which lets a phone decide whether to wake for it."""
    if urgency not in URGENCIES:
        raise ValueError(f"urgency is one of {', '.join(URGENCIES)}, not {urgency!r}")
    if ttl < 0:
        raise ValueError(f"ttl is zero or more seconds, not {ttl}")
    if not push_configured():
        return PushOutcome(ok=False, error="push is not set up on this server (no VAPID keys)")
    try:
        private_key, server_public = _server_keys(
            settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY
        )
    except ImproperlyConfigured as exc:
        logger.error("Push cannot be sent: %s", exc)
        return PushOutcome(ok=False, error="push is not set up correctly on this server")
    refused = refused_endpoint(target.endpoint)
    if refused:
        return PushOutcome(ok=False, error=refused)
    try:
        body = _encrypted(target, payload)
    except ValueError as exc:
        return PushOutcome(ok=False, error=str(exc))
    if len(body) > MAX_BODY_BYTES:
        return PushOutcome(
            ok=False,
            error=f"the message is too large for push ({len(body):,} bytes encrypted, "
            f"at most {MAX_BODY_BYTES:,})",
        )
    headers = {
        "Authorization": _authorization(target.endpoint, private_key, server_public),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(int(ttl)),
        "Urgency": urgency,
    }
    return _post(target.endpoint, headers, body, fetch)


def _post(
    endpoint: str, headers: dict[str, str], body: bytes, fetch: Callable[..., outbound.Response]
) -> PushOutcome:
    """One POST to the push service, and what came of it, in words."""
    options = {}
    if urllib.parse.urlsplit(endpoint).scheme.casefold() == "http":
        options["resolve"] = _allowed_networks_only
    try:
        answer = fetch(
            endpoint, method="POST", headers=headers, body=body, limits=_limits(), **options
        )
    except outbound.TooManyRedirects:
        return PushOutcome(
            ok=False, error="the push service answered with a redirect, which push does not follow"
        )
    except outbound.ErrorStatus as exc:
        return _refused_by_service(exc.status, exc.retry_after)
    except outbound.RefusedByPolicy as exc:
        return PushOutcome(
            ok=False, error=f"the push endpoint at {exc.host} is refused: {exc.reason}"
        )
    except outbound.FetchFailed as exc:
        return PushOutcome(
            ok=False,
            error=f"the push service at {exc.host} could not be reached: {exc.reason}",
            retry_after=exc.retry_after,
        )
    except Exception:
        # A fault of ours, not the push service's: logged, and a failed outcome, so the
        # notice moves on (another channel, a later try) instead of stalling.
        logger.exception("Sending a push message failed unexpectedly.")
        return PushOutcome(ok=False, error="it could not be sent, because of an error on our side")
    if 200 <= answer.status < 300:
        return PushOutcome(ok=True, status=answer.status)
    return _refused_by_service(answer.status, None)


# Keys and signature -------------------------------------------------------------------


@lru_cache(maxsize=4)
def _server_keys(private_text: str, public_text: str) -> tuple[ec.EllipticCurvePrivateKey, str]:
    """The private key and the public key's text, checked to be a pair."""
    if not private_text or not public_text:
        raise ImproperlyConfigured(
            "Push needs VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY (manage.py vapid_keys makes them)."
        )
    try:
        scalar = _unb64(private_text)
        if len(scalar) != 32:
            raise ValueError
        private_key = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
    except ValueError as exc:
        raise ImproperlyConfigured(
            "VAPID_PRIVATE_KEY is not a P-256 private key written as 32 bytes in base64url "
            "(manage.py vapid_keys makes one)."
        ) from exc
    try:
        given = _unb64(public_text)
    except ValueError:
        given = b""
    if given != _point(private_key.public_key()):
        raise ImproperlyConfigured(
            "VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY (both come from "
            "one run of manage.py vapid_keys)."
        )
    return private_key, _b64(given)


def _authorization(endpoint: str, private_key: ec.EllipticCurvePrivateKey, public: str) -> str:
    claims = {
        "aud": _origin(endpoint),
        "exp": int(time.time()) + SIGNATURE_SECONDS,
        "sub": settings.VAPID_SUBJECT,
    }
    return f"vapid t={jwt.sign(claims, private_key)},k={public}"


def _origin(url: str) -> str:
    """The origin of `url` (scheme, host and a port other than the scheme's default),
    which a VAPID signature names as its audience."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.casefold()
    host = (parts.hostname or "").casefold()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == {"https": 443, "http": 80}.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _encrypted(target: PushTarget, payload: dict) -> bytes:
    """The payload as an aes128gcm body for the browser's keys (RFC 8291: a fresh
    ephemeral key and salt per message)."""
    try:
        browser_key = _unb64(target.p256dh)
        auth_secret = _unb64(target.auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), browser_key)
    except ValueError as exc:
        raise ValueError("the subscription's keys are not valid") from exc
    if len(auth_secret) != 16:
        raise ValueError("the subscription's keys are not valid")
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return http_ece.encrypt(
        data,
        salt=os.urandom(16),
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=browser_key,
        auth_secret=auth_secret,
        version="aes128gcm",
    )


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


# The way there ------------------------------------------------------------------------


def _limits() -> outbound.Limits:
    return outbound.Limits(
        deadline=15.0, read_timeout=10.0, max_bytes=MAX_ANSWER_BYTES, max_redirects=0
    )


def refused_endpoint(endpoint: str) -> str:
    """Why `endpoint` is not sent to at all, or "": only https, and http to an
    address in an allowed network (checked when it resolves, `_allowed_networks_only`)."""
    try:
        parts = urllib.parse.urlsplit(endpoint)
        host = parts.hostname
    except ValueError:
        host = None
    if not host:
        return "the push endpoint is not a valid web address"
    scheme = parts.scheme.casefold()
    if scheme == "http" and outbound.allowed_networks():
        return ""
    if scheme != "https":
        return f"the push endpoint at {host} is refused: it is not https"
    return ""


def _allowed_networks_only(host: str, port: int) -> list[str]:
    """The system resolver's answer, when every address is in an allowed network: plain
    http goes nowhere else, and the addresses checked here are the ones connected to."""
    found = outbound.system_resolver(host, port)
    allowed = outbound.allowed_networks()
    for text in found:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        address = getattr(address, "ipv4_mapped", None) or address
        if not any(address.version == net.version and address in net for net in allowed):
            raise outbound.RefusedByPolicy(
                f"[{host}]" if ":" in host else host,
                "it is not https, and plain http is only sent to allowed networks",
            )
    return found


def _refused_by_service(status: int, retry_after: float | None) -> PushOutcome:
    try:
        phrase = http.HTTPStatus(status).phrase.lower()
    except ValueError:
        phrase = "an unknown status"
    error = f"the push service answered {status} ({phrase})"
    if status in _WHY:
        error += f": {_WHY[status]}"
    elif status >= 500:
        error += ": it had a problem"
    return PushOutcome(
        ok=False, gone=status in _GONE, status=status, error=error, retry_after=retry_after
    )
