"""Commands and result data for metrics and measurements."""

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from config.envelope import FieldError

from .choices import Source

MAX_ABS_VALUE = Decimal("999999999999")


class CreateMetric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    unit: str = Field(min_length=1, max_length=24)

    @field_validator("name", "unit")
    @classmethod
    def stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("This field is required.")
        return value


class UpdateMetric(BaseModel):
    """A new name. The unit stays: the stored values are in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric_id: int
    name: str = Field(min_length=1, max_length=80)

    @field_validator("name")
    @classmethod
    def stripped(cls, value: str) -> str:
        return CreateMetric.stripped(value)


class MetricRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    metric_id: int


class MetricData(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    name: str
    unit: str


def storable_number(value: Decimal | None) -> Decimal | None:
    """A number the Decimal(18, 6) column can hold, rounded to its six places."""
    if value is None:
        return None
    if not value.is_finite():
        raise ValueError("Enter a number.")
    if abs(value) > MAX_ABS_VALUE:
        raise ValueError("That number is too large to store.")
    if value.as_tuple().exponent < -6:
        value = round(value, 6)
    return value


#: The earliest time a measurement may carry: older is a typo (and some databases
#: cannot store instants before year 1 in UTC).
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def plausible_moment(value: dt.datetime | None) -> dt.datetime | None:
    """The moment in UTC (whatever offset it came with: databases disagree on which
    offsets they take), and not before 1900."""
    if value is None:
        return None
    if value < EARLIEST:
        raise ValueError("Times before 1900 are not taken; check the year.")
    return value.astimezone(dt.UTC)


class MeasurementValues(BaseModel):
    """What a person states about one measurement: the value in the metric's unit
    (and as typed, when in another unit), when, and a note."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: Decimal
    measured_at: AwareDatetime
    original_value: Decimal | None = None
    original_unit: str = Field(default="", max_length=24)
    note: str = Field(default="", max_length=500)

    _storable = field_validator("value", "original_value")(storable_number)
    _plausible = field_validator("measured_at")(plausible_moment)


class RecordMeasurement(MeasurementValues):
    metric_id: int
    source: Source = Source.MANUAL
    external_id: str = Field(default="", max_length=200)
    #: A one-time token from the form (or client) that sent it: the same token twice
    #: records once, however the two requests race.
    submission_token: uuid.UUID | None = None


class EditMeasurement(MeasurementValues):
    measurement_id: int


class MeasurementRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    measurement_id: int


class MeasurementData(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    metric_id: int
    value: Decimal
    measured_at: dt.datetime
    note: str
    source: str
    original_value: Decimal | None = None
    original_unit: str = ""
    #: True when a repeated submission found this measurement already recorded.
    replayed: bool = False


MAX_BATCH = 10_000


class IngestItem(BaseModel):
    """One measurement of a batch, as a device or another app sends it: a value in the
    metric's unit or in `unit`, and an optional `external_id` that makes re-sending
    it an update (or nothing) instead of a second measurement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric_id: int
    value: Decimal
    unit: str = Field(default="", max_length=24)
    measured_at: AwareDatetime
    note: str = Field(default="", max_length=500)
    external_id: str = Field(default="", max_length=200)

    _storable = field_validator("value")(storable_number)
    _plausible = field_validator("measured_at")(plausible_moment)


class IngestRow(BaseModel):
    """An item ready to write: converted to its metric's unit, at its index in the batch."""

    model_config = ConfigDict(frozen=True)

    index: int
    metric_id: int
    values: MeasurementValues
    external_id: str = ""


class Rejection(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    fields: list[FieldError]


class IngestCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = Field(default_factory=list)
