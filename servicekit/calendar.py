"""The T+1 settlement calendar of a US broker, shared by the mock broker and the issuer.

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
from zoneinfo import ZoneInfo

import exchange_calendars
import holidays

NEW_YORK = ZoneInfo("America/New_York")
#: Extended hours: pre-market from 04:00 and after-hours until 20:00, New York time.
EXTENDED_OPEN = dt.time(4, 0)
EXTENDED_CLOSE = dt.time(20, 0)


class SettlementCalendar:
    """NYSE sessions intersected with Federal Reserve bank business days."""

    def __init__(self, exchange: str = "XNYS") -> None:
        self._sessions = exchange_calendars.get_calendar(exchange)

    @property
    def first_day(self) -> dt.date:
        """The first day the calendar data covers."""
        day: dt.date = self._sessions.first_session.date()
        return day

    @property
    def last_day(self) -> dt.date:
        """The last day the clock may reach: the data's end, less room to settle and pay."""
        day: dt.date = self._sessions.last_session.date()
        return day - dt.timedelta(days=31)

    def covers(self, moment: dt.datetime) -> bool:
        return self.first_day <= local_date(moment) <= self.last_day

    def is_trading_day(self, day: dt.date) -> bool:
        return _is_session(self._sessions, day)

    def is_bank_holiday(self, day: dt.date) -> bool:
        return day in _bank_holidays(day.year)

    def is_settlement_day(self, day: dt.date) -> bool:
        return self.is_trading_day(day) and not self.is_bank_holiday(day)

    def session_hours(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """Regular open and close (UTC) of the session on ``day``, None when NYSE is closed.

        Early closes (the day after Thanksgiving, Christmas Eve...) come from the calendar data.
        """
        return _session_hours(self._sessions, day)

    def extended_hours(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """Pre-market open and after-hours close (UTC) on a session day, None when closed."""
        if not self.is_trading_day(day):
            return None
        start = dt.datetime.combine(day, EXTENDED_OPEN, NEW_YORK).astimezone(dt.UTC)
        end = dt.datetime.combine(day, EXTENDED_CLOSE, NEW_YORK).astimezone(dt.UTC)
        return start, end

    def next_trading_day(self, day: dt.date) -> dt.date:
        """``day`` itself when NYSE trades on it, else the next session."""
        while not self.is_trading_day(day):
            day += dt.timedelta(days=1)
        return day

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


@lru_cache(maxsize=8192)
def _is_session(sessions: exchange_calendars.ExchangeCalendar, day: dt.date) -> bool:
    return bool(sessions.is_session(day.isoformat()))


@lru_cache(maxsize=4096)
def _session_hours(
    sessions: exchange_calendars.ExchangeCalendar, day: dt.date
) -> tuple[dt.datetime, dt.datetime] | None:
    if not _is_session(sessions, day):
        return None
    label = day.isoformat()
    return (
        sessions.session_open(label).to_pydatetime().astimezone(dt.UTC),
        sessions.session_close(label).to_pydatetime().astimezone(dt.UTC),
    )


def local_date(moment: dt.datetime) -> dt.date:
    """The New York calendar date of a moment: the trade date of anything done then."""
    return moment.astimezone(NEW_YORK).date()


def midnight(day: dt.date) -> dt.datetime:
    """Midnight New York time at the start of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(0), NEW_YORK).astimezone(dt.UTC)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    federal = holidays.country_holidays("US", years=(year - 1, year), observed=False)
    days = set()
    for day in federal:
        if day.weekday() == 6:  # Sunday: the Federal Reserve closes the Monday after
            day += dt.timedelta(days=1)
        if day.weekday() < 5 and day.year == year:
            days.add(day)
    return frozenset(days)
