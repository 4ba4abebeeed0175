"""Every rounding rule of the mock broker, in one place.

Quantities carry at most 9 decimals (fractional shares), prices at most 4, cash 2. Amounts are
``Decimal`` end to end; a float never enters the broker.

- a trade's cash amount is ``qty * price`` rounded half-up to the cent;
- a notional order's quantity is ``notional / price`` rounded *down* to 9 decimals, so the cost
  never exceeds the notional;
- a dividend's gross amount per account is ``settled qty * rate`` rounded *down* to the cent (the
  payer never pays more than declared); withholding and fees are rounded half-up to the cent;
- a split multiplies a quantity by ``new_rate / old_rate`` and rounds *down* to 9 decimals, or to
  whole shares when cash in lieu is on; the rest is paid in cash at the post-split price;
- an average entry price is rounded half-up to 4 decimals.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from servicekit.decimals import ZERO as ZERO
from servicekit.decimals import normalize as normalize
from servicekit.decimals import places as places

QTY_PLACES = 9
PRICE_PLACES = 4
CASH_PLACES = 2

QTY_STEP = Decimal(1).scaleb(-QTY_PLACES)
PRICE_STEP = Decimal(1).scaleb(-PRICE_PLACES)
CASH_STEP = Decimal(1).scaleb(-CASH_PLACES)



def qty_down(value: Decimal) -> Decimal:
    return value.quantize(QTY_STEP, rounding=ROUND_DOWN)


def whole_down(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_DOWN)


def price_round(value: Decimal) -> Decimal:
    return value.quantize(PRICE_STEP, rounding=ROUND_HALF_UP)


def cash_round(value: Decimal) -> Decimal:
    return value.quantize(CASH_STEP, rounding=ROUND_HALF_UP)


def cash_down(value: Decimal) -> Decimal:
    return value.quantize(CASH_STEP, rounding=ROUND_DOWN)


def trade_amount(qty: Decimal, price: Decimal) -> Decimal:
    return cash_round(qty * price)


