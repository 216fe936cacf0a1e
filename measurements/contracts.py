"""Commands and result data for metrics and measurements."""

import datetime as dt
import uuid
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from config.envelope import FieldError

from .choices import Source

#: The largest magnitude a stored value may have: the Decimal(18, 6) columns hold twelve
#: digits before the point.
MAX_ABS_VALUE = Decimal("999999999999")
#: The places a stored value keeps (the columns' `decimal_places`).
STORED_PLACES = Decimal("0.000001")


class CreateMetric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    unit: str = Field(min_length=1, max_length=24)
    #: Decimals shown; None: from the first value typed.
    display_places: int | None = Field(default=None, ge=0, le=6)

    @field_validator("name", "unit")
    @classmethod
    def stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("This field is required.")
        return value


class UpdateMetric(BaseModel):
    """A new name, or new display places (fields not given stay). The unit stays: the
    stored values are in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric_id: int
    name: str | None = Field(default=None, min_length=1, max_length=80)
    display_places: int | None = Field(default=None, ge=0, le=6)

    @field_validator("name")
    @classmethod
    def stripped(cls, value: str | None) -> str | None:
        return None if value is None else CreateMetric.stripped(value)


class MetricRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    metric_id: int


class MetricData(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    name: str
    unit: str
    display_places: int | None = None


class UnstorableNumber(ValueError):
    """A number the Decimal(18, 6) columns cannot hold; the message says why."""


TOO_LARGE = "That number is too large to store. The most is 999,999,999,999."
TOO_SMALL = "That number is too small to store: values are kept to 6 decimal places."

#: Room for every digit a storable number has (12 + 6), so nothing below traps.
_ARITHMETIC = Context(prec=40, rounding=ROUND_HALF_EVEN)


def storable(value: Decimal) -> Decimal:
    """`value` as the Decimal(18, 6) columns store it (rounded to six places), or
    `UnstorableNumber`.

    The magnitude is judged from the exponent before any arithmetic: `abs()` or
    `round()` of 1e9999999 overflows the default context, and 1e-999 would round to
    zero without a word. Every channel comes through here (forms, the API, batches,
    imports), through the contracts below or `measurements.units.convert`.
    """
    if not value.is_finite():
        raise UnstorableNumber("Enter a number.")
    if value.is_zero():
        return Decimal(0)
    if value.adjusted() > MAX_ABS_VALUE.adjusted():
        raise UnstorableNumber(TOO_LARGE)
    if value.adjusted() < STORED_PLACES.adjusted() - 1:
        raise UnstorableNumber(TOO_SMALL)
    with localcontext(_ARITHMETIC):
        if value.as_tuple().exponent < STORED_PLACES.as_tuple().exponent:
            value = value.quantize(STORED_PLACES)
        if value.is_zero():
            raise UnstorableNumber(TOO_SMALL)
        if abs(value) > MAX_ABS_VALUE:
            raise UnstorableNumber(TOO_LARGE)
    return value


def storable_number(value: Decimal | None) -> Decimal | None:
    """`storable` as a field validator of the contracts: None stays None."""
    return None if value is None else storable(value)


#: Digits past which a JSON integer is read as a Decimal: Python refuses to read
#: integers of over 4,300 digits (and a long one is slow to read), which would fail
#: the whole body instead of the one value.
_LONGEST_INTEGER = 40


def json_integer(text: str) -> int | Decimal:
    """A JSON integer as `json.loads(parse_int=...)` reads it: an `int`, or a
    `Decimal` when it is too long to be one, so that the value it was sent for is
    refused on its own (too large to store, or not an id)."""
    return int(text) if len(text) <= _LONGEST_INTEGER else Decimal(text)


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
    external_id: str = ""
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    #: True when a repeated submission found this measurement already recorded.
    replayed: bool = False
    #: The metric's display places once this write is counted (a value typed with
    #: more decimals raises them); None when the write did not read the metric.
    places: int | None = None
    #: For a new record: the windows built on its metric (goals) that its moment falls
    #: outside of, in words ("“Run 100 km in December” starts on 1 Dec").
    outside: list[str] = []

    @field_validator("measured_at", "created", "updated")
    @classmethod
    def _in_utc(cls, moment: dt.datetime | None) -> dt.datetime | None:
        """In UTC, as stored: a new record says its moment as a read of it would, not
        in the offset it was sent with."""
        return moment.astimezone(dt.UTC) if moment and moment.tzinfo else moment


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


class Outcome(StrEnum):
    """What a batch did with one item."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


class Written(BaseModel):
    """An item of a batch that was written, or found already as it was sent."""

    model_config = ConfigDict(frozen=True)

    index: int
    id: int
    outcome: Outcome


class ItemOutcome(BaseModel):
    """One item's fate, in the batch's order: its measurement's id (none when
    rejected), and what was wrong with it when rejected."""

    model_config = ConfigDict(frozen=True)

    index: int
    outcome: Outcome
    id: int | None = None
    fields: list[FieldError] = Field(default_factory=list)


class IngestCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = Field(default_factory=list)
    #: The items written (created, updated or unchanged), by index; with `rejections`
    #: they account for every item.
    written: list[Written] = Field(default_factory=list)

    def outcomes(self) -> list[ItemOutcome]:
        """Every item's outcome, in the order the batch sent them."""
        # Built without validating again: every part was validated on its way in.
        outcomes = [
            ItemOutcome.model_construct(index=w.index, outcome=w.outcome, id=w.id, fields=[])
            for w in self.written
        ]
        outcomes += (
            ItemOutcome.model_construct(
                index=r.index, outcome=Outcome.REJECTED, id=None, fields=r.fields
            )
            for r in self.rejections
        )
        return sorted(outcomes, key=lambda outcome: outcome.index)
