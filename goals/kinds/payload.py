"""The progress payload: what the mapper returns for one goal.

Every page, the JSON API, the admin and any export read progress from this one shape.
The words are in it too (`headline`, `summary_text`, `status_label`), so templates
show progress without computing any of it. Values are `Decimal`; dates are local days
in the owner's time zone.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, computed_field, model_validator


class ProgressStatus(StrEnum):
    """Where a goal stands as a whole. The same for every kind, so a client can sort
    and count; how it reads is the kind's (`Progress.status_label`)."""

    NOT_STARTED = "not_started"  # before the start date
    NO_DATA = "no_data"  # nothing recorded and nothing judged yet
    ON_TRACK = "on_track"
    BEHIND = "behind"
    ACHIEVED = "achieved"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """The default words; a kind may say it more precisely ("Above range")."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ProgressStatus.NOT_STARTED: "Not started",
    ProgressStatus.NO_DATA: "No data yet",
    ProgressStatus.ON_TRACK: "On track",
    ProgressStatus.BEHIND: "Behind",
    ProgressStatus.ACHIEVED: "Achieved",
    ProgressStatus.FAILED: "Failed",
}


class PeriodStatus(StrEnum):
    """How one period (day, week, month) of a quota or range goal stands."""

    MET = "met"  # at least: reached; at most: not over the limit
    NOT_YET = "not_yet"  # still open and not reached yet
    MISSED = "missed"  # closed without reaching an "at least" target
    EXCEEDED = "exceeded"  # over an "at most" limit
    WITHIN = "within"  # range: between the bounds
    OUTSIDE = "outside"  # range: below or above the bounds
    NO_DATA = "no_data"  # range: nothing recorded, so nothing to judge

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_met(self) -> bool:
        return self in (PeriodStatus.MET, PeriodStatus.WITHIN)


class ProgressPoint(BaseModel):
    """One point of the chart. Reach and total have one per day of the window (`day`
    and `until` are the same day); quota and range one per period, from its first
    day to its last."""

    model_config = ConfigDict(frozen=True)

    day: dt.date
    until: dt.date
    #: reach: the day's value; total: the running total; quota/range: the period's
    #: value. None where nothing is known (no measurement, or still to come).
    value: Decimal | None
    #: reach and total: where the straight line from start to target stands that day.
    pace: Decimal | None = None
    #: quota and range: how the period stands.
    status: PeriodStatus | None = None


class Progress(BaseModel):
    """A goal's progress on `today`. Fields a kind has no use for stay None."""

    model_config = ConfigDict(frozen=True)

    goal_id: int | None = None
    kind: str
    kind_label: str
    unit: str
    #: The decimals the metric's values are shown with (set by the mapper).
    places: int | None = None
    today: dt.date
    start_date: dt.date
    deadline: dt.date | None = None

    #: reach: the latest day's value; total: the sum so far; quota/range: the current
    #: period's value. None when there is nothing recorded to show (a quota or range
    #: period with nothing recorded is None, not 0).
    current: Decimal | None
    #: The day `current` was recorded (reach) or the current period's first day.
    current_day: dt.date | None = None
    has_data: bool
    start: Decimal | None = None
    target: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None

    #: 0..100, for a bar. reach: from start toward target; total: current / target;
    #: quota: the current period's value / target; range: where the value sits from
    #: low to high. Rounded down and held within 0..100, so 100 only once it is there.
    percent: int
    #: The same share unrounded (six decimals) and not held within 0..100: 104.5 is
    #: over the target, -3 moved away from it. None when there is no value to measure
    #: (`current` is None) or the target leaves nothing to divide by.
    percent_exact: Decimal | None = None
    #: Where the pace line stands today, and how far ahead of it (negative: behind).
    expected: Decimal | None = None
    delta: Decimal | None = None
    status: ProgressStatus
    #: The status in the kind's words ("On track", "Above range").
    status_label: str = ""
    #: Days you could record nothing and still be on or ahead of the pace line.
    buffer_days: int | None = None
    #: When the trend of the last 14 days reaches the target; None if it points away.
    projected_date: dt.date | None = None

    #: quota and range: the period kind, the comparison (quota) and the current period.
    period: str | None = None
    comparison: str | None = None
    period_first: dt.date | None = None
    period_last: dt.date | None = None
    period_status: PeriodStatus | None = None
    #: Consecutive periods met, up to the last closed one (an open period waits).
    streak: int | None = None
    #: Closed periods met, out of those judged, and that as a whole percentage.
    periods_met: int | None = None
    periods_judged: int | None = None
    success_rate: int | None = None
    #: The share of periods the goal asks to be met, in percent (100: every one).
    required_share: int | None = None
    #: With an end date: how many periods the whole window has, and how many of them
    #: must be met. None for an open-ended goal, which is judged on its record so far.
    periods_total: int | None = None
    periods_required: int | None = None

    series: list[ProgressPoint]

    headline: str
    summary_text: str

    @model_validator(mode="before")
    @classmethod
    def _default_status_label(cls, data):
        if isinstance(data, dict) and not data.get("status_label") and data.get("status"):
            data = {**data, "status_label": ProgressStatus(data["status"]).label}
        return data

    @computed_field
    @property
    def achieved(self) -> bool:
        """True once the goal is achieved: reach and total when the target is reached,
        quota and range when the window closed with the required share met."""
        return self.status is ProgressStatus.ACHIEVED

    @computed_field
    @property
    def period_status_label(self) -> str:
        return self.period_status.label if self.period_status else ""


class GoalTerms(Protocol):
    """What a kind reads from a goal. A `Goal` row and a `GoalFields` both fit."""

    kind: str
    target: Decimal | None
    target_low: Decimal | None
    target_high: Decimal | None
    start_value: Decimal | None
    start_date: dt.date
    deadline: dt.date | None
    period: str | None
    comparison: str | None
    aggregation: str
    period_aggregation: str
    required_share: int


@dataclass(frozen=True)
class ProgressContext:
    """What the mapper tells a kind beside the goal and its days."""

    today: dt.date
    week_start: int
    unit: str
    goal_id: int | None = None
    #: Whether the chart's day-by-day `series` is wanted; judging a status after a
    #: write needs none of it.
    series: bool = True
