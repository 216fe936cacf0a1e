"""Plain words for progress: numbers with units, days, periods.

Kinds write their headline and summary with these, so every page says "2.1 kg to go"
the same way and templates never format a number themselves.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

PERIOD_NOUNS = {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months")}
THIS_PERIOD = {"day": "today", "week": "this week", "month": "this month"}


def number(value: Decimal) -> str:
    """At most two decimals, or two significant digits for tiny values, so 0.000123
    reads "0.00012" rather than "0"; thousands are grouped; no trailing zeros."""
    if value == 0:
        return "0"
    if abs(value) >= Decimal("0.1"):
        places = Decimal("0.01")
    else:
        places = Decimal(1).scaleb(value.adjusted() - 1)
    text = f"{value.quantize(places, rounding=ROUND_HALF_UP):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def amount(value: Decimal, unit: str) -> str:
    """A value with its unit: "2.1 kg", and "1 cup" for a unit of "cups". Only a plain
    trailing "s" is dropped, so "glasses", "bus" and "kg" are left alone."""
    if abs(value) == 1 and len(unit) > 2 and unit.endswith("s") and unit[-2] not in "seu":
        unit = unit[:-1]
    return f"{number(value)} {unit}".strip()


def count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def days(n: int) -> str:
    return count(n, "day")


def periods(n: int, period: str) -> str:
    singular, plural = PERIOD_NOUNS[period]
    return count(n, singular, plural)


def day(value: dt.date, *, today: dt.date) -> str:
    """A day as "3 Mar", with the year when it is not this year's."""
    text = f"{value.day} {value:%b}"
    return text if value.year == today.year else f"{text} {value.year}"


def capitalized(text: str) -> str:
    """The first letter upper case, the rest as it was ("Starts on 2 Mar")."""
    return f"{text[:1].upper()}{text[1:]}"


def sentence(*parts: str) -> str:
    """Joins the non-empty parts with semicolons into one sentence."""
    text = "; ".join(part for part in parts if part)
    return f"{capitalized(text)}." if text else ""
