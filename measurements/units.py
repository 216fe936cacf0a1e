"""Reading a value typed with a unit ("180 lb", "5 mi", "45 min") into the metric's
unit.

Physical units convert through pint, keeping Decimal arithmetic. A unit pint does not
know ("workouts", "pages") is a counting label: it matches only itself. The typed
value and unit are kept beside the converted one, for display.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

import pint

from .contracts import STORED_PLACES, UnstorableNumber, storable

_ENTRY = re.compile(r"^\s*(?P<number>[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+))\s*(?P<unit>.*?)\s*$")


class UnitError(ValueError):
    """A value that cannot be read in the metric's unit; the message says why, and
    `field` which part of the entry it is about."""

    field = "unit"


class UnstorableValue(UnitError):
    """The number, as typed or converted, is out of what can be stored."""

    field = "value"


@dataclass(frozen=True)
class Reading:
    value: Decimal
    #: What was typed, when it was in another unit than the metric's; else None/"".
    original_value: Decimal | None = None
    original_unit: str = ""


@cache
def registry() -> pint.UnitRegistry:
    return pint.UnitRegistry(non_int_type=Decimal)


def _physical(unit: str) -> pint.Unit | None:
    """The pint unit, or None for a counting label. pint's parser raises a variety of
    errors on text that is not a unit expression, and all of them mean "not a unit"."""
    try:
        return registry().parse_units(unit)
    except Exception:
        return None


def is_counting_label(unit: str) -> bool:
    """A unit pint does not know ("workouts", "pages"): it counts things."""
    return _physical(unit) is None


def read(entry: str, metric_unit: str) -> Reading:
    """The value of `entry` in `metric_unit`, or `UnitError` with a plain reason."""
    match = _ENTRY.match(entry or "")
    if match is None:
        raise UnitError("Enter a number, optionally with a unit (81.4, 180 lb).")
    try:
        number = Decimal(match["number"].replace(",", "."))
    except InvalidOperation as exc:
        raise UnitError("Enter a number.") from exc
    return convert(number, match["unit"], metric_unit)


def _storable(number) -> Decimal:
    try:
        return storable(Decimal(number))
    except UnstorableNumber as exc:
        raise UnstorableValue(str(exc)) from exc


def convert(number: Decimal, unit: str, metric_unit: str) -> Reading:
    """`number` in `unit` (empty: the metric's own), in `metric_unit`. Both the number
    as typed and the converted one are kept, so both must be storable: the typed one is
    checked before pint does any arithmetic with it."""
    number = _storable(number)
    unit = unit.strip()
    if not unit or unit.casefold() == metric_unit.strip().casefold():
        return Reading(value=number)

    target = _physical(metric_unit)
    if target is None:
        raise UnitError(f"This metric counts {metric_unit}; enter a plain number.")
    source = _physical(unit)
    if source is None:
        raise UnitError(f"“{unit}” is not a unit we know.")
    try:
        converted = registry().Quantity(number, source).to(target).magnitude
    except pint.DimensionalityError as exc:
        raise UnitError(f"{unit} cannot be converted to {metric_unit}.") from exc
    # Bounded now, so quantizing cannot overflow the context.
    value = _storable(converted).quantize(STORED_PLACES)
    return Reading(value=value, original_value=number, original_unit=unit)
