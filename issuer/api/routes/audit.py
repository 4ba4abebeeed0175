"""The audit trail and the indexer's holders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from issuer import controls, indexer
from issuer.api.paging import After, Block, Limit
from issuer.api.routes.deps import Viewer, deployed_by
from issuer.api.schemas import AuditOut, HoldersOut
from issuer.errors import IssuerError, invalid
from issuer.models import AuditEntry
from issuer.units import raw_to_shares

router = APIRouter()


@router.get("/audit", response_model=list[AuditOut], tags=["audit"])
def audit_log(ctx: Viewer, after: After = 0, limit: Limit = 100,
              action: str | None = None) -> Any:
    """Every operator action and lifecycle step, oldest first; page with ``after`` = last id."""
    query = select(AuditEntry).where(AuditEntry.id > after)
    if action:
        query = query.where(AuditEntry.action == action)
    return [AuditOut.model_validate(e) for e in ctx.db.scalars(
        query.order_by(AuditEntry.id).limit(limit))]


@router.get("/holders/{symbol}", tags=["holders"], response_model=HoldersOut)
def list_holders(symbol: str, ctx: Viewer, block: Block = None) -> Any:
    """Holders and raw balances at ``block`` (default: the newest indexed block), from the
    indexer; economic shares at that block's multiplier."""
    key = controls.symbol_of(ctx.issuer, symbol)
    indexed = indexer.indexed_to(ctx.db)
    if indexed is None:
        raise IssuerError(409, "not_indexed", "the indexer has not run yet")
    at = indexed if block is None else block
    if at > indexed:
        raise invalid("block_not_indexed", f"block {at} is past the indexed block {indexed}")
    deployed_by(ctx, at, key)
    multiplier = ctx.issuer.chain.multiplier(key, at)
    return {"symbol": key, "block": at, "multiplier": str(multiplier), "holders": [
        {"wallet": wallet, "raw": str(raw), "shares": format(raw_to_shares(raw, multiplier), "f")}
        for wallet, raw in indexer.holders(ctx.db, key, at).items()]}
