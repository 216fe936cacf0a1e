"""Recording events: the one way an executor says what it changed.

A public executor is decorated with `@executor` instead of
`@transaction.atomic(durable=True)`: it runs in one durable transaction, and the events
it `emit`s while it runs are written to the outbox in that same transaction (one
INSERT for all of them), announced to the other processes when it commits, and their
affected keys become the `affected` of the executor's result. So the keys the page that
asked sees in `HX-Trigger` are the keys every other open page gets pushed.

`emit` outside an executor is an error: an event that is not part of a transaction
could announce a change that never committed.
"""

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from django.db import OperationalError, transaction
from django.utils import timezone

from config.envelope import Result
from config.request_context import correlation_id, current_channel

from . import writing
from .models import Event

_pending: ContextVar[list[Event] | None] = ContextVar("pending_events", default=None)

#: Called inside the writing transaction with the events just written (ids set), by
#: apps that must act on them durably: outgoing webhooks queue their deliveries here,
#: so a delivery exists exactly when its event does. Its second argument holds the rows
#: of the read it named when it registered (None if it named none, or where the events
#: are not written by one statement: then it reads for itself).
Reaction = Callable[[list[Event], list[dict] | None], None]
_reactions: list[tuple[Reaction, writing.Read | None]] = []


def react(reaction: Reaction, *, reads: writing.Read | None = None) -> None:
    """Register `reaction` (from an AppConfig.ready) to run on every executor's events.
    `reads`: a read it needs with every write, run in the statement that writes the
    events (see `writing.Read`), so that a reaction costs no round trip of its own."""
    if all(registered is not reaction for registered, _ in _reactions):
        _reactions.append((reaction, reads))


def emit(
    type: str,
    *,
    owner_id: int,
    affected: Iterable[str] = (),
    subject: tuple[str, int] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record that something changed, as part of the running executor's transaction."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError(f"{type} was emitted outside an executor's transaction.")
    subject_type, subject_id = subject or ("", None)
    pending.append(
        Event(
            at=timezone.now(),
            owner_id=owner_id,
            type=type,
            subject_type=subject_type,
            subject_id=subject_id,
            data=data or {},
            affected=sorted(set(affected)),
            channel=current_channel(),
            correlation_id=correlation_id(),
        )
    )


@contextlib.contextmanager
def recording() -> Iterator[list[Event]]:
    """Collect the events emitted in the block and write them as it ends, inside the
    caller's transaction (which must be open): the way `@executor` records, also
    used by the admin, whose saves run in a transaction of their own."""
    pending: list[Event] = []
    token = _pending.set(pending)
    try:
        yield pending
        if pending:
            read = writing.write(pending, reads=[reads for _, reads in _reactions])
            for (reaction, _), rows in zip(_reactions, read, strict=True):
                reaction(pending, rows)
    finally:
        _pending.reset(token)


#: SQLSTATEs of a transaction the database aborted so that another could go on (a
#: deadlock, a serialization failure): run again, it goes through.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
#: How many times an executor's transaction is run before such an abort is raised.
ATTEMPTS = 3


def executor[**P](func: Callable[P, Result]) -> Callable[P, Result]:
    """One durable transaction around `func`, with the events it emits written in it
    (see the module's docstring). A transaction the database aborted for a deadlock or
    a serialization failure is run again, up to ATTEMPTS times: nothing of it was
    kept, and nothing leaves an executor before its commit."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> Result:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction.atomic(durable=True), recording() as pending:
                    result = func(*args, **kwargs)
                break
            except OperationalError as exc:
                sqlstate = getattr(exc.__cause__, "sqlstate", None)
                if attempt == ATTEMPTS or sqlstate not in RETRYABLE_SQLSTATES:
                    raise
        if not pending or not isinstance(result, Result):
            return result
        return result.with_affected([key for event in pending for key in event.affected])

    return run
