"""Whether a value typed by hand looks like a slip of the finger: 800 kg after a week
around 80. Such a value is not refused; the page asks once more before recording it.
(The API records what it is sent: its clients say what they mean.)

Only metrics whose values cannot be negative are weighed (`units.negative_refusal`),
against the median of their latest values:

- a weight is a level that moves slowly: more than `LEVEL_FACTOR` times the median,
  or less than its `LEVEL_FACTOR`th, is asked about, from one earlier value on;
- other amounts (a distance run, a duration, a count) vary from one entry to the
  next, a marathon after a few 5 km runs: only more than `AMOUNT_FACTOR` times the
  median is asked about, once there are `AMOUNT_HISTORY` earlier values.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .units import is_weight, negative_refusal

LEVEL_FACTOR = Decimal(5)
AMOUNT_FACTOR = Decimal(10)
AMOUNT_HISTORY = 3


@dataclass(frozen=True)
class Jump:
    """A value far from the recent ones: `more` than them or not (less), and the
    median they were around."""

    more: bool
    typical: Decimal


def jump(value: Decimal, recent: Sequence[Decimal], metric_unit: str) -> Jump | None:
    """The jump `value` makes from `recent` (the metric's latest values), or None
    when it is plausible or there is too little to judge by."""
    if not recent or negative_refusal(metric_unit) is None:
        return None
    level = is_weight(metric_unit)
    if not level and len(recent) < AMOUNT_HISTORY:
        return None
    typical = statistics.median(recent)
    if typical <= 0:
        return None
    factor = LEVEL_FACTOR if level else AMOUNT_FACTOR
    if value > typical * factor:
        return Jump(more=True, typical=typical)
    if level and value < typical / factor:
        return Jump(more=False, typical=typical)
    return None
