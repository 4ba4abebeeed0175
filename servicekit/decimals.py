"""Decimal helpers both services use: how many places an amount has, its canonical text, and
a pydantic type that sends amounts as strings in JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

ZERO = Decimal(0)


def places(value: Decimal) -> int:
    """Number of decimals written in ``value`` (``1.50`` has 2, ``1E+2`` has 0)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def normalize(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (``2.500`` -> ``2.5``)."""
    if value == 0:
        return ZERO
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent   # a letter for NaN and infinity
    return normalized.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 \
        else normalized


#: A Decimal that travels as a string in JSON (``"2.5"``), never as a float.
Amount = Annotated[
    Decimal, PlainSerializer(lambda v: format(normalize(v), "f"), return_type=str,
                             when_used="json")
]
