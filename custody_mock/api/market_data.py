"""Alpaca's Market Data API, the one call the issuer makes: a symbol's latest trade.

Alpaca serves it at ``data.alpaca.markets`` (``GET /v2/stocks/{symbol}/trades/latest``); the mock
serves it beside the Broker API, with the partner's credentials. The latest trade is the price
in force now (set through ``PUT /_mock/prices/{symbol}``): its ``t`` is when that price took
effect, ``p`` the price as a JSON number (its decimal text is exact: prices have at most 4
places), and ``s``, ``x``, ``c``, ``z`` Alpaca's size, exchange, conditions and tape.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from custody_mock import ledger
from custody_mock.api.deps import BrokerDep, authenticate
from custody_mock.context import Ctx
from custody_mock.errors import not_found
from custody_mock.models import PricePoint

#: Marks a price's decimal text in the body until it is written as a JSON number.
PRICE = "~price~"

router = APIRouter(prefix="/v2/stocks", tags=["market data"],
                   dependencies=[Depends(authenticate)])


def _latest(ctx: Ctx, symbol: str) -> PricePoint | None:
    return ctx.db.scalar(
        select(PricePoint).where(PricePoint.symbol == symbol, PricePoint.effective_at <= ctx.now)
        .order_by(PricePoint.effective_at.desc(), PricePoint.id.desc()).limit(1))


def _trade(point: PricePoint) -> dict[str, Any]:
    at = point.effective_at
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    return {"t": at.isoformat().replace("+00:00", "Z"), "x": "V",
            "p": f"{PRICE}{point.price:f}{PRICE}", "s": 100, "c": ["@"], "i": point.id,
            "z": "C"}


def _json(body: dict[str, Any]) -> Response:
    """``body`` as JSON, each price a JSON number written from its decimal text (no float on
    the way)."""
    text = re.sub(rf'"{PRICE}(-?[0-9.]+){PRICE}"', r"\1", json.dumps(body))
    return Response(text, media_type="application/json")


@router.get("/trades/latest", summary="The latest trade of each symbol asked for",
            responses={200: {"description": "`trades`: symbol -> trade; a symbol that has "
                                            "never traded (or is unknown) is left out"}})
def latest_trades(broker: BrokerDep,
                  symbols: Annotated[str, Query(max_length=2000, pattern=r"^[A-Za-z0-9.,]+$")]
                  ) -> Response:
    with broker.transaction() as ctx:
        trades = {}
        for symbol in dict.fromkeys(s.strip().upper() for s in symbols.split(",") if s.strip()):
            if (point := _latest(ctx, symbol)) is not None:
                trades[symbol] = _trade(point)
        return _json({"trades": trades})


@router.get("/{symbol}/trades/latest", summary="The symbol's latest trade",
            responses={404: {"description": "no such symbol, or it has never traded"}})
def latest_trade(symbol: str, broker: BrokerDep) -> Response:
    with broker.transaction() as ctx:
        asset = ledger.asset(ctx, symbol)
        if (point := _latest(ctx, asset.symbol)) is None:
            raise not_found("trade", asset.symbol)
        return _json({"symbol": asset.symbol, "trade": _trade(point)})
