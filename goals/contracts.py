"""Commands and result data for goals: the seam between views, orchestrators and
executors."""

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from measurements.contracts import storable_number

from .choices import Aggregation, Comparison, Period

#: Days a goal may start or end on: a century is more than any goal needs, and the
#: progress mapper's day arithmetic needs a margin from the calendar's ends.
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)


def _plain_text(value: str) -> str:
    value = value.strip()
    if "\x00" in value:
        raise ValueError("Remove the NUL character.")
    return value


class GoalFields(BaseModel):
    """What a person says about a goal; which fields matter depends on the kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, max_length=120)
    kind: str
    target: Decimal | None = None
    target_low: Decimal | None = None
    target_high: Decimal | None = None
    start_value: Decimal | None = None
    start_date: dt.date
    deadline: dt.date | None = None
    period: Period | None = None
    comparison: Comparison | None = None
    aggregation: Aggregation = Aggregation.LAST
    period_aggregation: Aggregation = Aggregation.SUM
    required_share: int = Field(
        default=100,
        ge=1,
        le=100,
        description="Quota and range goals: the percentage of periods that must be met "
        "(100: every one; 71: at least 5 of 7). Other kinds keep 100.",
    )

    @field_validator("title")
    @classmethod
    def strip_title(cls, value: str) -> str:
        value = _plain_text(value)
        if not value:
            raise ValueError("Give the goal a title.")
        return value

    _storable = field_validator("target", "target_low", "target_high", "start_value")(
        storable_number
    )

    @field_validator("start_date", "deadline")
    @classmethod
    def day_in_range(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise ValueError(
                f"Choose a day from {EARLIEST_DAY:%-d %b %Y} to {LATEST_DAY:%-d %b %Y}."
            )
        return value


class NewMetric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    unit: str = Field(min_length=1, max_length=24)

    @field_validator("name", "unit")
    @classmethod
    def required_text(cls, value: str) -> str:
        value = _plain_text(value)
        if not value:
            raise ValueError("This field is required.")
        return value


class CreateGoal(BaseModel):
    """Either `metric_id` (an existing metric of the actor's) or `new_metric`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fields: GoalFields
    metric_id: int | None = None
    new_metric: NewMetric | None = None


class EditGoal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    goal_id: int
    fields: GoalFields
    metric_id: int | None = None
    new_metric: NewMetric | None = None


class RenameGoal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    goal_id: int
    title: str = Field(min_length=1, max_length=120)

    @field_validator("title", mode="before")
    @classmethod
    def strip_title(cls, value):
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError("Give the goal a title.")
        return value


class GoalRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    goal_id: int


class GoalData(BaseModel):
    """What a goal mutation returns."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    title: str
    kind: str
    metric_id: int
    status: str
    deleted: bool = False
