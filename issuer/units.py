"""Every unit conversion of the issuer, in one place, exact.

- **Raw token units and shares**: ``shares = raw * multiplier / 10^36`` (both 18-decimal
  integers). The product is an integer, so the shares are exact: a ``Decimal`` built from the
  integer's digits and an exponent, never divided in a 28-digit context.
- **Split ratios** are ``Fraction`` (a 1-for-3 reverse split is 1/3, no decimal is).
- **Sums and differences** of share figures run on ``Fraction`` and come back as exact
  ``Decimal`` (:func:`exact`); where a figure cannot be exact (a quantity times 1/3) it is rounded
  once, where it is produced, in the direction named by the function.
- **Broker precision**: quantities carry at most 9 decimals, cash 2 (Alpaca's); a quantity the
  broker will hold after a split is rounded down to 9 decimals, as the broker rounds it.
- **The broker's calendar day**: New York midnight, when the broker processes a split (from the
  settlement calendar shared with the mock, :mod:`servicekit.calendar`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from servicekit.calendar import NEW_YORK, local_date, midnight

#: 10^18: one token, and a multiplier of 1.
ONE = 10**18
QTY_PLACES = 9
QTY_STEP = Decimal(1).scaleb(-QTY_PLACES)

Number = Decimal | Fraction | int


def exact(value: Number) -> Decimal:
    """``value`` as a ``Decimal`` with no rounding at all; ValueError when it has no finite
    decimal expansion (its denominator has a prime factor other than 2 and 5)."""
    if isinstance(value, Decimal):
        return value
    fraction = Fraction(value)
    denominator, twos, fives = fraction.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    if denominator != 1:
        raise ValueError(f"{fraction} has no finite decimal expansion")
    places = max(twos, fives)
    digits = fraction.numerator * 10**places // fraction.denominator
    return Decimal(digits) if places == 0 else Decimal(f"{digits}E-{places}")


def down(value: Number, places: int) -> Decimal:
    """``value`` rounded down (towards zero) to ``places`` decimals, exactly once."""
    fraction = Fraction(value)
    scaled = abs(fraction) * 10**places
    digits = scaled.numerator // scaled.denominator
    return exact(Fraction(-digits if fraction < 0 else digits, 10**places))


def up(value: Number, places: int) -> Decimal:
    """``value`` rounded up (towards +infinity) to ``places`` decimals, exactly once."""
    scaled = Fraction(value) * 10**places
    return exact(Fraction(-(-scaled.numerator // scaled.denominator), 10**places))


def raw_to_shares(raw: int, multiplier: int) -> Decimal:
    """Economic shares of ``raw`` token units at ``multiplier``: exact (36 decimals at most,
    no trailing zeros)."""
    return exact(Fraction(raw * multiplier, ONE * ONE))


def raw_value(raw: int, multiplier: int) -> Fraction:
    """What ``raw`` token units are worth in shares at ``multiplier``, as an exact fraction
    (for sums that round once, at their end)."""
    return Fraction(raw * multiplier, ONE * ONE)


def share_units(raw: int, multiplier: int, unit: int = 10**9) -> int:
    """Economic shares of ``raw`` at ``multiplier`` in whole ``unit``-ths of a share (the
    broker's and the ballots' 1e-9), rounded down: ``floor(raw * M * unit / 1e36)``."""
    return raw * multiplier * unit // (ONE * ONE)


def shares_to_raw(shares: Decimal, multiplier: int, *, up: bool = False) -> int:
    """Raw token units worth ``shares`` at ``multiplier``: rounded down for a mint (never
    over-mints), up (``up=True``) for a burn (the tokens burned are worth at least the shares
    sold, so the supply never outgrows custody)."""
    units = Fraction(shares) * ONE
    if units.denominator != 1:
        raise ValueError("shares have more than 18 decimals")
    scaled = units.numerator * ONE
    return -(-scaled // multiplier) if up else scaled // multiplier


def split_ratio(old_rate: Number, new_rate: Number) -> Fraction:
    """new/old: how many shares one share becomes."""
    old, new = Fraction(old_rate), Fraction(new_rate)
    if old <= 0 or new <= 0:
        raise ValueError("split rates must be positive")
    return new / old


def after_split(qty: Number, ratio: Fraction) -> Decimal:
    """A broker quantity after a split of ``ratio``: rounded down to the broker's 9 decimals,
    as the broker rounds a position it splits."""
    return down(Fraction(qty) * ratio, QTY_PLACES)


def cash_half_up(value: Number) -> Decimal:
    """Cash rounded half away from zero to the cent, as the broker prices a trade
    (``qty * price``)."""
    fraction = Fraction(value)
    cents = abs(fraction) * 100
    rounded = (cents.numerator * 2 + cents.denominator) // (2 * cents.denominator)
    return exact(Fraction(-rounded if fraction < 0 else rounded, 100))


#: Places of a USD price feed (Chainlink's USD feeds: 8).
FEED_PRICE_PLACES = 8


def feed_price(price: Number) -> int:
    """A dollar price as a USD feed's integer answer (8 places), rounded down: a price that
    values collateral never rounds up."""
    return int(Fraction(price) * 10**FEED_PRICE_PLACES)


def from_feed_price(answer: int) -> Decimal:
    """A USD feed's answer back in dollars (exact)."""
    return exact(Fraction(answer, 10**FEED_PRICE_PLACES))


def broker_qty_down(shares: Number) -> Decimal:
    """Shares as a broker quantity (9 decimals), rounded down."""
    return down(shares, QTY_PLACES)


def broker_date(moment: dt.datetime) -> dt.date:
    """The New York calendar day ``moment`` falls on (the broker's day)."""
    return local_date(moment)


def start_of(day: dt.date) -> dt.datetime:
    """Midnight New York at the start of ``day``: when the broker processes a split."""
    return midnight(day).astimezone(NEW_YORK)
