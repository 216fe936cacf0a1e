"""A small Server-Sent Events client over a plain socket, for the tests and the bench:
it reads what a browser's `EventSource` would, with the headers a browser sends."""

import json
import socket
import time
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY


def session_for(user) -> str:
    """A signed-in session for `user`, as logging in makes one; its key, for the
    `sessionid` cookie."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.PasswordBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


@dataclass(frozen=True)
class Message:
    id: str | None
    data: dict
    arrived: float
    """`time.perf_counter()` when its last line was read."""

    @property
    def names(self) -> set[str]:
        return {name for change in self.data["changes"] for name in change["events"]}


class EventStream:
    """`GET path` on 127.0.0.1:`port` with the session cookie; `status` and `headers`
    are read at once, messages one at a time with `next_message`."""

    def __init__(
        self,
        port: int,
        *,
        session: str | None,
        path: str = "/events/stream",
        last_event_id: str | None = None,
        # A server's first answer on a loaded machine (CI runs two passes at once)
        # can take more than ten seconds.
        timeout: float = 30,
    ):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Accept: text/event-stream",
            "Cache-Control: no-cache",
        ]
        if session:
            lines.append(f"Cookie: sessionid={session}")
        if last_event_id is not None:
            lines.append(f"Last-Event-ID: {last_event_id}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._buffer = b""
        head = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        self.status = int(head[0].split()[1])
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:])
        }
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self._text = b""
        self.retry: int | None = None
        self.comments = 0

    def _until(self, separator: bytes) -> bytes:
        """Bytes from the socket up to `separator` (which is consumed)."""
        while separator not in self._buffer:
            more = self.sock.recv(65536)
            if not more:
                raise EOFError("The stream ended.")
            self._buffer += more
        taken, _, self._buffer = self._buffer.partition(separator)
        return taken

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            more = self.sock.recv(65536)
            if not more:
                raise EOFError("The stream ended.")
            self._buffer += more
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return taken

    def _line(self) -> str:
        """One line of the event stream, taken out of HTTP chunks when chunked."""
        while b"\n" not in self._text:
            if self.chunked:
                size = int(self._until(b"\r\n").strip() or b"0", 16)
                if size == 0:
                    raise EOFError("The stream ended.")
                self._text += self._exactly(size)
                self._exactly(2)
            else:
                self._text += self._buffer or self._recv()
                self._buffer = b""
        line, _, self._text = self._text.partition(b"\n")
        return line.decode().removesuffix("\r")

    def _recv(self) -> bytes:
        more = self.sock.recv(65536)
        if not more:
            raise EOFError("The stream ended.")
        return more

    def next_message(self, timeout: float = 10) -> Message:
        """The next message with data (comments and `retry:` are counted and skipped)."""
        deadline = time.monotonic() + timeout
        event_id, data = None, []
        while True:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            line = self._line()
            if line == "":
                if data:
                    return Message(event_id, json.loads("\n".join(data)), time.perf_counter())
                continue
            if line.startswith(":"):
                self.comments += 1
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "id":
                event_id = value
            elif field == "data":
                data.append(value)
            elif field == "retry":
                self.retry = int(value)

    def read_body(self) -> bytes:
        """The whole body of a response that is not a stream."""
        return self._exactly(int(self.headers.get("content-length", "0")))

    def close(self) -> None:
        self.sock.close()
