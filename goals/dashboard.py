"""What the dashboard and the goal page show, read lazily so that each fragment
costs only the queries it needs. Progress comes from the one mapper."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property

from accounts.selectors import Preferences, preferences_for
from audit.presentation import HistoryItem, history_items
from audit.trail import snapshot

from . import kinds, selectors
from .chart import CHART_RANGES, DEFAULT_RANGE, chart_geometry
from .models import AUDITED_FIELDS, Goal
from .orchestrators import UNDO_WINDOW
from .progress import Progress, progress_for_goals

SUMMARY_STATUSES = ("on_track", "behind", "achieved", "not_started", "no_data", "failed")


@dataclass(frozen=True)
class GoalCard:
    goal: Goal
    progress: Progress
    #: The span the charts show (a key of `CHART_RANGES`).
    chart_range: str = DEFAULT_RANGE

    @property
    def chart_ranges(self) -> list[tuple[str, str]]:
        return [(key, words) for key, (words, _days) in CHART_RANGES.items()]

    @property
    def kind_label(self) -> str:
        kind = kinds.get(self.goal.kind)
        return kind.label if kind else self.goal.kind

    @property
    def deadline_label(self) -> str:
        """What the kind calls the end date ("Deadline", "Ends")."""
        kind = kinds.get(self.goal.kind)
        return kind.deadline_label if kind else "Ends"

    @cached_property
    def chart(self):
        return chart_geometry(self.progress, width=320, height=150, span=self.chart_range)

    @cached_property
    def large_chart(self):
        return chart_geometry(self.progress, width=960, height=300, span=self.chart_range)


class Dashboard:
    def __init__(self, user, *, now: dt.datetime):
        self.user = user
        self.now = now

    @cached_property
    def preferences(self) -> Preferences:
        return preferences_for(self.user)

    def cards_for(self, goals: list[Goal]) -> list[GoalCard]:
        progress = progress_for_goals(
            goals,
            profile_zone=self.preferences.zone,
            week_start=self.preferences.week_start,
            now=self.now,
        )
        return [GoalCard(goal, progress[goal.id]) for goal in goals]

    @cached_property
    def cards(self) -> list[GoalCard]:
        return self.cards_for(list(selectors.active_goals(owner_id=self.user.id)))

    @cached_property
    def archived(self) -> list[Goal]:
        return list(selectors.archived_goals(owner_id=self.user.id))

    @cached_property
    def recently_deleted(self) -> list[Goal]:
        """Goals deleted within the undo window, each still restorable."""
        since = self.now - UNDO_WINDOW
        return list(selectors.recently_deleted_goals(owner_id=self.user.id, since=since))

    @cached_property
    def summary(self) -> dict[str, int]:
        counts = Counter(card.progress.status for card in self.cards)
        return {status: counts.get(status, 0) for status in SUMMARY_STATUSES}


def dashboard_context(user, *, now: dt.datetime) -> dict:
    return {"dashboard": Dashboard(user, now=now)}


def goal_card_context(user, goal: Goal, *, now: dt.datetime) -> dict:
    (card,) = Dashboard(user, now=now).cards_for([goal])
    return {"card": card}


HISTORY_LABELS = {
    **{field: Goal._meta.get_field(field).verbose_name.capitalize() for field in AUDITED_FIELDS},
    "value": "Value",
    "measured_at": "When",
    "note": "Note",
}
HISTORY_NOUNS = {"goal": "the goal", "measurement": "a measurement"}


def _history_value_labels() -> dict[str, dict[str, str]]:
    coded = {
        field.name: {str(value): str(label) for value, label in field.choices}
        for field in Goal._meta.fields
        if field.choices and field.name in AUDITED_FIELDS
    }
    return {**coded, "kind": dict(kinds.choices())}


def goal_history(goal: Goal, *, zone) -> list[HistoryItem]:
    return history_items(
        selectors.goal_history(goal),
        nouns=HISTORY_NOUNS,
        labels=HISTORY_LABELS,
        zone=zone,
        value_labels=_history_value_labels(),
    )


def goal_page_context(
    user, goal: Goal, *, now: dt.datetime, chart_range: str = DEFAULT_RANGE
) -> dict:
    """Everything the goal page shows; the history is read only where it is shown."""
    (card,) = Dashboard(user, now=now).cards_for([goal])
    card = replace(card, chart_range=chart_range)
    zone = preferences_for(user).zone
    return {
        "card": card,
        "goal": goal,
        "measurements": selectors.measurements_in_window(goal, zone=zone),
        "history": lambda: goal_history(goal, zone=zone),
    }


def goal_export_header(user, goal: Goal, *, now: dt.datetime) -> dict:
    """The goal and its progress from the mapper, JSON-ready, for the JSON export."""
    (card,) = Dashboard(user, now=now).cards_for([goal])
    return {
        "goal": {
            "id": goal.id,
            **snapshot(goal, AUDITED_FIELDS),
            "metric": {"id": goal.metric_id, "name": goal.metric.name, "unit": goal.metric.unit},
        },
        "progress": card.progress.model_dump(),
    }
