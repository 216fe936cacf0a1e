"""Reading a value typed with a unit ("180 lb", "5 mi", "45 min") into the metric's
unit.

Physical units convert through pint, keeping Decimal arithmetic. A unit pint does not
know ("workouts", "pages") is a counting label: it matches only itself, in the
singular or the plural and in any case ("1 workout", "2 Workouts"). The typed value
and unit are kept beside the converted one, for display.

Besides a number with a unit, `read` takes:

- a compound quantity, its parts summed: "7h 30min", "1 h 5 min 30 s", "5 ft 10 in".
  A bare number after hours is minutes ("7h30"), and "m" among times is minutes
  ("7h 30m");
- a clock duration for a metric in time units: "1:30:00" is h:mm:ss; "7:30" is h:mm
  when the metric counts hours (or days), and m:ss when it counts minutes or seconds
  (a plank, a split: a clock reading under an hour is what is typed there);
- "10k" for a distance: ten kilometres, as races are named. Elsewhere "k" is
  ambiguous (a thousand? a unit?) and the entry is refused with the number in full.

A value that cannot be negative for its metric (a weight, a distance, a duration, a
count) is refused when negative; a temperature, a percentage or money may be.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

import pint

from config.numbers import plain, unit_label

from .contracts import STORED_PLACES, UnstorableNumber, storable

_NUMBER = r"(?:\d+(?:[.,]\d*)?|[.,]\d+)"
_ENTRY = re.compile(rf"^\s*(?P<number>[-+]?{_NUMBER})\s*(?P<unit>.*?)\s*$")
#: One part of a compound ("7h", "30 min"); the last may have no unit ("7h30").
_PART = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>[^\W\d_]+\.?)?\s*")
_COMPOUND = re.compile(
    rf"^(?P<sign>[-+]?)\s*(?P<parts>(?:{_NUMBER}\s*[^\W\d_]+\.?\s*)+{_NUMBER}?)$"
)
_CLOCK = re.compile(
    r"^(?P<sign>[-+]?)\s*(?P<first>\d+):(?P<second>\d{1,2})(?::(?P<third>\d{1,2}(?:[.,]\d+)?))?"
    r"\s*(?P<unit>[^\W\d_]+)?$"
)
_THOUSANDS = re.compile(rf"^(?P<number>[-+]?{_NUMBER})\s*[kK]$")

#: Counting labels that may fall below zero: money (a balance, a budget).
_SIGNED_LABEL = re.compile(r"^(?:[A-Z]{3}|[$€£¥₹₩₽¢]|dollars?|euros?|pounds sterling)$")


class UnitError(ValueError):
    """A value that cannot be read in the metric's unit; the message says why, and
    `field` which part of the entry it is about."""

    field = "unit"


class UnstorableValue(UnitError):
    """The number, as typed or converted, is out of what can be stored."""

    field = "value"


class NegativeValue(UnitError):
    """Below zero, for a metric whose values cannot be."""

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


def _is_time(unit: pint.Unit | None) -> bool:
    return unit is not None and unit.dimensionality == registry().second.dimensionality


def _at_least(unit: pint.Unit, other: pint.Unit) -> bool:
    reg = registry()
    return reg.Quantity(Decimal(1), unit) >= reg.Quantity(Decimal(1), other)


def _singular(label: str) -> str:
    """A counting label in the singular, word by word, for comparing ("Workouts",
    "workout"; "entries", "entry"; "glasses of water", "glass of water")."""
    words = []
    for word in label.casefold().split():
        if len(word) > 3 and word.endswith("ies"):
            words.append(word[:-3] + "y")
        else:
            words.append(unit_label("1", word))
    return " ".join(words)


def _same_unit(unit: str, metric_unit: str) -> bool:
    """Typed in the metric's own unit: the same word in any case or number ("1
    workout" for workouts), or another name pint gives the same unit ("hr" for h)."""
    unit, metric_unit = unit.strip(), metric_unit.strip()
    if not unit or _singular(unit) == _singular(metric_unit):
        return True
    source = _physical(unit)
    return source is not None and source == _physical(metric_unit)


def is_weight(metric_unit: str) -> bool:
    """A metric in a unit of mass (kg, lb, st)."""
    unit = _physical(metric_unit.strip())
    return unit is not None and unit.dimensionality == registry().gram.dimensionality


@lru_cache(maxsize=1024)
def negative_refusal(metric_unit: str) -> str | None:
    """Why a metric in `metric_unit` cannot take a value below zero, or None when it
    can (a temperature, a percentage, money)."""
    unit = metric_unit.strip()
    physical = _physical(unit)
    if physical is None:
        return None if _SIGNED_LABEL.match(unit) else f"A count of {unit} cannot be negative."
    dimensions = physical.dimensionality
    if not dimensions or "[temperature]" in dimensions:
        return None
    reg = registry()
    named = {
        reg.gram.dimensionality: "A weight",
        reg.metre.dimensionality: "A distance",
        reg.second.dimensionality: "A duration",
    }
    return f"{named.get(dimensions, f'A value in {unit}')} cannot be negative."


def refuse_negative(value: Decimal, metric_unit: str) -> None:
    """`NegativeValue` when `value` is below zero and the metric's values cannot be."""
    if value < 0 and (reason := negative_refusal(metric_unit)):
        raise NegativeValue(reason)


def read(entry: str, metric_unit: str) -> Reading:
    """The value of `entry` in `metric_unit`, or `UnitError` with a plain reason."""
    text = (entry or "").strip()
    for special in (_clock, _compound, _thousands):
        reading = special(text, metric_unit)
        if reading is not None:
            return reading
    match = _ENTRY.match(text)
    if match is None:
        raise UnitError("Enter a number, optionally with a unit (81.4, 180 lb).")
    unit = match["unit"]
    if unit.casefold() == "m" and _is_time(_physical(metric_unit)):
        unit = "min"  # "30m" for a duration: minutes, not metres
    return convert(_number(match["number"]), unit, metric_unit)


def _number(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise UnitError("Enter a number.") from exc


def _clock(text: str, metric_unit: str) -> Reading | None:
    """ "7:30", "1:30:00", "1:30 min": a duration as a clock shows it."""
    match = _CLOCK.match(text)
    if match is None:
        return None
    target = _physical(metric_unit)
    stated = _physical(match["unit"]) if match["unit"] else target
    if not _is_time(target) or not _is_time(stated):
        raise UnitError(
            f"“{text}” reads as a time on a clock; this metric is in {metric_unit}: enter a number."
        )
    fields = [match["first"], match["second"], match["third"]]
    if match["third"] is not None or _at_least(stated, registry().hour):
        units = ["h", "min", "s"]
    else:
        units = ["min", "s"]
    if any(_number(field) >= 60 for field in fields[1:] if field is not None):
        raise UnitError("Minutes and seconds after a colon go up to 59.")
    return _summed(
        [
            (_number(field), unit)
            for field, unit in zip(fields, units, strict=False)
            if field is not None
        ],
        match["sign"],
        metric_unit,
    )


def _compound(text: str, metric_unit: str) -> Reading | None:
    """ "7h 30min", "7h30", "5 ft 10 in": parts in units of one kind, summed. None
    when `text` is not one (a single part, a counting label among the parts)."""
    match = _COMPOUND.match(text)
    if match is None:
        return None
    parts = [(part["number"], part["unit"] or "") for part in _PART.finditer(match["parts"])]
    if len(parts) < 2 or any(unit and _physical(unit) is None for _, unit in parts):
        return None
    timed = _is_time(_physical(metric_unit)) or any(
        _is_time(_physical(unit)) for _, unit in parts if unit and unit.casefold() != "m"
    )
    units = []
    for _, unit in parts:
        if not unit:  # the last part: the unit after the one before ("7h30", "5 min 30")
            unit = _next_smaller(units[-1])
            if unit is None:
                return None
        elif unit.casefold() == "m" and timed:
            unit = "min"
        units.append(unit)
    if len({_physical(unit).dimensionality for unit in units}) > 1:
        raise UnitError(f"The parts of “{text}” are not of one kind.")
    return _summed(
        [(_number(number), unit) for (number, _), unit in zip(parts, units, strict=True)],
        match["sign"],
        metric_unit,
    )


def _next_smaller(unit: str) -> str | None:
    """The unit a bare number after `unit` is in: minutes after hours, seconds after
    minutes; None after anything else."""
    physical, reg = _physical(unit), registry()
    return {reg.hour: "min", reg.minute: "s"}.get(physical)


def _summed(parts: list[tuple[Decimal, str]], sign: str, metric_unit: str) -> Reading:
    """Parts in units of one kind, summed in the smallest of them (kept as typed) and
    read in the metric's unit."""
    reg = registry()
    for number, _ in parts:
        _storable(number)
    target = _physical(metric_unit)
    if target is None or target.dimensionality != _physical(parts[0][1]).dimensionality:
        typed = " ".join(f"{plain(number)} {unit}" for number, unit in parts)
        raise UnitError(f"{typed} cannot be converted to {metric_unit}.")
    smallest = min(
        (_physical(unit) for _, unit in parts), key=lambda unit: reg.Quantity(Decimal(1), unit)
    )
    total = sum(
        (reg.Quantity(number, unit).to(smallest).magnitude for number, unit in parts),
        Decimal(0),
    )
    total = _storable(-total if sign == "-" else total)
    label = next(unit for _, unit in reversed(parts) if _physical(unit) == smallest)
    return convert(total, label, metric_unit)


def _thousands(text: str, metric_unit: str) -> Reading | None:
    """ "10k": ten kilometres for a distance; elsewhere, ambiguous."""
    match = _THOUSANDS.match(text)
    if match is None:
        return None
    number = _number(match["number"])
    target = _physical(metric_unit)
    if target is not None and "[temperature]" in target.dimensionality:
        return None  # "10 K" is ten kelvin
    if target is not None and target.dimensionality == registry().metre.dimensionality:
        return convert(number, "km", metric_unit)
    in_full = plain(_storable(number) * 1000)
    if target is None:
        raise UnitError(
            f"Does “{text}” mean {in_full} {metric_unit}? Type the number in full ({in_full})."
        )
    raise UnitError(
        f"“k” is not a unit here: type the number in full ({in_full}), or the unit "
        f"(for instance {number} {metric_unit})."
    )


def _storable(number) -> Decimal:
    try:
        return storable(Decimal(number))
    except UnstorableNumber as exc:
        raise UnstorableValue(str(exc)) from exc


@dataclass(frozen=True)
class _Conversion:
    """How values typed in one unit become values of a metric's unit, worked out once
    per pair of units: a batch of 10,000 values in pounds asks pint once, not 10,000
    times (each asking cost about 60 µs)."""

    same: bool = False
    #: Why values in that unit cannot be taken for the metric.
    refusal: str = ""
    #: The metric's units per typed unit, when the conversion is a plain multiplication
    #: (all but temperatures): `number * factor` is exactly what pint computes.
    factor: Decimal | None = None
    source: pint.Unit | None = None
    target: pint.Unit | None = None


@lru_cache(maxsize=1024)
def _conversion(unit: str, metric_unit: str) -> _Conversion:
    if _same_unit(unit, metric_unit):
        return _Conversion(same=True)
    target = _physical(metric_unit)
    if target is None:
        return _Conversion(refusal=f"This metric counts {metric_unit}; enter a plain number.")
    source = _physical(unit)
    if source is None:
        return _Conversion(refusal=f"“{unit}” is not a unit we know.")
    quantity = registry().Quantity
    try:
        one = quantity(Decimal(1), source).to(target).magnitude
    except pint.DimensionalityError:
        return _Conversion(refusal=f"{unit} cannot be converted to {metric_unit}.")
    try:  # zero stays zero: a plain multiplication (not so for an offset or a logarithm)
        linear = quantity(Decimal(0), source).to(target).magnitude == 0
    except (ArithmeticError, ValueError):
        linear = False
    return _Conversion(factor=one if linear else None, source=source, target=target)


def convert(number: Decimal, unit: str, metric_unit: str) -> Reading:
    """`number` in `unit` (empty: the metric's own), in `metric_unit`. Both the number
    as typed and the converted one are kept, so both must be storable: the typed one is
    checked before pint does any arithmetic with it. A value below zero is refused
    where the metric's values cannot be (`refuse_negative`)."""
    number = _storable(number)
    unit = unit.strip()
    conversion = _conversion(unit, metric_unit)
    if conversion.same:
        refuse_negative(number, metric_unit)
        return Reading(value=number)
    if conversion.refusal:
        raise UnitError(conversion.refusal)
    if conversion.factor is not None:
        converted = number * conversion.factor
    else:
        converted = registry().Quantity(number, conversion.source).to(conversion.target).magnitude
    # Bounded now, so quantizing cannot overflow the context.
    value = _storable(converted).quantize(STORED_PLACES)
    refuse_negative(value, metric_unit)
    return Reading(value=value, original_value=number, original_unit=unit)
