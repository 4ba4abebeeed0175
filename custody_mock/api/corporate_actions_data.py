"""Alpaca's corporate-actions data (``GET /v1/corporate-actions`` on ``data.alpaca.markets``,
what alpaca-py's ``CorporateActionsClient`` reads): the kinds the Broker API's announcements do
not carry. The mock lists its name changes, cash mergers, worthless removals, spin-offs and
stock (and stock-and-cash) mergers there, grouped by kind as Alpaca does
(``{"corporate_actions": {"name_changes": [...]}, "next_page_token": null}``), filtered by
symbols, types and the process (effective) date's interval."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import or_, select

from custody_mock.api.deps import BrokerDep, authenticate
from custody_mock.api.views import mock_cusip
from custody_mock.corporate_actions import (
    CASH_MERGER,
    NAME_CHANGE,
    SPIN_OFF,
    STOCK_MERGER,
    WORTHLESS,
)
from custody_mock.inputs import Day
from custody_mock.models import Announcement

router = APIRouter(prefix="/v1", tags=["market data"], dependencies=[Depends(authenticate)])

#: Alpaca's type filter names -> the key of the answer and the mock's announcement type.
TYPES = {"name_change": ("name_changes", NAME_CHANGE),
         "cash_merger": ("cash_mergers", CASH_MERGER),
         "worthless_removal": ("worthless_removals", WORTHLESS),
         "spin_off": ("spin_offs", SPIN_OFF),
         "stock_merger": ("stock_mergers", STOCK_MERGER),
         "stock_and_cash_merger": ("stock_and_cash_mergers", STOCK_MERGER)}
#: Every type Alpaca's filter takes; those the mock does not keep here answer an empty list.
ALPACA_TYPES = ("reverse_split", "forward_split", "unit_split", "cash_dividend",
                "stock_dividend", "spin_off", "cash_merger", "stock_merger",
                "stock_and_cash_merger", "redemption", "name_change", "worthless_removal",
                "rights_distribution")
_TYPE = "|".join(ALPACA_TYPES)
CSV = Annotated[str | None, Query(max_length=2000, pattern=r"^[A-Za-z0-9._,-]*$")]
TypeList = Annotated[str | None, Query(max_length=500, pattern=rf"^(({_TYPE})(,({_TYPE}))*)?$")]


@router.get("/corporate-actions", summary="Corporate actions data (name changes)")
def corporate_actions(broker: BrokerDep, symbols: CSV = None, types: TypeList = None,
                      start: Day | None = None, end: Day | None = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
                      sort: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
                      page_token: str | None = None,  # noqa: ARG001 (one page: accepted)
                      ) -> dict[str, Any]:
    asked = list(dict.fromkeys(t for t in (types or "").split(",") if t)) or list(TYPES)
    wanted = [s.upper() for s in (symbols or "").split(",") if s]
    with broker.transaction() as ctx:
        answer: dict[str, list[dict[str, Any]]] = {}
        for name in asked:
            if name not in TYPES:
                answer[f"{name}s"] = []   # a kind the mock announces elsewhere, or not at all
                continue
            key, ca_type = TYPES[name]
            query = select(Announcement).where(Announcement.current,
                                               Announcement.ca_type == ca_type)
            if ca_type == STOCK_MERGER:   # Alpaca lists the two sub-types apart
                query = query.where(Announcement.ca_sub_type == name)
            if wanted:
                query = query.where(or_(Announcement.initiating_symbol.in_(wanted),
                                        Announcement.target_symbol.in_(wanted)))
            if start:
                query = query.where(Announcement.ex_date >= start)
            if end:
                query = query.where(Announcement.ex_date <= end)
            order = Announcement.ex_date.asc() if sort == "asc" else Announcement.ex_date.desc()
            rows = ctx.db.scalars(query.order_by(order, Announcement.created_at).limit(limit))
            answer[key] = [SHAPES[ca_type](a) for a in rows]
        return {"corporate_actions": answer, "next_page_token": None}


def _name_change(ann: Announcement) -> dict[str, Any]:
    new = ann.target_symbol or ann.initiating_symbol
    return {"id": ann.corporate_action_id, "old_symbol": ann.initiating_symbol,
            "old_cusip": mock_cusip(ann.initiating_symbol), "new_symbol": new,
            "new_cusip": mock_cusip(new), "process_date": ann.ex_date.isoformat()}


def _cash_merger(ann: Announcement) -> dict[str, Any]:
    return {"id": ann.corporate_action_id, "acquirer_symbol": ann.target_symbol,
            "acquirer_cusip": mock_cusip(ann.target_symbol) if ann.target_symbol else None,
            "acquiree_symbol": ann.initiating_symbol,
            "acquiree_cusip": mock_cusip(ann.initiating_symbol),
            "rate": f"{ann.cash:f}", "process_date": ann.ex_date.isoformat(),
            "effective_date": ann.ex_date.isoformat(),
            "payable_date": (ann.payable_date or ann.ex_date).isoformat()}


def _worthless(ann: Announcement) -> dict[str, Any]:
    return {"id": ann.corporate_action_id, "symbol": ann.initiating_symbol,
            "cusip": mock_cusip(ann.initiating_symbol), "process_date": ann.ex_date.isoformat()}


def _spin_off(ann: Announcement) -> dict[str, Any]:
    assert ann.target_symbol is not None and ann.old_rate is not None
    assert ann.new_rate is not None and ann.record_date is not None
    return {"id": ann.corporate_action_id, "source_symbol": ann.initiating_symbol,
            "source_cusip": mock_cusip(ann.initiating_symbol),
            "source_rate": f"{ann.old_rate:f}", "new_symbol": ann.target_symbol,
            "new_cusip": mock_cusip(ann.target_symbol), "new_rate": f"{ann.new_rate:f}",
            "process_date": (ann.payable_date or ann.ex_date).isoformat(),
            "ex_date": ann.ex_date.isoformat(), "record_date": ann.record_date.isoformat(),
            "payable_date": (ann.payable_date or ann.ex_date).isoformat(),
            "due_bill_redemption_date": None}


def _stock_merger(ann: Announcement) -> dict[str, Any]:
    assert ann.target_symbol is not None and ann.old_rate is not None
    assert ann.new_rate is not None
    shape = {"id": ann.corporate_action_id, "acquirer_symbol": ann.target_symbol,
             "acquirer_cusip": mock_cusip(ann.target_symbol),
             "acquirer_rate": f"{ann.new_rate:f}", "acquiree_symbol": ann.initiating_symbol,
             "acquiree_cusip": mock_cusip(ann.initiating_symbol),
             "acquiree_rate": f"{ann.old_rate:f}", "process_date": ann.ex_date.isoformat(),
             "effective_date": ann.ex_date.isoformat(),
             "payable_date": (ann.payable_date or ann.ex_date).isoformat()}
    if ann.ca_sub_type == "stock_and_cash_merger":
        shape["cash_rate"] = f"{ann.cash or 0:f}"
    return shape


SHAPES = {NAME_CHANGE: _name_change, CASH_MERGER: _cash_merger, WORTHLESS: _worthless,
          SPIN_OFF: _spin_off, STOCK_MERGER: _stock_merger}
