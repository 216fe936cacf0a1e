"""What quick entry reads from a typed value: a number with or without a unit, in the
metric's unit or converted from another; compound and clock durations, counting
labels in the singular or the plural, "10k", and values below zero where a metric
cannot have them; and which values are asked about before they are recorded."""

import random
from decimal import Decimal

import pytest

from measurements.contracts import STORED_PLACES
from measurements.plausible import Jump, jump
from measurements.units import NegativeValue, UnitError, convert, negative_refusal, read, registry


@pytest.mark.parametrize(
    ("entry", "metric_unit", "value", "original"),
    [
        # A number, with or without a unit.
        ("81.4", "kg", "81.4", None),
        ("81,4", "kg", "81.4", None),
        (" 81.4 kg ", "kg", "81.4", None),
        ("81.4 KG", "kg", "81.4", None),
        ("180 lb", "kg", "81.646627", ("180", "lb")),
        ("5 mi", "km", "8.046720", ("5", "mi")),
        ("10000 m", "km", "10.000000", ("10000", "m")),
        ("45 min", "h", "0.750000", ("45", "min")),
        ("90 minutes", "hours", "1.500000", ("90", "minutes")),
        ("-3.5", "°C", "-3.5", None),
        ("3", "workouts", "3", None),
        ("3 workouts", "workouts", "3", None),
        (".5", "cups", ".5", None),
        # Compound durations, summed in their smallest unit (kept as typed).
        ("7h 30min", "h", "7.5", ("450", "min")),
        ("7h30", "h", "7.5", ("450", "min")),
        ("7 h 30 min", "hours", "7.5", ("450", "min")),
        ("7 hours 30 minutes", "h", "7.5", ("450", "minutes")),
        ("7h 30m", "h", "7.5", ("450", "min")),  # "m" among times: minutes
        ("1h 5min 30s", "min", "65.5", ("3930", "s")),
        ("7 min 30", "min", "7.5", ("450", "s")),
        ("7h 30min", "min", "450", None),  # the smallest part is the metric's unit
        # Clock durations: h:mm for an hour metric, m:ss for minutes or seconds.
        ("7:30", "h", "7.5", ("450", "min")),
        ("1:30", "h", "1.5", ("90", "min")),
        ("1:30", "min", "1.5", ("90", "s")),
        ("1:30", "s", "90", None),
        ("1:30:00", "min", "90", ("5400", "s")),
        ("1:30 h", "min", "90", None),
        # Single durations, as before.
        ("90 min", "h", "1.5", ("90", "min")),
        ("1.5 h", "h", "1.5", None),
        ("1,5 h", "h", "1.5", None),
        ("30m", "h", "0.5", ("30", "min")),  # a duration: minutes, not metres
        ("7 hr", "h", "7", None),  # another name of the metric's unit
        # Other compounds.
        ("5 ft 10 in", "cm", "177.8", ("70", "in")),
        ("1 m 80 cm", "m", "1.8", ("180", "cm")),
        # Counting labels, singular or plural, any case.
        ("1 workout", "workouts", "1", None),
        ("2 workouts", "workouts", "2", None),
        ("2 Workouts", "workouts", "2", None),
        ("1 WORKOUT", "workouts", "1", None),
        ("1 time", "times", "1", None),
        ("3 times", "time", "3", None),
        ("2 entries", "entry", "2", None),
        ("1 glass", "glasses", "1", None),
        ("1 cup", "cups", "1", None),
        # "10k": a distance of ten kilometres.
        ("10k", "km", "10", None),
        ("10K", "km", "10", None),
        ("10 k", "km", "10", None),
        ("10k", "mi", "6.213712", ("10", "km")),
        ("10 K", "°C", "-263.15", ("10", "K")),  # a temperature: ten kelvin
        # Zero and below where a metric may go below zero.
        ("0", "kg", "0", None),
        ("-3.5", "°C", "-3.5", None),
        ("-5", "EUR", "-5", None),
        ("-2", "%", "-2", None),
    ],
)
def test_readings(entry, metric_unit, value, original):
    reading = read(entry, metric_unit)
    assert reading.value == Decimal(value)
    if original is None:
        assert (reading.original_value, reading.original_unit) == (None, "")
    else:
        assert (reading.original_value, reading.original_unit) == (
            Decimal(original[0]),
            original[1],
        )


@pytest.mark.parametrize(
    ("entry", "metric_unit", "message"),
    [
        ("eighty", "kg", "Enter a number, optionally with a unit"),
        ("", "kg", "Enter a number"),
        ("NaN", "kg", "Enter a number"),
        ("inf", "kg", "Enter a number"),
        ("1 lb", "km", "lb cannot be converted to km."),
        ("5 blorbs", "kg", "“blorbs” is not a unit we know."),
        ("2 pages", "workouts", "This metric counts workouts; enter a plain number."),
        ("2 kg", "workouts", "This metric counts workouts; enter a plain number."),
        ("7:75", "h", "Minutes and seconds after a colon go up to 59."),
        ("1:30:75", "h", "Minutes and seconds after a colon go up to 59."),
        ("7:30", "kg", "“7:30” reads as a time on a clock; this metric is in kg"),
        ("7:30", "workouts", "this metric is in workouts"),
        ("7h 30min", "kg", "7 h 30 min cannot be converted to kg."),
        ("5 km 3 kg", "km", "The parts of “5 km 3 kg” are not of one kind."),
        ("10k", "workouts", r"Does “10k” mean 10000 workouts\? Type the number in full \(10000\)."),
        ("10k", "steps", r"Does “10k” mean 10000 steps\?"),
        ("2.5k", "steps", r"Type the number in full \(2500\)"),
        ("10k", "kg", r"“k” is not a unit here: type the number in full \(10000\)"),
        ("2 pages", "workouts", "This metric counts workouts; enter a plain number."),
        ("1e9999999", "kg", "is not a unit we know"),
    ],
)
def test_rejections(entry, metric_unit, message):
    with pytest.raises(UnitError, match=message):
        read(entry, metric_unit)


@pytest.mark.parametrize(
    ("entry", "metric_unit", "message"),
    [
        ("-80", "kg", "A weight cannot be negative."),
        ("-180 lb", "kg", "A weight cannot be negative."),
        ("-5", "km", "A distance cannot be negative."),
        ("-1", "h", "A duration cannot be negative."),
        ("-7h 30min", "h", "A duration cannot be negative."),
        ("-1:30", "min", "A duration cannot be negative."),
        ("-1", "workouts", "A count of workouts cannot be negative."),
        ("-10k", "km", "A distance cannot be negative."),
        ("-2", "kcal", "A value in kcal cannot be negative."),
    ],
)
def test_below_zero_is_refused_where_a_metric_cannot_be(entry, metric_unit, message):
    with pytest.raises(NegativeValue, match=message) as refused:
        read(entry, metric_unit)
    assert refused.value.field == "value"


@pytest.mark.parametrize(
    ("metric_unit", "signed"),
    [
        ("kg", False),
        ("lb", False),
        ("km", False),
        ("h", False),
        ("workouts", False),
        ("steps", False),
        ("cups", False),
        ("°C", True),
        ("degF", True),
        ("%", True),
        ("EUR", True),
        ("$", True),
    ],
)
def test_which_metrics_may_go_below_zero(metric_unit, signed):
    assert (negative_refusal(metric_unit) is None) is signed


def values(*numbers) -> list[Decimal]:
    return [Decimal(str(number)) for number in numbers]


@pytest.mark.parametrize(
    ("value", "recent", "unit", "expected"),
    [
        # A weight: asked about beyond five times the recent median, either way.
        (800, values(80, 81, 79.5), "kg", Jump(more=True, typical=Decimal(80))),
        (8, values(80, 81, 79.5), "kg", Jump(more=False, typical=Decimal(80))),
        (800, values(80), "kg", Jump(more=True, typical=Decimal(80))),
        (0, values(80), "kg", Jump(more=False, typical=Decimal(80))),
        (85, values(80, 81, 79.5), "kg", None),
        (400, values(80, 81, 79.5), "kg", None),  # five times is still plausible
        # Amounts vary more: only ten times the median, and after three values.
        (42, values(5, 6, 5.5), "km", None),
        (60, values(5, 6, 5.5), "km", Jump(more=True, typical=Decimal("5.5"))),
        (0.5, values(5, 6, 5.5), "km", None),
        (60, values(5, 6), "km", None),
        (20, values(1, 1, 2, 1, 1), "workouts", Jump(more=True, typical=Decimal(1))),
        # Nothing to judge by, or a metric that may go anywhere.
        (800, [], "kg", None),
        (800, values(0, 0, 0), "kg", None),
        (100, values(-3, 2, 1), "°C", None),
    ],
)
def test_which_values_are_asked_about(value, recent, unit, expected):
    assert jump(Decimal(value), recent, unit) == expected


@pytest.mark.parametrize(
    ("unit", "metric_unit"),
    [
        ("lb", "kg"),
        ("mi", "km"),
        ("min", "h"),
        ("stone", "kg"),
        ("kcal", "kJ"),
        ("degF", "degC"),
        ("mW", "dBm"),
    ],
)
def test_a_conversion_worked_out_once_gives_what_pint_gives_each_time(unit, metric_unit):
    """A batch asks pint once per pair of units; every value converts exactly as
    asking pint for it alone would (an offset or a logarithm still asks pint)."""
    rng = random.Random(f"{unit}-{metric_unit}")
    units = registry()
    source, target = units.parse_units(unit), units.parse_units(metric_unit)
    for _ in range(500):
        number = Decimal(rng.randint(1, 10**9)) / Decimal(10 ** rng.randint(0, 6))
        expected = units.Quantity(number, source).to(target).magnitude.quantize(STORED_PLACES)
        assert convert(number, unit, metric_unit).value == expected
