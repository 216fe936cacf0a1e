"""The value axis of a chart: gridlines at round steps a person reads at a glance.

Shared by every chart (a goal's progress, a metric's history), so they count alike.
"""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

#: Step multipliers tried in turn within each power of ten.
_MULTIPLIERS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))


def nice_ticks(
    low: Decimal, high: Decimal, *, places: int | None, most: int = 5, fewest: int = 3
) -> list[Decimal]:
    """Evenly spaced round values (steps of 1, 2, 2.5 or 5 times a power of ten) from at
    or below `low` to at or above `high`: between `fewest` and `most` of them, and never
    finer than the `places` the values are shown with, so no two labels read alike."""
    if high < low:
        low, high = high, low
    finest = Decimal(1).scaleb(-places) if places is not None else Decimal("0.01")
    span = high - low
    exponent = (span / most).adjusted() if span > 0 else finest.adjusted()
    for power in range(exponent - 1, exponent + 12):
        for multiplier in _MULTIPLIERS:
            step = multiplier * Decimal(1).scaleb(power)
            if step < finest or step % finest:
                continue
            first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
            last = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
            count = int((last - first) / step) + 1
            if count <= most:
                while count < fewest:
                    if count % 2 == 0 or first - step < 0 <= first:
                        last += step
                    else:
                        first -= step
                    count += 1
                return [first + step * index for index in range(count)]
    return [low, high]
