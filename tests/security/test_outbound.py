"""The outbound client (`sources/outbound.py`) under attack: internal addresses in every
notation, by name and by redirect, DNS rebinding, slow and huge answers, redirect
loops, and what its errors let slip of an internal service. Real HTTP servers on
loopback (127.0.0.1, .2 and .3: Linux gives the whole 127/8 to loopback); addresses
outside loopback are only ever given to the client through a resolver passed in, and
the test proves that no connection was attempted, by a Python audit hook that sees
every `socket.connect` of the process (no monkeypatching)."""

import contextlib
import ipaddress
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from measurements.models import Measurement
from sources import outbound
from sources.models import DataSource, RunStatus, SyncRun
from sources.outbound import (
    CertificateRefused,
    FetchFailed,
    Limits,
    RefusedByPolicy,
    TimedOut,
    TooLarge,
    TooManyRedirects,
    Unreachable,
    fetch,
    permitted,
)
from tests.factories import MetricFactory
from tests.processes import free_port, run_queued

GYM = (Path(__file__).parents[1] / "sources" / "files" / "gym.ics").read_bytes()
FAST = Limits(deadline=5.0, read_timeout=2.0)


# Watching connections --------------------------------------------------------------------

_watching: list[list] = []


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect" and _watching:
        _watching[-1].append(args[1])


sys.addaudithook(_audit)  # audit hooks cannot be removed: it records only when asked


@contextlib.contextmanager
def connections():
    """The addresses this process connects to inside the block."""
    seen: list = []
    _watching.append(seen)
    try:
        yield seen
    finally:
        _watching.remove(seen)


# Servers ---------------------------------------------------------------------------------


class Site:
    """An HTTP server on a loopback address that answers each path with a handler
    function, and counts the TCP connections it accepts."""

    def __init__(self, host: str, port: int = 0):
        self.routes = {}
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address):
                site.connections += 1
                return True

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                site.requests.append((path, dict(self.headers)))
                with contextlib.suppress(OSError):
                    site.routes.get(path, _not_found)(self)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = Server((host, port), Handler)
        self.host, self.port = host, self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str = "/feed.ics") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _not_found(handler):
    _answer(handler, 404, b"not here")


def _answer(handler, status: int, body: bytes = b"", reason: str | None = None, **headers):
    handler.send_response(status, reason)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def feed(**headers):
    return lambda handler: _answer(handler, 200, GYM, Content_Type="text/calendar", **headers)


def redirect(location: str, status: int = 302):
    return lambda handler: _answer(handler, status, Location=location)


def trickle(every: float, *, head: bool = False):
    """One byte every `every` seconds, of the body or already of the status line."""

    def handler(handler):
        if not head:
            handler.send_response(200)
            handler.end_headers()
        for byte in b"HTTP/1.0 200 OK\r\n" if head else b"BEGIN:VCALENDAR\r\n" * 10:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(every)

    return handler


@pytest.fixture
def site():
    started = Site("127.0.0.1")
    yield started
    started.close()


@pytest.fixture
def other_site():
    started = Site("127.0.0.2")
    yield started
    started.close()


@pytest.fixture
def third_site():
    started = Site("127.0.0.3")
    yield started
    started.close()


@pytest.fixture
def loopback_allowed():
    with override_settings(OUTBOUND_ALLOW_NETWORKS=["127.0.0.0/8"]):
        yield


def resolving_to(*addresses: str):
    calls: list[str] = []

    def resolve(host, port):
        calls.append(host)
        return list(addresses)

    resolve.calls = calls
    return resolve


# Internal addresses, in every notation -----------------------------------------------------

LOOPBACK_NOTATIONS = [
    "127.0.0.1",
    "127.1",  # short form
    "2130706433",  # decimal
    "0177.0.0.1",  # octal
    "0x7f.1",  # hex, short
    "0x7f000001",
    "017700000001",
    "127.0.0.2",
    "[::1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "[::127.0.0.1]",  # IPv4-compatible (deprecated)
    "0.0.0.0",  # connects to this host on Linux
    "0",
    "[::]",
    "localhost",
]


@pytest.mark.parametrize("host", LOOPBACK_NOTATIONS)
def test_loopback_in_any_notation_is_refused_before_connecting(site, host):
    site.routes["/feed.ics"] = feed()

    with connections() as made, pytest.raises(RefusedByPolicy) as refused:
        fetch(f"http://{host}:{site.port}/feed.ics", limits=FAST)

    assert "could not be fetched: it points to a private or local network" in str(refused.value)
    assert made == []
    assert site.connections == 0
    assert not refused.value.transient


PRIVATE_ADDRESSES = [
    "10.0.0.5",
    "172.16.3.4",
    "192.168.1.10",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "192.0.0.170",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "0.1.2.3",
    "fd00::1",  # unique local
    "fe80::1",  # link-local
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "::",
    "::1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001::1",  # Teredo
    "2001:db8::1",  # documentation
    "100::1",  # discard
]


@pytest.mark.parametrize("address", PRIVATE_ADDRESSES)
def test_a_name_resolving_to_an_internal_address_is_refused_before_connecting(address):
    resolve = resolving_to(address)

    with connections() as made, pytest.raises(RefusedByPolicy, match="private or local"):
        fetch("https://calendar.example.com/feed.ics", resolve=resolve, limits=FAST)

    assert made == []
    assert resolve.calls == ["calendar.example.com"]
    assert not permitted(ipaddress.ip_address(address))


def test_one_internal_address_among_public_ones_refuses_the_name():
    resolve = resolving_to("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "10.1.1.1")

    with connections() as made, pytest.raises(RefusedByPolicy):
        fetch("http://feed.example.com/", resolve=resolve, limits=FAST)
    assert made == []


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1"],
)
def test_public_addresses_are_permitted(address):
    assert permitted(ipaddress.ip_address(address))


def test_allowed_networks_let_chosen_private_addresses_through_and_no_others():
    lan = [ipaddress.ip_network("192.168.1.0/24"), ipaddress.ip_network("fd00::/8")]

    assert permitted(ipaddress.ip_address("192.168.1.20"), lan)
    assert permitted(ipaddress.ip_address("::ffff:192.168.1.20"), lan)
    assert permitted(ipaddress.ip_address("fd00::20"), lan)
    assert not permitted(ipaddress.ip_address("192.168.2.20"), lan)
    assert not permitted(ipaddress.ip_address("127.0.0.1"), lan)
    # "This host" and multicast stay refused whatever is allowed.
    everything = [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
    for never in ("0.0.0.0", "0.0.0.1", "224.0.0.1", "::", "ff02::1"):
        assert not permitted(ipaddress.ip_address(never), everything)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/feed.ics",
        "gopher://127.0.0.1:6379/_INFO",
        "dict://127.0.0.1:11211/stats",
        "http://user:secret@example.com/feed.ics",
        "http://127.0.0.1\\@example.com/",  # a user name for urlsplit, a host for others
        "http://exa mple.com/",
        "http:///feed.ics",
        "http://example.com:99999/",
    ],
)
def test_addresses_that_are_not_plain_web_addresses_are_refused(url):
    with connections() as made, pytest.raises(RefusedByPolicy, match="could not be fetched"):
        fetch(url, resolve=resolving_to("93.184.215.14"), limits=FAST)
    assert made == []


def test_the_operator_can_allow_a_network(site):
    site.routes["/feed.ics"] = feed()

    with override_settings(OUTBOUND_ALLOW_NETWORKS=["127.0.0.0/30"]):
        answer = fetch(site.url(), limits=FAST)

    assert (answer.status, answer.body) == (200, GYM)


def test_a_setting_that_is_not_a_network_is_a_configuration_error():
    with (
        override_settings(OUTBOUND_ALLOW_NETWORKS=["192.168.1.0/24", "my-lan"]),
        pytest.raises(ImproperlyConfigured, match="OUTBOUND_ALLOW_NETWORKS"),
    ):
        fetch("http://feed.example.com/", resolve=resolving_to("192.168.1.2"), limits=FAST)


# The checked address is the one connected to ------------------------------------------------


def test_the_name_is_resolved_once_and_the_checked_address_connected_to(other_site):
    """DNS rebinding: a resolver that answers an allowed address first and an internal
    one afterwards never gets asked twice; the request still names the host."""
    other_site.routes["/feed.ics"] = feed()
    site = Site("127.0.0.1", other_site.port)  # the same port on an internal address
    site.routes["/feed.ics"] = lambda handler: _answer(handler, 200, b"internal secret")
    answers = iter([["127.0.0.2"], ["127.0.0.1"]])
    asked: list[str] = []

    def rebinding(host, port):
        asked.append(host)
        return next(answers)

    with (
        override_settings(OUTBOUND_ALLOW_NETWORKS=["127.0.0.2/32"]),
        connections() as made,
    ):
        answer = fetch(f"http://feed.example.com:{site.port}/feed.ics", resolve=rebinding)

    assert answer.body == GYM
    assert asked == ["feed.example.com"]
    site.close()
    assert made == [("127.0.0.2", site.port)]
    assert site.connections == 0
    _path, headers = other_site.requests[0]
    assert headers["Host"] == f"feed.example.com:{site.port}"


def test_the_next_checked_address_is_tried_when_one_does_not_answer(other_site):
    other_site.routes["/feed.ics"] = feed()
    resolve = resolving_to("127.0.0.3", "127.0.0.2")

    with (
        override_settings(OUTBOUND_ALLOW_NETWORKS=["127.0.0.2/32", "127.0.0.3/32"]),
        connections() as made,
    ):
        answer = fetch(f"http://feed.example.com:{other_site.port}/feed.ics", resolve=resolve)

    assert answer.body == GYM
    assert made == [("127.0.0.3", other_site.port), ("127.0.0.2", other_site.port)]


# Redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/feed.ics",
        "http://2130706433:{port}/feed.ics",
        "http://0x7f.1:{port}/feed.ics",
        "http://[::ffff:127.0.0.1]:{port}/feed.ics",
        "http://localhost:{port}/feed.ics",
    ],
)
def test_a_redirect_to_an_internal_address_is_refused(site, other_site, location):
    site.routes["/feed.ics"] = feed()
    other_site.routes["/feed.ics"] = redirect(location.format(port=site.port))

    with (
        override_settings(OUTBOUND_ALLOW_NETWORKS=["127.0.0.2/32"]),
        connections() as made,
        pytest.raises(RefusedByPolicy) as refused,
    ):
        fetch(other_site.url(), limits=FAST)

    assert str(refused.value) == (
        "The address at 127.0.0.2 could not be fetched: it redirects to a private or local "
        "network, which is not allowed."
    )
    assert made == [("127.0.0.2", other_site.port)]
    assert site.connections == 0


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "gopher://127.0.0.2/", "ftp://example.com/x"]
)
def test_a_redirect_to_another_scheme_is_refused(other_site, loopback_allowed, location):
    other_site.routes["/feed.ics"] = redirect(location)

    with pytest.raises(RefusedByPolicy, match="redirects to an address that is not http"):
        fetch(other_site.url(), limits=FAST)
    assert other_site.connections == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_followed_and_checked(site, other_site, loopback_allowed, status):
    other_site.routes["/old.ics"] = redirect(site.url(), status)
    site.routes["/feed.ics"] = feed(ETag='"v1"')

    answer = fetch(other_site.url("/old.ics"), limits=FAST)

    assert (answer.status, answer.body, answer.url) == (200, GYM, site.url())
    assert answer.headers["ETag"] == '"v1"'


def test_five_redirects_are_followed_and_the_sixth_is_refused(site, loopback_allowed):
    for hop in range(6):
        site.routes[f"/{hop}"] = redirect(f"/{hop + 1}")
    site.routes["/5"] = feed()

    assert fetch(site.url("/0"), limits=FAST).body == GYM
    site.routes["/loop"] = redirect("/loop")
    site.connections = 0

    with pytest.raises(TooManyRedirects, match="it redirects more than 5 times"):
        fetch(site.url("/loop"), limits=FAST)
    assert site.connections == 6


def test_credentials_do_not_follow_a_redirect_to_another_origin(site, other_site, loopback_allowed):
    other_site.routes["/feed.ics"] = redirect(site.url())
    site.routes["/feed.ics"] = feed()

    fetch(
        other_site.url(),
        headers={"Authorization": "Bearer feed-token", "If-None-Match": '"v1"'},
        limits=FAST,
    )

    assert other_site.requests[0][1]["Authorization"] == "Bearer feed-token"
    followed = site.requests[0][1]
    assert "Authorization" not in followed
    assert followed["If-None-Match"] == '"v1"'


# Conditional requests ------------------------------------------------------------------------


def test_conditional_headers_pass_through_and_304_and_412_are_answers(site, loopback_allowed):
    site.routes["/same.ics"] = lambda handler: _answer(handler, 304, ETag='"v1"')
    site.routes["/refused.ics"] = lambda handler: _answer(handler, 412)
    conditional = {"If-None-Match": '"v1"', "If-Modified-Since": "Wed, 01 Apr 2026 08:00:00 GMT"}

    same = fetch(site.url("/same.ics"), headers=conditional, limits=FAST)
    refused = fetch(site.url("/refused.ics"), headers=conditional, limits=FAST)

    assert (same.status, same.body, same.headers["ETag"]) == (304, b"", '"v1"')
    assert refused.status == 412
    assert site.requests[0][1]["If-None-Match"] == '"v1"'
    assert site.requests[0][1]["If-Modified-Since"] == conditional["If-Modified-Since"]


@pytest.mark.parametrize(
    ("status", "kind", "transient", "reason"),
    [
        (404, outbound.NotFound, False, "nothing was found there (HTTP 404)"),
        (410, outbound.NotFound, False, "nothing was found there (HTTP 410)"),
        (401, outbound.NotAllowed, False, "access was not allowed (HTTP 401)"),
        (403, outbound.NotAllowed, False, "access was not allowed (HTTP 403)"),
        (400, outbound.RequestRefused, False, "the server refused the request (HTTP 400)"),
        (500, outbound.ServerTrouble, True, "the server had a problem (HTTP 500)"),
        (503, outbound.ServerTrouble, True, "the server had a problem (HTTP 503)"),
        (408, outbound.ServerTrouble, True, "the server was busy (HTTP 408)"),
        (429, outbound.ServerTrouble, True, "the server was busy (HTTP 429)"),
    ],
)
def test_error_answers_say_what_to_do_and_nothing_the_server_said(
    site, loopback_allowed, status, kind, transient, reason
):
    site.routes["/feed.ics"] = lambda handler: _answer(
        handler, status, b"password=hunter2", reason="Database db-7 is on fire", Retry_After="120"
    )

    with pytest.raises(kind) as raised:
        fetch(site.url(), limits=FAST)

    error = raised.value
    assert str(error) == f"The address at 127.0.0.1 could not be fetched: {reason}."
    assert error.transient is transient
    assert error.retry_after == (120 if transient else None)


# Slow and large answers --------------------------------------------------------------------


@pytest.mark.parametrize("head", [False, True], ids=["body", "status line"])
def test_a_trickling_server_is_stopped_by_the_deadline(site, loopback_allowed, head):
    """One byte a second: the read timeout (1.5 s) never passes, the deadline (2 s) does."""
    site.routes["/feed.ics"] = trickle(1.0, head=head)
    started = time.monotonic()

    with pytest.raises(TimedOut, match=r"it timed out \(not done within 2 s\)") as raised:
        fetch(site.url(), limits=Limits(deadline=2.0, read_timeout=1.5))

    took = time.monotonic() - started
    assert 1.9 < took < 3.0
    assert raised.value.transient


def test_a_silent_server_is_stopped_by_the_read_timeout(site, loopback_allowed):
    site.routes["/feed.ics"] = trickle(5.0)
    started = time.monotonic()

    with pytest.raises(TimedOut, match=r"no answer within 0\.5 s"):
        fetch(site.url(), limits=Limits(deadline=10.0, read_timeout=0.5))
    assert time.monotonic() - started < 2.5


def test_a_body_over_the_cap_is_refused_by_its_length(site, loopback_allowed):
    site.routes["/big.ics"] = lambda handler: _answer(handler, 200, b"x" * 300_000)

    with pytest.raises(TooLarge, match="it is larger than 100,000 bytes"):
        fetch(site.url("/big.ics"), limits=Limits(max_bytes=100_000))


def test_a_body_over_the_cap_is_refused_while_reading(site, loopback_allowed):
    """No Content-Length: the body runs until the connection closes; reading stops at the
    cap, long before the server is done."""
    sent = []

    def endless(handler):
        handler.send_response(200)
        handler.end_headers()
        for _ in range(10_000):
            handler.wfile.write(b"y" * 65536)
            sent.append(1)

    site.routes["/endless.ics"] = endless

    with pytest.raises(TooLarge, match="larger than 1 MB"):
        fetch(site.url("/endless.ics"), limits=Limits(max_bytes=1024 * 1024))
    time.sleep(0.2)
    assert len(sent) < 1000  # of 10,000 chunks (655 MB)


# What an internal service answered never shows ------------------------------------------------


class Raw(socketserver.ThreadingTCPServer):
    """A TCP service that is not HTTP (a database, a cache): it says `reply` and closes,
    or resets the connection."""

    daemon_threads = True

    def __init__(self, reply: bytes | None, *, reset: bool = False):
        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                if reset:
                    self.request.recv(1024)
                    self.request.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                elif reply is not None:
                    self.request.sendall(reply)

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def services():
    started = {
        "redis": Raw(b"-ERR wrong number of arguments for 'get' command\r\n"),
        "ssh": Raw(b"SSH-2.0-OpenSSH_9.6 internal-db-7\r\n"),
        "closes at once": Raw(None),
        "resets": Raw(None, reset=True),
    }
    yield {name: server.server_address[1] for name, server in started.items()}
    for server in started.values():
        server.shutdown()
        server.server_close()


def test_open_and_closed_internal_ports_read_the_same(services):
    ports = {**services, "closed": free_port()}

    messages = set()
    for port in ports.values():
        with connections() as made, pytest.raises(RefusedByPolicy) as refused:
            fetch(f"http://127.0.0.1:{port}/", limits=FAST)
        assert made == []
        messages.add(str(refused.value))

    assert messages == {
        "The address at 127.0.0.1 could not be fetched: it points to a private or local "
        "network, which is not allowed."
    }


def test_even_allowed_services_that_are_not_http_read_like_a_closed_port(
    services, loopback_allowed
):
    ports = {**services, "closed": free_port()}

    messages = {}
    for name, port in ports.items():
        with pytest.raises(Unreachable) as raised:
            fetch(f"http://127.0.0.1:{port}/", limits=FAST)
        messages[name] = str(raised.value)
        assert raised.value.transient

    assert set(messages.values()) == {
        "The address at 127.0.0.1 could not be fetched: the server could not be reached."
    }, messages


def test_a_server_that_cuts_the_body_short_could_not_be_reached(site, loopback_allowed):
    def short(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b"BEGIN:VCALENDAR\r\n")

    site.routes["/feed.ics"] = short

    with pytest.raises(Unreachable, match="could not be reached"):
        fetch(site.url(), limits=FAST)


def test_a_certificate_that_cannot_be_verified_is_refused(tmp_path, loopback_allowed):
    """TLS is verified for the host name even though the checked address is connected to."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=feed.example.com"),
        ],
        capture_output=True,
    )
    if made.returncode:
        pytest.skip("openssl cannot make a certificate here")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True):
                pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        with pytest.raises(CertificateRefused, match="its certificate could not be verified"):
            fetch(
                f"https://feed.example.com:{port}/feed.ics",
                resolve=resolving_to("127.0.0.1"),
                limits=FAST,
            )
    finally:
        listener.close()


def test_every_failure_is_a_fetch_failure_with_a_plain_message():
    for kind in (RefusedByPolicy, TimedOut, Unreachable, TooLarge, TooManyRedirects):
        assert issubclass(kind, FetchFailed)
    error = Unreachable("feed.example.com", "the server could not be reached")
    assert error.describe("The calendar feed") == (
        "The calendar feed at feed.example.com could not be fetched: the server could not be "
        "reached."
    )


# End to end: a calendar feed on an internal address --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_calendar_feed_on_loopback_fails_in_the_worker_and_writes_nothing(
    site, client, django_user_model
):
    """Followed through the page while the operator allowed loopback, then pulled by
    the real worker process without that allowance: the run fails with a plain reason,
    no measurement is written, and the feed's server saw no connection."""
    site.routes["/feed.ics"] = feed()
    metric = MetricFactory(unit="")
    client.force_login(metric.owner)

    with override_settings(OUTBOUND_ALLOW_NETWORKS=["127.0.0.0/8"]):
        response = client.post("/sources/feeds/", feed_form(site.url(), metric))
    assert response.status_code == 302
    source = DataSource.objects.get(owner=metric.owner)
    worker = run_queued(OUTBOUND_ALLOW_NETWORKS=None)

    run = SyncRun.objects.get(source=source)
    assert run.status == RunStatus.FAILED, worker.stderr[-2000:]
    assert "points to a private or local network" in run.error_message
    assert "/feed.ics" not in run.error_message
    assert not Measurement.objects.filter(metric=metric).exists()
    assert site.connections == 0


def feed_form(url: str, metric) -> dict[str, str]:
    return {
        "feed-name": "Gym",
        "feed-url": url,
        "feed-metric": str(metric.id),
        "feed-match": "gym",
        "feed-count": "events",
        "feed-every_minutes": "60",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/feed.ics",
        "http://2130706433/feed.ics",
        "http://0x7f.1/feed.ics",
        "http://[::ffff:127.0.0.1]/feed.ics",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/feed.ics",
        "http://localhost:6379/",
        "webcal://printer.localhost/feed.ics",
    ],
)
def test_the_feed_form_refuses_an_internal_address_as_written(client, url):
    metric = MetricFactory(unit="")
    client.force_login(metric.owner)

    response = client.post("/sources/feeds/", feed_form(url, metric))

    assert response.status_code == 200
    assert "points to a private or local network" in response.content.decode()
    assert not DataSource.objects.exists()
