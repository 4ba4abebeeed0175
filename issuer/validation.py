"""What the operator API accepts, each rule in one place: addresses, share quantities, raw token
amounts, broker account ids and points in time. Anything else is refused with a stable code
before it costs anything (a broker call, a chain call, a database row).

Patterns are ASCII only: Python's ``Decimal`` and ``int`` would also read ``"1_000"``, full-width
or Arabic-Indic digits and padded spaces, none of which the API documents.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from eth_utils import to_checksum_address
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from issuer.errors import invalid
from servicekit.decimals import normalize

#: A positive share quantity: up to 12 integer digits and at most 9 decimals (the broker's
#: precision); a fraction below 1 needs a non-zero digit among its 9 decimals.
QUANTITY_PATTERN = (r"^([1-9][0-9]{0,11}(\.[0-9]{1,9})?|0\.("
                    + "|".join(f"0{{0,{8 - k}}}[1-9][0-9]{{{k}}}" for k in range(9)) + "))$")
#: A raw token amount as a decimal string: a positive integer of at most 77 digits (so always
#: below 2^256, which has 78).
RAW_PATTERN = r"^[1-9][0-9]{0,76}$"
MAX_UINT256 = 2**256 - 1
#: The largest raw amount sent as a JSON number: beyond 2^53 - 1 a JSON integer is not exact in
#: every client, so larger amounts travel as strings.
MAX_JSON_INTEGER = 2**53 - 1
#: An Ethereum address: 0x and 40 hex digits; mixed case must be the EIP-55 checksum.
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
#: A broker account id (Alpaca's are UUIDs, lower case).
BROKER_ACCOUNT_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
#: The largest integer a query parameter such as ``after`` or ``block`` may hold (SQL BIGINT).
MAX_BIGINT = 2**63 - 1
#: Points in time outside these years are not a broker time this system can have recorded.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def _match(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value, flags=re.ASCII) is not None


def address(value: object) -> str:
    """The checksummed form of an address; ValueError for anything that is not exactly one
    (no 0X, no missing prefix, no mixed case that fails the EIP-55 checksum)."""
    if not isinstance(value, str) or not _match(ADDRESS_PATTERN, value):
        raise ValueError(f"not an address (0x and 40 hex digits): {str(value)[:60]!r}")
    checksummed = to_checksum_address(value)
    body = value[2:]
    if body != body.lower() and body != body.upper() and value != checksummed:
        raise ValueError(f"{value} fails its EIP-55 checksum (a typo?)")
    return checksummed


def require_address(value: object, field: str) -> str:
    """:func:`address`, refused as a 422 ``invalid_address`` naming ``field``: the one place a
    request's address becomes a checksummed one."""
    try:
        return address(value)
    except ValueError as exc:
        raise invalid("invalid_address", f"{field}: {exc}") from exc


def parse_quantity(value: object) -> Decimal | None:
    """The one rule for a share quantity on every route (the operator API's and the broker's
    tokenization calls): a string of ASCII digits, at most 12 before the point and 9 after,
    positive; no exponent, sign, underscore, space or other digits. None when it is not one."""
    if not isinstance(value, str) or not _match(QUANTITY_PATTERN, value):
        return None
    qty = Decimal(value)
    return qty if qty > 0 else None


def quantity(value: object) -> Decimal:
    """A positive share quantity written as the documented pattern."""
    qty = parse_quantity(value)
    if qty is None:
        raise PydanticCustomError(
            "invalid_qty", "qty is a positive string of digits with at most 9 decimals, "
            "e.g. \"2.5\"")
    return qty


def raw_amount(value: object) -> int:
    """A positive raw token amount below 2^256."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PydanticCustomError("invalid_amount", "amount is a positive integer of raw units")
    if isinstance(value, int) and value > MAX_JSON_INTEGER:
        raise PydanticCustomError("invalid_amount", "an amount above 2^53 - 1 is sent as a string")
    text = str(value)
    if not _match(RAW_PATTERN, text) or int(text) > MAX_UINT256:
        raise PydanticCustomError("invalid_amount",
                                  "amount is a positive integer of raw units below 2^256")
    return int(text)


def country(value: object) -> int:
    """An ISO 3166-1 numeric country code: a JSON integer from 1 to 999 (not ``1.0``, not
    ``"840"``, not ``true``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999:
        raise PydanticCustomError("invalid_country",
                                  "country is an ISO 3166-1 numeric code, a JSON integer 1-999")
    return value


def broker_account_id(value: object) -> str:
    if not isinstance(value, str) or not _match(BROKER_ACCOUNT_PATTERN, value):
        raise PydanticCustomError("invalid_broker_account",
                                  "broker_account_id is the broker's account id (a UUID)")
    return value


def point_in_time(value: dt.datetime) -> dt.datetime:
    """A timezone-aware time between 1970 and 9000, in UTC; ValueError otherwise."""
    if value.tzinfo is None:
        raise ValueError("needs a time zone (e.g. Z)")
    try:
        if EARLIEST <= value <= LATEST:
            return value.astimezone(dt.UTC)
    except OverflowError:  # year 1 at +14:00 is before year 1 in UTC
        pass
    raise ValueError("is not between 1970 and 9000")


def _as_text(value: Any) -> str:
    return format(normalize(value), "f")


#: A share quantity in a request body: a string in JSON, a Decimal in Python.
Quantity = Annotated[
    Decimal, BeforeValidator(quantity),
    PlainSerializer(_as_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": QUANTITY_PATTERN, "examples": ["10", "2.5"]}),
]
#: A raw token amount in a request body.
RawAmount = Annotated[
    int, BeforeValidator(raw_amount),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_JSON_INTEGER},
                              {"type": "string", "pattern": RAW_PATTERN}]}),
]
def day(value: Any) -> Any:
    """A calendar date as ``YYYY-MM-DD`` text only (pydantic would read a number as Unix
    seconds)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise PydanticCustomError("invalid_date", "expected a date as YYYY-MM-DD")


#: A date in a query or body: ``YYYY-MM-DD``, never a number.
Day = Annotated[dt.date, BeforeValidator(day)]
#: A country code in a request body.
Country = Annotated[
    int, BeforeValidator(country),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 999, "examples": [840]}),
]
#: A broker account id in a request body.
BrokerAccountId = Annotated[
    str, BeforeValidator(broker_account_id),
    WithJsonSchema({"type": "string", "pattern": BROKER_ACCOUNT_PATTERN}),
]

#: An address in a request body: documented with its pattern; checked (EIP-55 included) by
#: :func:`address` where it is used, so a refusal names the field (``invalid_address``).
AddressText = Annotated[
    str, WithJsonSchema({"type": "string", "pattern": ADDRESS_PATTERN, "format": "eth-address",
                         "examples": ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]}),
]
