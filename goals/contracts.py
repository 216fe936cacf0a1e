"""Commands and result data for goals: the seam between views, orchestrators and
executors."""

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .choices import Aggregation, Comparison, Period

MAX_ABS_VALUE = Decimal("999999999999")


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

    @field_validator("title")
    @classmethod
    def strip_title(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Give the goal a title.")
        return value

    @field_validator("target", "target_low", "target_high", "start_value")
    @classmethod
    def finite_and_bounded(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if not value.is_finite():
            raise ValueError("Enter a number.")
        if abs(value) > MAX_ABS_VALUE:
            raise ValueError("That number is too large.")
        return value


class NewMetric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    unit: str = Field(min_length=1, max_length=24)


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
