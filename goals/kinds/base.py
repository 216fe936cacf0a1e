"""What a goal kind is: a small policy the form and the progress mapper dispatch to.

A kind names the goal fields it uses (the form shows only those), validates them in
plain words, says which days of measurements it needs, and turns a goal's daily values
into its progress payload, with its status in its own words. Kinds are pure: no
database, no clock; the mapper reads the days and passes `today` in.
"""

import datetime as dt
from typing import ClassVar

from config.envelope import FieldError

from ..contracts import GoalFields
from .chart_styles import ChartStyle
from .days import DailySeries, DayRange
from .payload import GoalTerms, Progress, ProgressContext, ProgressStatus

#: Fields every goal has, whatever its kind.
COMMON_FIELDS = ("title", "start_date", "aggregation")

#: Fields a kind may claim; those it does not claim are cleared on save.
OPTIONAL_FIELDS = (
    "target",
    "target_low",
    "target_high",
    "start_value",
    "deadline",
    "period",
    "comparison",
    "period_aggregation",
    "required_share",
)

#: Fields with a value even where a kind does not use them: reset to it instead of None.
FIELD_DEFAULTS = {"required_share": 100}


class GoalKind:
    key: ClassVar[str]
    label: ClassVar[str]
    #: One line for the form: what this kind of goal means.
    summary: ClassVar[str]
    #: The optional fields this kind uses, and which of them must be filled in.
    fields: ClassVar[tuple[str, ...]]
    required: ClassVar[tuple[str, ...]]
    #: The daily aggregation a new goal of this kind starts with.
    default_aggregation: ClassVar[str] = "last"
    #: What the goal's end date is called on its page.
    deadline_label: ClassVar[str] = "Ends"
    #: Status words that differ from the defaults (`ProgressStatus.label`).
    status_words: ClassVar[dict[ProgressStatus, str]] = {}
    #: How the chart draws this kind's series.
    chart_style: ClassVar[ChartStyle] = ChartStyle.LINE_WITH_PACE

    def validate(self, goal: GoalFields) -> list[FieldError]:
        """Plain-words errors for the fields this kind uses; empty when valid."""
        return [
            FieldError(field=name, message="This field is required.", code="required")
            for name in self.required
            if getattr(goal, name) is None
        ]

    def normalize(self, goal: GoalFields) -> GoalFields:
        """The fields as stored: those this kind does not use are cleared."""
        unused = {
            name: FIELD_DEFAULTS.get(name) for name in OPTIONAL_FIELDS if name not in self.fields
        }
        unused.pop("period_aggregation", None)
        return goal.model_copy(update=unused)

    def days_to_read(self, goal: GoalTerms, today: dt.date) -> DayRange:
        """The local days whose values `progress` needs: by default from the start date
        to today, or to the deadline once it has passed. Empty before the start."""
        last = min(today, goal.deadline) if goal.deadline else today
        return DayRange(goal.start_date, last)

    def progress(self, goal: GoalTerms, days: DailySeries, context: ProgressContext) -> Progress:
        """The goal's progress on `context.today`, from its daily values."""
        raise NotImplementedError

    def status_label(self, progress: Progress) -> str:
        """The status as the card and the API say it."""
        return self.status_words.get(progress.status) or progress.status.label

    def worded(self, progress: Progress, headline: str, summary: str) -> Progress:
        """`progress` with its words: headline, summary and the status label."""
        return progress.model_copy(
            update={
                "headline": headline,
                "summary_text": summary,
                "status_label": self.status_label(progress),
            }
        )


def error(field: str, message: str, code: str = "invalid") -> FieldError:
    return FieldError(field=field, message=message, code=code)
