"""Plain words for progress: numbers with units, days, periods.

Kinds write their headline and summary with these, so every page says "2.1 kg to go"
the same way and templates never format a number themselves. Numbers go through
`config.numbers`, at the display places of the goal's metric (`places`).
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from config.numbers import format_value, quantity

PERIOD_NOUNS = {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months")}
THIS_PERIOD = {"day": "today", "week": "this week", "month": "this month"}

#: The decimals of the metric whose words are being written (None: up to two).
_places: ContextVar[int | None] = ContextVar("display_places", default=None)


@contextmanager
def places(count: int | None) -> Iterator[None]:
    """Numbers written inside show `count` decimals: the progress mapper sets a goal's
    metric's places while its kind writes its words, so kinds never pass them."""
    token = _places.set(count)
    try:
        yield
    finally:
        _places.reset(token)


def number(value: Decimal) -> str:
    """The value at the display places in effect (`places`): "81.6", "15,465"."""
    return format_value(value, _places.get())


def amount(value: Decimal, unit: str) -> str:
    """A value with its unit, at the display places in effect: "2.1 kg", and "1 cup"
    for a unit of "cups" (see `config.numbers.unit_label`)."""
    return quantity(value, unit, _places.get())


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
