"""Investors: onboarding, reads, country changes, offboarding."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import controls, operations
from issuer.api.auth import Principal
from issuer.api.routes.deps import ComplianceWrite, Viewer, tx_response
from issuer.api.schemas import ChainTxOut, CountryIn, InvestorIn, InvestorOut
from issuer.errors import not_found
from issuer.models import Investor

router = APIRouter(tags=["investors"])


@router.post("/investors", status_code=202, response_model=InvestorOut)
def onboard_investor(body: InvestorIn, ctx: ComplianceWrite) -> Any:
    """Start onboarding a wallet; the worker deploys or links the identity and registers it."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.onboard_investor(ctx.issuer, db, wallet=body.wallet,
                                          country=body.country, identity=body.identity,
                                          actor=who.operator)
        return 202, InvestorOut.model_validate(row)
    return ctx.run(action)


@router.get("/investors", response_model=list[InvestorOut])
def list_investors(ctx: Viewer, status: str | None = None) -> Any:
    query = select(Investor)
    if status:
        query = query.where(Investor.status == status)
    return [InvestorOut.model_validate(i) for i in ctx.db.scalars(
        query.order_by(Investor.created_at))]


@router.get("/investors/{wallet}", response_model=InvestorOut)
def get_investor(wallet: str, ctx: Viewer) -> Any:
    row = ctx.db.get(Investor, controls.address(wallet, "wallet"))
    if row is None:
        raise not_found("investor", wallet)
    return InvestorOut.model_validate(row)


@router.post("/investors/{wallet}/offboard", status_code=202, response_model=InvestorOut)
def offboard_investor(wallet: str, ctx: ComplianceWrite) -> Any:
    """Remove the wallet from the identity registry. Refused (409 ``wallet_holds_tokens``)
    while it holds any of the issuer's tokens: move them first (forced transfer or recovery)."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, InvestorOut.model_validate(operations.offboard_investor(
            ctx.issuer, db, wallet, who.operator))
    return ctx.run(action)


@router.post("/investors/{wallet}/country", status_code=202, response_model=ChainTxOut)
def update_country(wallet: str, body: CountryIn, ctx: ComplianceWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        tx = controls.update_country(ctx.issuer, db, wallet, body.country,
                                     f"api:{who.key_id}:{ctx.key}", who.operator)
        return tx_response(ctx, tx)
    return ctx.run(action)
