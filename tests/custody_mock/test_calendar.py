"""T+1 settlement dates on the NYSE + bank-holiday calendar (issue 3's required cases)."""

import datetime as dt

import pytest

from servicekit.calendar import SettlementCalendar

D = dt.date


@pytest.fixture(scope="module")
def calendar():
    return SettlementCalendar()


@pytest.mark.parametrize(
    ("trade", "settles", "why"),
    [
        (D(2024, 10, 11), D(2024, 10, 15), "Columbus Day: NYSE open, banks closed"),
        (D(2024, 11, 8), D(2024, 11, 12), "Veterans Day: NYSE open, banks closed"),
        (D(2025, 1, 8), D(2025, 1, 10), "NYSE closed for the national day of mourning"),
        (D(2025, 4, 17), D(2025, 4, 21), "Good Friday: NYSE closed, banks open"),
        (D(2024, 12, 31), D(2025, 1, 2), "New Year's Day"),
        (D(2023, 11, 9), D(2023, 11, 10), "Veterans Day on a Saturday: Friday is a bank day"),
        (D(2022, 1, 14), D(2022, 1, 18), "weekend then Martin Luther King Jr. Day"),
    ],
)
def test_settlement_dates(calendar, trade, settles, why):
    assert calendar.settlement_date(trade) == settles, why


def test_columbus_day_trades_but_does_not_settle(calendar):
    assert calendar.is_trading_day(D(2024, 10, 14))
    assert calendar.is_bank_holiday(D(2024, 10, 14))
    assert not calendar.is_settlement_day(D(2024, 10, 14))


def test_sunday_holiday_closes_banks_on_monday(calendar):
    # Independence Day 2027 is a Sunday; NYSE and banks close on Monday 2027-07-05
    assert calendar.is_bank_holiday(D(2027, 7, 5))
    assert not calendar.is_settlement_day(D(2027, 7, 5))


def test_longer_cycles_and_bad_cycles(calendar):
    assert calendar.settlement_date(D(2024, 10, 10), cycle=2) == D(2024, 10, 15)
    with pytest.raises(ValueError):
        calendar.settlement_date(D(2024, 10, 10), cycle=0)
