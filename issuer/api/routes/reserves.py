"""Reserves: the reconciliation report now, at a block or broker time, its history; halts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import controls, reserves, validation
from issuer.api.auth import Principal
from issuer.api.paging import After, Block, Limit
from issuer.api.routes.deps import AdminWrite, Viewer, deployed_by
from issuer.api.schemas import HaltOut, ReconciliationOut, ReconciliationRecordOut
from issuer.errors import IssuerError, invalid
from issuer.models import ReconciliationRecord, SymbolHalt

router = APIRouter(tags=["reserves"])


@router.get("/reserves", response_model=list[ReconciliationOut])
def list_reserves(ctx: Viewer) -> Any:
    """The reconciliation report of every symbol at the latest block."""
    return [_out(ctx, reserves.reconcile(ctx.issuer, ctx.db, s)) for s in ctx.issuer.chain.stocks]


@router.get("/reserves/{symbol}", response_model=ReconciliationOut)
def get_reserves(symbol: str, ctx: Viewer, block: Block = None,
                 broker_time: dt.datetime | None = None) -> Any:
    """Chain supply (raw, economic) against custody (settled, pending): now, or as it stood
    at ``block`` (the chain at that block, custody as last recorded by then) or at
    ``broker_time`` (the reconciliation recorded then, its chain figures read again)."""
    key = controls.symbol_of(ctx.issuer, symbol)
    if block is not None and broker_time is not None:
        raise invalid("one_point_in_time", "give block or broker_time, not both")
    if block is not None and block > ctx.issuer.chain.head():
        raise invalid("invalid_block", f"block {block} is not mined yet")
    if broker_time is not None:
        try:
            broker_time = validation.point_in_time(broker_time)
        except ValueError as exc:
            raise invalid("invalid_broker_time", f"broker_time {exc}") from None
    if block is not None:
        deployed_by(ctx, block, key)
    if block is None and broker_time is None:
        return _out(ctx, reserves.reconcile(ctx.issuer, ctx.db, key))
    report = reserves.reconcile_at(ctx.issuer, ctx.db, key, block=block, broker_time=broker_time)
    if report is None:
        raise IssuerError(409, "not_recorded", f"no reconciliation of {key} was recorded by "
                          f"{'block ' + str(block) if block is not None else broker_time}")
    return _out(ctx, report)


def _out(ctx: Viewer, report: reserves.Reconciliation) -> dict[str, object]:
    return {**report.as_dict(), "custody_account_id": ctx.issuer.settings.broker_account_id}


@router.get("/reserves/{symbol}/history", response_model=list[ReconciliationRecordOut])
def reserves_history(symbol: str, ctx: Viewer, after: After = 0, limit: Limit = 100) -> Any:
    """Every recorded reconciliation of the symbol (one each time supply, multiplier or
    custody changed), oldest first; page with ``after`` = the last ``id``."""
    key = controls.symbol_of(ctx.issuer, symbol)
    rows = ctx.db.scalars(select(ReconciliationRecord).where(
        ReconciliationRecord.symbol == key, ReconciliationRecord.id > after)
        .order_by(ReconciliationRecord.id).limit(limit))
    return [{"id": r.id, "block": r.block, "broker_time": r.broker_time.isoformat(),
             "raw_supply": r.raw_supply, "multiplier": r.multiplier,
             **{k: format(getattr(r, k), "f") for k in (
                 "economic_supply", "custody_qty", "custody_settled", "custody_pending",
                 "allowed_pending", "surplus")},
             "holds": r.holds, "split_adjusted": r.split_adjusted} for r in rows]


@router.get("/halts", response_model=list[HaltOut])
def list_halts(ctx: Viewer) -> Any:
    return [HaltOut.model_validate(h) for h in ctx.db.scalars(
        select(SymbolHalt).order_by(SymbolHalt.opened_at))]


@router.post("/halts/{symbol}/clear", response_model=HaltOut)
def clear_halt(symbol: str, ctx: AdminWrite) -> Any:
    """Clear a symbol's halt, once the invariant holds again."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        halt = reserves.clear_halt(ctx.issuer, db, controls.symbol_of(ctx.issuer, symbol),
                                   who.operator)
        return 200, HaltOut.model_validate(halt)
    return ctx.run(action)
