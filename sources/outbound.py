"""The one way the server fetches a web address for a user (a calendar feed, a
provider's API, an outgoing webhook): safe from server-side request forgery by
construction.

- Only http and https, with no user name or password in the address.
- The host is resolved once, and every address it resolves to is checked: loopback,
  private, shared (100.64/10), link-local, multicast, reserved, documentation and
  unspecified ranges are refused, whichever notation named them (an IPv6 literal, an
  IPv4-mapped IPv6 address, a decimal, octal, hex or short IPv4 form all resolve to
  the same address before it is judged; NAT64 and 6to4 addresses are judged by the
  IPv4 address they embed). The operator's `OUTBOUND_ALLOW_NETWORKS` lets chosen
  networks through (a feed served on the home network).
- The connection is made to the checked address itself, never to the name again, so
  a DNS answer that changes in between (rebinding) changes nothing; the Host header,
  TLS server name and certificate check still use the name.
- Redirects are followed here, at most `Limits.max_redirects`, each target checked
  like the first address. Credentials are not carried to another origin.
- One deadline bounds the whole fetch (resolution aside: the system resolver has its
  own timeouts), redirects included, besides the timeout of each read: a server that
  trickles one byte at a time is cut off when the deadline passes. The body is
  refused as soon as it outgrows `Limits.max_bytes`. No proxy from the environment is
  used and no compressed body is asked for.

Errors (`FetchFailed` and its kinds) say in a user's words that the address could not
be fetched and why, in terms the user can act on. They never repeat what the other
side answered beyond the HTTP status code: a refused, reset or closed connection and a
reply that is not HTTP all read "could not be reached". `transient` tells whether
trying again later may help (timeouts, connection failures, 5xx, 408, 429 with their
Retry-After).

Why our own transport: the SSRF-safe clients on PyPI are asynchronous httpx
wrappers (the worker is synchronous) or unmaintained requests adapters, and some
resolve names through a public DNS server instead of the system's. The transport here
is http.client over a socket we connect ourselves.
"""

import contextlib
import datetime as dt
import email.utils
import http.client
import ipaddress
import math
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Resolves (host, port) to the IP addresses, as text, to connect to.
Resolver = Callable[[str, int], Sequence[str]]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Answers to a conditional request (If-None-Match, If-Modified-Since) that are
#: returned to the caller, not raised: "not modified" and "precondition failed".
CONDITIONAL = frozenset({304, 412})
#: Headers not carried along a redirect to another origin.
_PRIVATE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    #: Seconds for the whole fetch, redirects included.
    deadline: float = 30.0
    #: Seconds to wait to connect, and for each read.
    read_timeout: float = 10.0
    #: The largest body read; a larger one is refused.
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    #: The body of a 2xx answer; empty for 304 and 412.
    body: bytes
    #: Where the answer came from, after redirects.
    url: str


# Errors -------------------------------------------------------------------------------


class FetchFailed(Exception):
    """An address that could not be fetched, with a reason the user can act on."""

    transient: ClassVar[bool] = False

    def __init__(self, host: str, reason: str, *, retry_after: float | None = None):
        self.host = host
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(self.describe())

    def describe(self, what: str = "The address") -> str:
        """The message, naming what was fetched ("The calendar feed")."""
        return f"{what} at {self.host} could not be fetched: {self.reason}."


class RefusedByPolicy(FetchFailed):
    """Not attempted: a scheme, address or network the server does not fetch from."""


class TimedOut(FetchFailed):
    transient = True


class Unreachable(FetchFailed):
    """No usable HTTP answer: refused, reset or closed connections, TLS failures, a
    reply that is not HTTP, a name that does not resolve for now."""

    transient = True


class HostNotFound(FetchFailed):
    """The name does not exist in DNS."""


class CertificateRefused(FetchFailed):
    pass


class TooLarge(FetchFailed):
    pass


class TooManyRedirects(FetchFailed):
    pass


class ErrorStatus(FetchFailed):
    """An HTTP answer that is an error; only its status code is kept."""

    def __init__(self, host: str, reason: str, *, status: int, retry_after: float | None = None):
        self.status = status
        super().__init__(host, reason, retry_after=retry_after)


class NotFound(ErrorStatus):
    pass


class NotAllowed(ErrorStatus):
    pass


class ServerTrouble(ErrorStatus):
    """5xx, 408 and 429: worth trying again, after Retry-After when given."""

    transient = True


class RequestRefused(ErrorStatus):
    pass


def error_for_status(
    host: str, status: int, headers: Mapping[str, str], now: dt.datetime
) -> ErrorStatus:
    if status in (404, 410):
        return NotFound(host, f"nothing was found there (HTTP {status})", status=status)
    if status in (401, 403):
        return NotAllowed(host, f"access was not allowed (HTTP {status})", status=status)
    if status >= 500 or status in (408, 429):
        wait = retry_after(headers.get("Retry-After"), now)
        trouble = "was busy" if status in (408, 429) else "had a problem"
        return ServerTrouble(
            host, f"the server {trouble} (HTTP {status})", status=status, retry_after=wait
        )
    if 400 <= status < 500:
        return RequestRefused(
            host, f"the server refused the request (HTTP {status})", status=status
        )
    return RequestRefused(
        host, f"the server's answer could not be used (HTTP {status})", status=status
    )


def retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP date; None if unread."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, (when - now).total_seconds())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


# Which addresses ----------------------------------------------------------------------


def _networks(*cidrs: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


#: Never fetched, even from an allowed network: "this host" and multicast.
_NEVER = _networks("0.0.0.0/8", "224.0.0.0/4", "255.255.255.255/32", "::/128", "ff00::/8")
#: Not globally reachable (IANA special-purpose registries), spelled out rather than
#: left to `ipaddress` alone, whose idea of "private" changed between Python releases.
_NOT_PUBLIC = _networks(
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/8",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _public(address: Address) -> bool:
    if any(address in network for network in _NOT_PUBLIC):
        return False
    flags = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
        getattr(address, "is_site_local", False),
    )
    return address.is_global and not any(flags)


def _judged(address: Address) -> list[Address]:
    """The addresses that decide: an IPv4-mapped or NAT64 address is its IPv4 address;
    a 6to4 one is itself and the IPv4 address it embeds."""
    if isinstance(address, ipaddress.IPv4Address):
        return [address]
    if address.scope_id:
        address = ipaddress.IPv6Address(int(address))
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return [address, address.sixtofour]
    return [address]


def permitted(address: Address, allowed: Iterable[Network] = ()) -> bool:
    """Whether the server may connect to `address`: a public address, or one in an
    allowed network (never "this host" or multicast)."""
    allowed = tuple(allowed)
    judged = _judged(address)
    if any(part in network for part in judged for network in _NEVER):
        return False
    return all(
        _public(part) or any(part.version == net.version and part in net for net in allowed)
        for part in judged
    )


def allowed_networks() -> tuple[Network, ...]:
    """The networks the operator allows (`OUTBOUND_ALLOW_NETWORKS`)."""
    return _parsed_networks(tuple(getattr(settings, "OUTBOUND_ALLOW_NETWORKS", ()) or ()))


@lru_cache(maxsize=8)
def _parsed_networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"OUTBOUND_ALLOW_NETWORKS holds something that is not a network: {exc}"
        ) from exc


def plainly_internal(host: str) -> bool:
    """Whether a host name is, as written, an address the server may not fetch from:
    a literal address in any notation the system's resolver reads (`127.1`,
    `0x7f.1`, `2130706433`, `[::ffff:127.0.0.1]`) or a `localhost` name. For a
    settings form, to say so at once; `fetch` checks every resolved address anyway."""
    name = host.strip("[]").rstrip(".").casefold()
    if name == "localhost" or name.endswith(".localhost"):
        name = "127.0.0.1"
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return False
    return not permitted(address, allowed_networks())


def system_resolver(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


# The address --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    #: Path and query, as sent in the request line.
    target: str
    url: str

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def _target(url: str, shown_host: str, *, redirected: bool = False) -> _Target:
    where = "it redirects to an address that" if redirected else "the address"
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.casefold()
    if scheme not in ("http", "https"):
        raise RefusedByPolicy(shown_host, f"{where} is not http or https")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host:
        raise RefusedByPolicy(shown_host, f"{where} is not a valid web address")
    if parts.username is not None or parts.password is not None:
        raise RefusedByPolicy(shown_host, f"{where} holds a user name or password")
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise RefusedByPolicy(shown_host, f"{where} is not a valid web address")
    port = port or (443 if scheme == "https" else 80)
    return _Target(scheme=scheme, host=host, port=port, target=target, url=url)


def _resolved(
    target: _Target, shown_host: str, resolve: Resolver, redirected: bool
) -> list[Address]:
    try:
        found = resolve(target.host, target.port)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)):
            raise HostNotFound(shown_host, "no server of that name exists") from exc
        raise Unreachable(shown_host, "the server could not be reached") from exc
    except (OSError, UnicodeError, ValueError) as exc:
        raise HostNotFound(shown_host, "no server of that name exists") from exc
    addresses = [ipaddress.ip_address(text) for text in found]
    if not addresses:
        raise HostNotFound(shown_host, "no server of that name exists")
    allowed = allowed_networks()
    if not all(permitted(address, allowed) for address in addresses):
        where = "it redirects to" if redirected else "it points to"
        raise RefusedByPolicy(
            shown_host, f"{where} a private or local network, which is not allowed"
        )
    return addresses


# The connection -----------------------------------------------------------------------


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def passed(self) -> bool:
        return self.remaining() <= 0


class _Watchdog:
    """Shuts the socket down when the deadline passes, which ends any read in progress
    (a header line or a body trickling in byte by byte)."""

    def __init__(self, sock: socket.socket, deadline: _Deadline):
        self.fired = False
        self.sock = sock
        self._timer = threading.Timer(max(deadline.remaining(), 0), self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):  # the plain socket's: under TLS too
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()


def _connect(
    addresses: list[Address], port: int, read_timeout: float, deadline: _Deadline
) -> socket.socket:
    """A socket connected to the first of the checked `addresses` that answers, each
    tried for `read_timeout` at most, and all of them within the deadline."""
    failure: OSError = TimeoutError()
    for address in addresses:
        timeout = min(read_timeout, deadline.remaining())
        if timeout <= 0:
            raise TimeoutError
        mapped = getattr(address, "ipv4_mapped", None)
        address = mapped or address
        if address.version == 4:
            family, sockaddr = socket.AF_INET, (str(address), port)
        else:
            family, sockaddr = socket.AF_INET6, (str(address), port, 0, 0)
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            failure = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise failure


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@dataclass
class _Request:
    method: str
    headers: dict[str, str]
    body: bytes | None


def _exchange(
    target: _Target,
    addresses: list[Address],
    request: _Request,
    limits: Limits,
    deadline: _Deadline,
    shown_host: str,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request to one checked address: the status, headers, and (for 2xx) the body."""
    timed_out = TimedOut(shown_host, f"it timed out (no answer within {limits.read_timeout:g} s)")
    too_slow = TimedOut(shown_host, f"it timed out (not done within {deadline.seconds:g} s)")
    try:
        sock = _connect(addresses, target.port, limits.read_timeout, deadline)
    except TimeoutError as exc:
        raise (too_slow if deadline.passed() else timed_out) from exc
    except OSError as exc:
        raise Unreachable(shown_host, "the server could not be reached") from exc
    connection = http.client.HTTPConnection(target.host, target.port, timeout=limits.read_timeout)
    try:
        with _Watchdog(sock, deadline) as watchdog:
            try:
                sock.settimeout(limits.read_timeout)
                if target.scheme == "https":
                    sock = _tls_context().wrap_socket(sock, server_hostname=target.host)
                    watchdog.sock = sock
                connection.sock = sock
                headers = {
                    **{k: v for k, v in request.headers.items() if k.casefold() != "host"},
                    "Host": target.host_header,
                }
                connection.request(
                    request.method, target.target, body=request.body, headers=headers
                )
                response = connection.getresponse()
                body = b""
                if 200 <= response.status < 300:
                    stopped = lambda: watchdog.fired or deadline.passed()  # noqa: E731
                    body = _read_body(response, limits, stopped, shown_host)
                return response.status, response.headers, body
            except ssl.SSLCertVerificationError as exc:
                raise CertificateRefused(
                    shown_host, "its certificate could not be verified"
                ) from exc
            except TimeoutError as exc:
                raise (too_slow if watchdog.fired or deadline.passed() else timed_out) from exc
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if watchdog.fired or deadline.passed():
                    raise too_slow from exc
                raise Unreachable(shown_host, "the server could not be reached") from exc
    finally:
        connection.close()
        sock.close()


def _read_body(
    response: http.client.HTTPResponse,
    limits: Limits,
    stopped: Callable[[], bool],
    shown_host: str,
) -> bytes:
    """The body, read one system call at a time so that the deadline is checked
    between reads; `TimeoutError` when it passed, `IncompleteRead` when cut short."""
    too_large = TooLarge(shown_host, f"it is larger than {_size(limits.max_bytes)}")
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > limits.max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(_CHUNK)
        if stopped():
            raise TimeoutError
        if not chunk:
            if response.length:
                raise http.client.IncompleteRead(b"", response.length)
            return b"".join(chunks)
        size += len(chunk)
        if size > limits.max_bytes:
            raise too_large
        chunks.append(chunk)


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit:,} bytes"


# Fetching -----------------------------------------------------------------------------


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    limits: Limits = Limits(),
    resolve: Resolver = system_resolver,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Response:
    """The answer at `url`: a 2xx with its body, or a 304 or 412 (answers to the
    conditional headers a caller may send); any other outcome raises `FetchFailed`.
    Messages name the first address's host only (a path can be a secret)."""
    shown_host = _shown_host(url)
    deadline = _Deadline(limits.deadline)
    request = _Request(method=method.upper(), headers=dict(headers or {}), body=body)
    target = _target(url, shown_host)
    redirected = False
    for _hop in range(limits.max_redirects + 1):
        addresses = _resolved(target, shown_host, resolve, redirected)
        if deadline.passed():
            raise TimedOut(shown_host, f"it timed out (not done within {deadline.seconds:g} s)")
        status, answered, content = _exchange(
            target, addresses, request, limits, deadline, shown_host
        )
        if status not in REDIRECTS:
            if 200 <= status < 300 or status in CONDITIONAL:
                return Response(status=status, headers=answered, body=content, url=target.url)
            raise error_for_status(shown_host, status, answered, clock())
        location = answered.get("Location")
        if not location:
            raise RequestRefused(
                shown_host, f"the server's answer could not be used (HTTP {status})", status=status
            )
        following = _target(
            urllib.parse.urljoin(target.url, location.strip()), shown_host, redirected=True
        )
        request = _redirected(request, status, same_origin=following.origin == target.origin)
        target, redirected = following, True
    raise TooManyRedirects(shown_host, f"it redirects more than {limits.max_redirects} times")


def _redirected(request: _Request, status: int, *, same_origin: bool) -> _Request:
    """The request to repeat at a redirect's target: 303 (and 301/302 after a POST)
    becomes a GET without body; credentials stay with their origin."""
    method, body = request.method, request.body
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
    headers = dict(request.headers)
    if body is None:
        headers = {
            k: v
            for k, v in headers.items()
            if k.casefold() not in ("content-type", "content-length")
        }
    if not same_origin:
        headers = {k: v for k, v in headers.items() if k.casefold() not in _PRIVATE_HEADERS}
    return _Request(method=method, headers=headers, body=body)


def _shown_host(url: str) -> str:
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        return "that address"
    return f"[{host}]" if ":" in host else host
