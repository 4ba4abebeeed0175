"""Redemptions: request, list, read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import links, operations
from issuer.api.auth import Principal
from issuer.api.paging import Limit, page
from issuer.api.routes.deps import OperatorWrite, Viewer
from issuer.api.schemas import Page, RedemptionDetail, RedemptionIn, RedemptionOut
from issuer.errors import not_found
from issuer.models import Redemption

router = APIRouter(tags=["redemptions"])


@router.post("/redemptions", status_code=201, response_model=RedemptionOut)
def create_redemption(body: RedemptionIn, ctx: OperatorWrite) -> Any:
    """Redeem by agent burn: the tokens are burned from the participant's wallet."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.request_redemption(ctx.issuer, db, participant_id=body.participant_id,
                                            symbol=body.symbol, qty=body.qty, kind=body.kind,
                                            actor=who.operator)
        return 201, RedemptionOut.model_validate(row)
    return ctx.run(action)


@router.get("/redemptions", response_model=Page[RedemptionOut])
def list_redemptions(ctx: Viewer, status: str | None = None, symbol: str | None = None,
                     cursor: str | None = None, limit: Limit = 50) -> Any:
    query = select(Redemption)
    if status:
        query = query.where(Redemption.status == status)
    if symbol:
        query = query.where(Redemption.symbol == symbol.upper())
    return page(ctx.db, query, Redemption, cursor, limit, RedemptionOut)


@router.get("/redemptions/{redemption_id}", response_model=RedemptionDetail)
def get_redemption(redemption_id: str, ctx: Viewer) -> Any:
    """The redemption with its links: the custody and participant accounts, its burn
    transaction (hash, block), its broker orders, payout journals (the sale's proceeds or the
    shares, and any dividend its shares earned) and executions."""
    row = ctx.db.get(Redemption, redemption_id)
    if row is None:
        raise not_found("redemption", redemption_id)
    return {**RedemptionOut.model_validate(row).model_dump(),
            "links": links.redemption_links(ctx.issuer, ctx.db, row)}
