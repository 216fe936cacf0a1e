"""Audit entries in words, for the history a page shows."""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.dateformat import format as date_format

from .models import Action, AuditEntry

VERBS = {
    Action.CREATED: "Created",
    Action.UPDATED: "Changed",
    Action.DELETED: "Deleted",
    Action.RESTORED: "Restored",
}
CHANNELS = {"web": "in the browser", "api": "through the API", "admin": "in the admin"}


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryItem:
    at: dt.datetime
    headline: str
    changes: list[ChangeLine]
    channel: str
    correlation_id: str


def _shown(value, zone: ZoneInfo) -> str:
    """A stored value as a person reads it: dates and times in their zone."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            return date_format(moment, "j M Y")
        return date_format(moment.astimezone(zone), "j M Y, H:i")
    return str(value)


def history_items(
    entries: Iterable[AuditEntry],
    *,
    nouns: Mapping[str, str],
    labels: Mapping[str, str],
    zone: ZoneInfo,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> list[HistoryItem]:
    """Each entry as a headline ("Changed the goal"), and for changes the fields that
    moved, labelled with `labels` (fields without a label are not shown); coded values
    ("archived") read as `value_labels` names them."""
    value_labels = value_labels or {}

    def shown(field: str, value) -> str:
        return value_labels.get(field, {}).get(value) or _shown(value, zone)

    items = []
    for entry in entries:
        noun = nouns.get(entry.subject_type, entry.subject_type)
        headline = f"{VERBS[Action(entry.action)]} {noun}"
        if entry.subject_type != "goal" or entry.action == Action.CREATED:
            headline += f": {entry.summary}"
        changes = []
        if entry.action == Action.UPDATED:
            changes = [
                ChangeLine(labels[field], shown(field, before), shown(field, after))
                for field, (before, after) in entry.changes.items()
                if field in labels
            ]
        items.append(
            HistoryItem(
                at=entry.at,
                headline=headline,
                changes=changes,
                channel=CHANNELS.get(entry.channel, f"by a {entry.channel}"),
                correlation_id=entry.correlation_id,
            )
        )
    return items
