"""The request context: correlation id and current phase, in contextvars.

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


_correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")
_phase: ContextVar[Phase | None] = ContextVar("phase", default=None)

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


@contextlib.contextmanager
def bind(correlation: str | None = None, phase: Phase | None = None):
    """Run a block with its own correlation id and phase, restoring the outer ones."""
    id_token = _correlation_id.set(correlation or new_correlation_id())
    phase_token = _phase.set(phase)
    try:
        yield _correlation_id.get()
    finally:
        _correlation_id.reset(id_token)
        _phase.reset(phase_token)


class RequestContextLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _correlation_id.get()
        record.phase = _phase.get() or "-"
        return True
