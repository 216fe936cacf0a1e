"""Writing the audit trail. Executors call `record` inside their own transaction, so
a change and its entry commit together or not at all."""

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from config.numbers import plain
from config.request_context import correlation_id, current_channel

from .models import Action, AuditEntry


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def snapshot(instance, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a model instance, as JSON-safe values."""
    return {field: _json(getattr(instance, field)) for field in fields}


def entry(
    *,
    action: Action,
    subject_type: str,
    subject_id: int,
    owner_id: int,
    actor_id: int | None,
    summary: str,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    metric_id: int | None = None,
) -> AuditEntry | None:
    """An unsaved entry with the fields that differ between `before` and `after` (for
    `bulk_create`), or None for an update that changed nothing. The channel and
    correlation id are the request's (or the task's), from the request context."""
    before, after = before or {}, after or {}
    changes = {
        field: [before.get(field), after.get(field)]
        for field in dict.fromkeys([*before, *after])
        if before.get(field) != after.get(field)
    }
    if action == Action.UPDATED and not changes:
        return None
    return AuditEntry(
        at=now,
        owner_id=owner_id,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        metric_id=metric_id,
        summary=summary[:200],
        changes=changes,
        channel=current_channel(),
        correlation_id=correlation_id(),
    )


def record(**fields) -> AuditEntry | None:
    """Write one entry (see `entry`) inside the caller's transaction."""
    written = entry(**fields)
    if written is not None:
        written.save()
    return written
