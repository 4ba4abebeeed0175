"""What a request may carry, said once for the validator and the OpenAPI document alike.

A decimal input (cash, a price, a rate) is a JSON string written as its pattern says, or a
whole JSON number; the pattern bounds the sign, the integer digits and the decimal places, so a
request the document calls valid is one the broker accepts, and the other way round (a number
with a fraction would be judged by binary floating point, so fractions travel as strings, as
Alpaca's amounts do). A refusal names its own code (``invalid_amount``...).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError


def _fraction(places: int, *, non_zero: bool) -> str:
    if not non_zero:
        return rf"\.[0-9]{{1,{places}}}"
    return r"\.(" + "|".join(f"0{{{k}}}[1-9][0-9]{{0,{places - 1 - k}}}"
                             for k in range(places)) + ")"


def decimal_pattern(*, digits: int, places: int, positive: bool, at_most_one: bool = False) -> str:
    """A decimal with at most ``digits`` significant integer digits and ``places`` decimals;
    above zero (``positive``) or zero and above; at most 1 (``at_most_one``)."""
    if at_most_one:
        body = rf"0+({_fraction(places, non_zero=False)})?|0*{_fraction(places, non_zero=False)}"
        one = rf"0*1(\.0{{1,{places}}})?"
        if positive:
            body = rf"0*{_fraction(places, non_zero=True)}"
        return rf"^({body}|{one})$"
    if positive:
        whole = rf"0*[1-9][0-9]{{0,{digits - 1}}}({_fraction(places, non_zero=False)})?"
        return rf"^({whole}|0*{_fraction(places, non_zero=True)})$"
    whole = rf"0*[0-9]{{1,{digits}}}({_fraction(places, non_zero=False)})?"
    return rf"^({whole}|0*{_fraction(places, non_zero=False)})$"


def decimal_in(code: str, *, digits: int, places: int, positive: bool = True,
               at_most_one: bool = False, numbers: bool = False) -> Any:
    """An ``Annotated[Decimal, ...]`` for a request field (see the module's docstring).
    ``numbers``: JSON numbers with a fraction are accepted too (Alpaca's SDK sends an order's
    ``qty`` as a float); their decimal places are checked on their shortest decimal form, a
    rule the document can only state in words (``x-refusals-beyond-schema``)."""
    pattern = decimal_pattern(digits=digits, places=places, positive=positive,
                              at_most_one=at_most_one)
    compiled = re.compile(pattern, flags=re.ASCII)
    bounds: dict[str, Any] = {"exclusiveMinimum": 0} if positive else {"minimum": 0}
    if at_most_one:
        bounds["maximum"] = 1
    else:
        bounds["exclusiveMaximum"] = 10**digits
    what = (f"a decimal string with at most {digits} integer digits and {places} decimals"
            + (", above zero" if positive else ", zero or more")
            + (", at most 1" if at_most_one else "") + ", or a whole number")

    def parse(value: object) -> Decimal:
        if isinstance(value, str) and compiled.fullmatch(value):
            return Decimal(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 10**digits:
            value = int(value)
        if numbers and isinstance(value, float) and math.isfinite(value):
            number = Decimal(repr(value))
            low_ok = number > 0 if positive else number >= 0
            exponent = number.as_tuple().exponent   # an int: the number is finite
            if low_ok and number < 10**digits and isinstance(exponent, int) \
                    and -exponent <= places:
                return number
        if isinstance(value, int) and not isinstance(value, bool):
            number = Decimal(value)
            low_ok = number > 0 if positive else number >= 0
            high_ok = number <= 1 if at_most_one else number < 10**digits
            if low_ok and high_ok:
                return number
        raise PydanticCustomError(code, f"expected {what}")

    return Annotated[Decimal, BeforeValidator(parse), WithJsonSchema({"anyOf": [
        {"type": "string", "pattern": pattern},
        {"type": "number" if numbers else "integer", **bounds}]})]


def _whole(value: object) -> object:
    """JSON's integers: 3 and 3.0, never true or false (which Python counts as integers)."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "expected a whole number")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: A whole number as JSON Schema's ``integer`` means it (``3.0`` included, booleans not).
Whole = Annotated[int, BeforeValidator(_whole)]


def _looks_numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _no_number(value: object) -> object:
    """Refuse a number (or a numeric string: pydantic would read it as Unix seconds)."""
    if isinstance(value, int | float) or (isinstance(value, str) and _looks_numeric(value)):
        raise PydanticCustomError("invalid_time", "expected an RFC 3339 date or date-time")
    return value


#: A date or date-time as RFC 3339 text (never a number of seconds).
Timestamp = Annotated[dt.datetime, BeforeValidator(_no_number)]
Day = Annotated[dt.date, BeforeValidator(_no_number)]


def _day_or_time(value: object) -> object:
    value = _no_number(value)
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("invalid_time", "expected an RFC 3339 date or date-time"
                                      ) from None
    if isinstance(value, str) and len(value) > 10:
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise PydanticCustomError("invalid_time", "expected an RFC 3339 date or date-time"
                                      ) from None
        if moment.tzinfo is None:
            raise PydanticCustomError("invalid_time", "give the time with its UTC offset")
        return moment
    return value


#: A date (``2024-10-11``) or an RFC 3339 date-time (``2024-10-11T14:00:00Z``).
DayOrTime = Annotated[dt.datetime | dt.date, BeforeValidator(_day_or_time)]

Cash = decimal_in("invalid_amount", digits=13, places=2)
Price = decimal_in("invalid_price", digits=9, places=4)
Rate = decimal_in("invalid_rate", digits=6, places=9)
CashPerShare = decimal_in("invalid_amount", digits=9, places=9, positive=False)
Fraction01 = decimal_in("invalid_rate", digits=1, places=9, positive=False, at_most_one=True)
Bps = decimal_in("invalid_slippage", digits=3, places=2, positive=False)
Qty = decimal_in("invalid_qty", digits=12, places=9)
#: An account holder's declared income or net worth (KYC): whole dollars or cents, up to 10^13.
KycAmount = decimal_in("invalid_amount", digits=13, places=2, positive=False, numbers=True)
OrderQty = decimal_in("invalid_qty", digits=12, places=9, numbers=True)
Notional = decimal_in("invalid_notional", digits=13, places=2, numbers=True)
LimitPrice = decimal_in("invalid_limit_price", digits=9, places=4, numbers=True)
#: A partner's commission on an order (alpaca-py sends a JSON number): dollars, bps or per share.
Commission = decimal_in("invalid_commission", digits=13, places=2, positive=False,
                        numbers=True)
