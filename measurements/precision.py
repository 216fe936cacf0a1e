"""How many decimals a metric's values are shown with.

A person can state it (`Metric.display_places`). Until they do, the unit sets a floor
(a counting label, "workouts", none; a physical unit, "kg", one: trailing zeros are
not shown, so "85" still reads "85" while 180 lb reads "81.6 kg"), and the values
typed in the metric's own unit may ask for more (`Metric.typed_places`: the most
decimals typed so far, at most `TYPED_PLACES_CAP`, so "81.45" reads with two). Stored
values are never rounded: this is only how they read.
"""

from collections.abc import Iterable
from decimal import Decimal

from config.numbers import places_of

#: Typing "81.456" says more about the scale than about what is worth reading.
TYPED_PLACES_CAP = 2
PHYSICAL_UNIT_PLACES = 1
COUNTING_LABEL_PLACES = 0


def default_places(unit: str) -> int:
    """The places for a metric with nothing typed yet."""
    from .units import is_counting_label  # pint loads only when a unit is read

    return COUNTING_LABEL_PLACES if is_counting_label(unit) else PHYSICAL_UNIT_PLACES


def places_in(values: Iterable[Decimal]) -> int | None:
    """The places values typed in the metric's own unit suggest; None for none."""
    found = [places_of(value) for value in values]
    return min(max(found), TYPED_PLACES_CAP) if found else None
