"""The one way numbers are written: `plain` for what is stored, sent and typed back
(exact), `format_value` and `quantity` for what a person reads (at a metric's
display precision)."""

from decimal import ROUND_HALF_UP, Decimal

#: The places shown when nothing says otherwise (a value with no metric at hand).
DEFAULT_PLACES = 2
#: The most places a metric may ask for: what a stored value keeps.
MAX_PLACES = 6


def plain(value: Decimal | int | None) -> str:
    """A number as people write it: no trailing zeros, no exponent (100, 81.4, 0.05)."""
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(value)
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def places_of(value: Decimal) -> int:
    """How many decimals a typed value has, trailing zeros aside ("81.40" -> 1)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_value(value: Decimal | int | float | None, places: int | None = None) -> str:
    """A value for reading: rounded half up to `places` decimals (DEFAULT_PLACES when
    None), trailing zeros dropped, thousands grouped ("81.6", "15,465", "0"). Without
    `places`, a tiny value keeps two significant digits rather than reading "0"."""
    if value is None:
        return ""
    value = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not value.is_finite():
        return str(value)
    if value == 0:
        return "0"
    if places is None:
        small = abs(value) < Decimal("0.1")
        step = Decimal(1).scaleb(value.adjusted() - 1) if small else Decimal("0.01")
    else:
        step = Decimal(1).scaleb(-min(max(places, 0), MAX_PLACES))
    text = f"{value.quantize(step, rounding=ROUND_HALF_UP):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def unit_label(shown: str, unit: str) -> str:
    """The unit as it reads after the number `shown`: a counting label in the plural
    ("workouts", "coffees") turns singular after exactly 1 ("1 workout"). Symbols and
    words that are not plurals are left alone ("kg", "h", "glass", "bus")."""
    if shown.lstrip("-") != "1" or " " in unit or len(unit) < 3 or unit[-1] != "s":
        return unit
    if unit.endswith(("ss", "us", "is")):
        return unit
    if unit.endswith(("sses", "shes", "ches", "xes", "zes")):
        return unit[:-2]
    return unit[:-1]


def quantity(value: Decimal | int | float | None, unit: str, places: int | None = None) -> str:
    """A value with its unit, as people say it: "81.6 kg", "1 workout", "3 coffees"."""
    if value is None:
        return ""
    shown = format_value(value, places)
    return f"{shown} {unit_label(shown, unit)}".strip()
