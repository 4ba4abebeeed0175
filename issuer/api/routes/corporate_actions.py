"""Corporate actions: list, figures, stablecoin dividend claims, the request to apply one, the
announcement of a delisting."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import controls
from issuer.api.auth import Principal
from issuer.api.paging import Limit, page
from issuer.api.routes.deps import OperatorWrite, Viewer
from issuer.api.schemas import (
    ApprovalOut,
    CalendarOut,
    ClaimsOut,
    CorporateActionOut,
    DelistingIn,
    FiguresOut,
    Page,
    WalletClaimOut,
)
from issuer.corporate import calendar, delistings, figures, stablecoin
from issuer.corporate.merkle import MerkleTree
from issuer.errors import IssuerError, not_found
from issuer.models import CorporateAction, DividendClaim
from issuer.validation import Day

router = APIRouter(tags=["corporate actions"])


@router.get("/corporate-actions", response_model=Page[CorporateActionOut])
def list_corporate_actions(ctx: Viewer, status: str | None = None, symbol: str | None = None,
                           cursor: str | None = None, limit: Limit = 50) -> Any:
    query = select(CorporateAction)
    if status:
        query = query.where(CorporateAction.status == status)
    if symbol:
        query = query.where(CorporateAction.symbol == symbol.upper())
    return page(ctx.db, query, CorporateAction, cursor, limit, CorporateActionOut)


@router.get("/corporate-actions/calendar", response_model=CalendarOut)
def corporate_action_calendar(ctx: Viewer, symbol: str | None = None,
                              since: Day | None = None, until: Day | None = None,
                              open_only: bool = False) -> Any:
    """Every corporate action of every kind by ex-date (``since``/``until`` bound the ex-date:
    ``since`` after ``until`` is an empty interval), with its dates, the window in which it
    holds mints and burns, and its state."""
    today = ctx.issuer.broker.clock().date
    return {"broker_date": today,
            "entries": calendar.entries(ctx.db, today, symbol=symbol, since=since, until=until,
                                        open_only=open_only)}


@router.get("/corporate-actions/{action_id}", response_model=CorporateActionOut)
def get_corporate_action(action_id: str, ctx: Viewer) -> Any:
    return CorporateActionOut.model_validate(_corporate_action(ctx.db, action_id))


@router.get("/corporate-actions/{action_id}/figures", response_model=FiguresOut)
def corporate_action_figures(action_id: str, ctx: Viewer) -> Any:
    """Every figure of the action with the formula it came from (R, M0, E, Q, gross,
    withholding, fees, net, the reinvested quantity and its cost, M1, the residue split into
    owed and free), and the creations and redemptions that owned custody shares at the record
    date (the entitlement rule)."""
    action = _corporate_action(ctx.db, action_id)
    return {"id": action.id, "corporate_action_id": action.corporate_action_id,
            "symbol": action.symbol, "kind": action.kind, "status": action.status,
            "custody_account_id": ctx.issuer.settings.broker_account_id,
            "ex_date": action.ex_date, "record_date": action.record_date,
            "effective_at": action.effective_at,
            "effective_broker_at": action.effective_broker_at,
            "figures": figures.figures(action), "owed": figures.owed(ctx.db, action)}


def _corporate_action(db: Session, action_id: str) -> CorporateAction:
    """By our id or the broker's corporate action id."""
    row = db.get(CorporateAction, action_id) or db.scalar(select(CorporateAction).where(
        CorporateAction.corporate_action_id == action_id))
    if row is None:
        raise not_found("corporate_action", action_id)
    return row


@router.get("/corporate-actions/{action_id}/claims", response_model=ClaimsOut)
def dividend_claims(action_id: str, ctx: Viewer) -> Any:
    """The claims of a dividend paid as stablecoin: each wallet's raw tokens at the record
    snapshot, its amount in stablecoin units and the Merkle proof to claim it with
    (``DividendDistributor.claim(distribution_id, wallet, amount, proof)``)."""
    action, claims = _claims(ctx.db, action_id)
    tree = stablecoin.tree(claims)
    return {"corporate_action": action.id, "distribution_id": action.distribution_id,
            "claim_deadline": action.claim_deadline,
            "root": "0x" + tree.root.hex() if tree else None,
            "claims": [_claim(c, tree) for c in claims]}


@router.get("/corporate-actions/{action_id}/claims/{wallet}", response_model=WalletClaimOut)
def dividend_claim(action_id: str, wallet: str, ctx: Viewer) -> Any:
    """One wallet's claim (see ``/claims``)."""
    action, claims = _claims(ctx.db, action_id)
    wallet = controls.address(wallet, "wallet")
    for claim in claims:
        if claim.wallet == wallet:
            tree = stablecoin.tree(claims) if claim.amount else None
            return {"corporate_action": action.id, "distribution_id": action.distribution_id,
                    "claim_deadline": action.claim_deadline, **_claim(claim, tree)}
    raise not_found("claim", wallet)


def _claims(db: Session, action_id: str) -> tuple[CorporateAction, list[DividendClaim]]:
    action = _corporate_action(db, action_id)
    if action.payout != "stablecoin":
        raise IssuerError(409, "not_a_stablecoin_dividend",
                          f"corporate action {action.id} is paid by {action.payout}")
    claims = stablecoin.claims(db, action)
    if not claims:
        raise IssuerError(409, "claims_not_ready",
                          f"corporate action {action.id} is {action.status}: no claims yet")
    return action, claims


def _claim(claim: DividendClaim, tree: MerkleTree | None) -> dict[str, Any]:
    proof = tree.proof(claim.wallet) if tree is not None and claim.amount else []
    return {"wallet": claim.wallet, "raw": claim.raw, "amount": claim.amount,
            "proof": ["0x" + node.hex() for node in proof]}


@router.post("/delistings", status_code=202, response_model=ApprovalOut)
def announce_delisting(body: DelistingIn, ctx: OperatorWrite) -> Any:
    """Announce a delisting the issuer winds down (the stock leaves its exchange without being
    removed as worthless): a second operator approves it at ``/v1/approvals/{id}/approve``;
    from then nothing is minted, redemptions go on until ``final_date``, then the token is
    paused with a record of the event."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, ApprovalOut.model_validate(delistings.request(
            ctx.issuer, db, symbol=body.symbol, final_date=body.final_date, reason=body.reason,
            actor=who.operator))
    return ctx.run(action)


@router.post("/corporate-actions/{action_id}/apply", status_code=202, response_model=ApprovalOut)
def apply_corporate_action(action_id: str, ctx: OperatorWrite) -> Any:
    """Ask to apply a proposed multiplier change; a second operator approves it at
    ``/v1/approvals/{id}/approve``, then the worker schedules it on chain."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = _corporate_action(db, action_id)
        return 202, ApprovalOut.model_validate(controls.request_apply(db, row, who.operator))
    return ctx.run(action)
