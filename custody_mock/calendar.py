"""The T+1 settlement calendar of a US self-clearing broker.

A trade settles on the first *settlement day* after its trade date. A settlement day is an NYSE
session (from ``exchange_calendars``, which knows early closes and unscheduled closures such as the
national day of mourning on 2025-01-09) that is also a bank business day. Banks close on the US
federal holidays the Federal Reserve observes, which include Columbus Day and Veterans Day when
NYSE trades: a holiday on a Sunday is observed the Monday after; one on a Saturday is not moved
(the Federal Reserve stays open the Friday before).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import exchange_calendars
import holidays


class SettlementCalendar:
    """NYSE sessions intersected with Federal Reserve bank business days."""

    def __init__(self, exchange: str = "XNYS") -> None:
        self._sessions = exchange_calendars.get_calendar(exchange)

    def is_trading_day(self, day: dt.date) -> bool:
        return bool(self._sessions.is_session(day.isoformat()))

    def is_bank_holiday(self, day: dt.date) -> bool:
        return day in _bank_holidays(day.year)

    def is_settlement_day(self, day: dt.date) -> bool:
        return self.is_trading_day(day) and not self.is_bank_holiday(day)

    def settlement_date(self, trade_date: dt.date, cycle: int = 1) -> dt.date:
        """The `cycle`-th settlement day after `trade_date` (T+1 by default)."""
        if cycle < 1:
            raise ValueError("settlement cycle must be at least one day")
        day, remaining = trade_date, cycle
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_settlement_day(day):
                remaining -= 1
        return day


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    federal = holidays.US(years=(year - 1, year), observed=False)
    days = set()
    for day in federal:
        if day.weekday() == 6:  # Sunday: the Federal Reserve closes the Monday after
            day += dt.timedelta(days=1)
        if day.weekday() < 5 and day.year == year:
            days.add(day)
    return frozenset(days)
