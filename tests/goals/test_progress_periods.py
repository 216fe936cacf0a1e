"""Cutting days into periods, and the words progress is told in."""

from decimal import Decimal

import pytest

from goals.kinds import wording
from goals.kinds.days import DayRange
from goals.kinds.periods import period_containing, periods_through

from .progress_factories import day

PERIODS = {
    "a day": ("2026-03-04", "day", 0, "2026-03-04", "2026-03-04"),
    "a week from Monday": ("2026-03-04", "week", 0, "2026-03-02", "2026-03-08"),
    "a week from Sunday": ("2026-03-04", "week", 6, "2026-03-01", "2026-03-07"),
    "a week from Sunday, on the Sunday": ("2026-03-08", "week", 6, "2026-03-08", "2026-03-14"),
    "a week from Monday, on the Sunday": ("2026-03-08", "week", 0, "2026-03-02", "2026-03-08"),
    "a week across the new year": ("2026-12-31", "week", 0, "2026-12-28", "2027-01-03"),
    "a month": ("2026-03-31", "month", 0, "2026-03-01", "2026-03-31"),
    "a leap February": ("2028-02-10", "month", 0, "2028-02-01", "2028-02-29"),
    "a December": ("2026-12-05", "month", 0, "2026-12-01", "2026-12-31"),
}


@pytest.mark.parametrize(
    ("on", "period", "week_start", "first", "last"), PERIODS.values(), ids=PERIODS
)
def test_period_containing(on, period, week_start, first, last):
    assert period_containing(day(on), period, week_start) == DayRange(day(first), day(last))


def test_the_first_and_last_periods_are_clipped_to_the_span():
    span = DayRange(day("2026-03-04"), day("2026-03-17"))

    assert periods_through(span, "week", 0) == [
        DayRange(day("2026-03-04"), day("2026-03-08")),
        DayRange(day("2026-03-09"), day("2026-03-15")),
        DayRange(day("2026-03-16"), day("2026-03-17")),
    ]


NUMBERS = {
    "a whole number": ("75.000000", "75"),
    "one decimal": ("2.100000", "2.1"),
    "rounded to two places": ("2.005", "2.01"),
    "thousands": ("12345.5", "12,345.5"),
    "negative": ("-3.25", "-3.25"),
    "tiny": ("0.000001", "0.000001"),
    "tiny, two significant digits": ("0.000123", "0.00012"),
    "small": ("0.04", "0.04"),
    "zero": ("0.000000", "0"),
}


@pytest.mark.parametrize(("value", "text"), NUMBERS.values(), ids=NUMBERS)
def test_numbers_read_plainly(value, text):
    assert wording.number(Decimal(value)) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        ("1", "cups", "1 cup"),
        ("2", "cups", "2 cups"),
        ("1", "glasses", "1 glass"),
        ("1", "coffees", "1 coffee"),
        ("1", "bus", "1 bus"),
        ("1", "kg", "1 kg"),
        ("-1", "workouts", "-1 workout"),
    ],
)
def test_amounts_say_one_unit_in_the_singular(value, unit, text):
    assert wording.amount(Decimal(value), unit) == text
