"""The request context: correlation id, current phase and channel, in contextvars.

Set by `config.middleware.RequestContextMiddleware` for each request; read by the log
filter, the error views and anything that stores the correlation id on what it writes.
Outside a request (a task, a management command) `bind()` opens a context of its own.
"""

import contextlib
import logging
import re
import uuid
from contextvars import ContextVar
from enum import StrEnum


class Phase(StrEnum):
    AUTHENTICATE = "authenticate"
    VALIDATE = "validate"
    AUTHORIZE = "authorize"
    PLAN = "plan"
    EXECUTE = "execute"
    RENDER = "render"


class Channel(StrEnum):
    """Where a change came from; stored on audit entries (and later on sync runs)."""

    WEB = "web"
    API = "api"
    ADMIN = "admin"
    TASK = "task"
    COMMAND = "command"


_correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")
_phase: ContextVar[Phase | None] = ContextVar("phase", default=None)
_channel: ContextVar[Channel] = ContextVar("channel", default=Channel.COMMAND)

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")


def is_acceptable_request_id(value: str | None) -> bool:
    """A client's `X-Request-ID` is kept only if it is short and plainly printable,
    so it cannot forge log lines or bloat headers."""
    return bool(value) and REQUEST_ID_PATTERN.fullmatch(value) is not None


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def correlation_id() -> str:
    return _correlation_id.get()


def current_phase() -> Phase | None:
    return _phase.get()


def set_phase(phase: Phase) -> None:
    _phase.set(phase)


def current_channel() -> Channel:
    return _channel.get()


def channel_for_path(path: str) -> Channel:
    if path.startswith("/api/"):
        return Channel.API
    if path.startswith("/admin/"):
        return Channel.ADMIN
    return Channel.WEB


@contextlib.contextmanager
def bind(
    correlation: str | None = None,
    phase: Phase | None = None,
    channel: Channel = Channel.COMMAND,
):
    """Run a block with its own correlation id, phase and channel, restoring the
    outer ones."""
    id_token = _correlation_id.set(correlation or new_correlation_id())
    phase_token = _phase.set(phase)
    channel_token = _channel.set(channel)
    try:
        yield _correlation_id.get()
    finally:
        _correlation_id.reset(id_token)
        _phase.reset(phase_token)
        _channel.reset(channel_token)


class RequestContextLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _correlation_id.get()
        record.phase = _phase.get() or "-"
        return True
