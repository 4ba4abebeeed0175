"""Token controls (freeze, partial freeze, pause), the maker-checker requests (forced
transfers, recoveries), the approvals that decide them, and chain transactions' state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import controls, operations, outbox
from issuer.api.auth import Principal
from issuer.api.context import WriteCtx
from issuer.api.routes.deps import ComplianceWrite, OperatorWrite, Viewer, tx_response
from issuer.api.schemas import (
    ApprovalOut,
    ChainTxOut,
    ForcedTransferIn,
    FreezeIn,
    PartialFreezeIn,
    PauseIn,
    RecoveryIn,
)
from issuer.errors import not_found
from issuer.models import Approval

router = APIRouter(tags=["controls"])


@router.post("/tokens/{symbol}/freeze", status_code=202, response_model=ChainTxOut)
def freeze_wallet(symbol: str, body: FreezeIn, ctx: ComplianceWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        tx = controls.freeze(ctx.issuer, db, symbol, body.wallet, body.frozen,
                             f"api:{who.key_id}:{ctx.key}")
        operations.audit(db, who.operator, "token.freeze", symbol.upper(), wallet=body.wallet,
                         frozen=body.frozen, tx=tx.tx_hash)
        return tx_response(ctx, tx)
    return ctx.run(action)


@router.post("/tokens/{symbol}/partial-freeze", status_code=202, response_model=ChainTxOut)
def partial_freeze(symbol: str, body: PartialFreezeIn, ctx: ComplianceWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        tx = controls.partial_freeze(ctx.issuer, db, symbol, body.wallet, body.amount,
                                     body.unfreeze, f"api:{who.key_id}:{ctx.key}")
        operations.audit(db, who.operator, "token.partial_freeze", symbol.upper(),
                         wallet=body.wallet, amount=str(body.amount), unfreeze=body.unfreeze)
        return tx_response(ctx, tx)
    return ctx.run(action)


@router.post("/tokens/{symbol}/pause", status_code=202, response_model=ChainTxOut)
def pause_token(symbol: str, body: PauseIn, ctx: ComplianceWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        tx = controls.pause(ctx.issuer, db, symbol, body.paused, f"api:{who.key_id}:{ctx.key}")
        operations.audit(db, who.operator, "token.pause" if body.paused else "token.unpause",
                         symbol.upper())
        return tx_response(ctx, tx)
    return ctx.run(action)


@router.post("/forced-transfers", status_code=202, response_model=ApprovalOut)
def request_forced_transfer(body: ForcedTransferIn, ctx: ComplianceWrite) -> Any:
    """A forced transfer waits for a second compliance officer's approval; one that could never
    execute (same wallet, more than the balance, refused by the token) is refused now."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, ApprovalOut.model_validate(controls.request_forced_transfer(
            ctx.issuer, db, symbol=body.symbol, from_wallet=body.from_wallet,
            to_wallet=body.to_wallet, amount=body.amount, actor=who.operator))
    return ctx.run(action)


@router.post("/recoveries", status_code=202, response_model=ApprovalOut)
def request_recovery(body: RecoveryIn, ctx: ComplianceWrite) -> Any:
    """Recovery of a lost wallet waits for a second compliance officer's approval; one that
    could never execute is refused now."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, ApprovalOut.model_validate(controls.request_recovery(
            ctx.issuer, db, symbol=body.symbol, lost_wallet=body.lost_wallet,
            new_wallet=body.new_wallet, identity=body.identity, actor=who.operator))
    return ctx.run(action)


@router.get("/approvals", response_model=list[ApprovalOut])
def list_approvals(ctx: Viewer, status: str | None = None) -> Any:
    query = select(Approval)
    if status:
        query = query.where(Approval.status == status)
    return [ApprovalOut.model_validate(a) for a in ctx.db.scalars(
        query.order_by(Approval.created_at))]


def _decision(approval_id: str, ctx: WriteCtx, approve: bool) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        decided = controls.decide_as(ctx.issuer, db, approval_id, approve=approve,
                                     principal=who)
        if decided.result and "tx_key" in decided.result:
            key = decided.result["tx_key"]
            ctx.after_commit.append(lambda: controls.send_now(ctx.issuer, key))
        return 200, ApprovalOut.model_validate(decided)
    return ctx.run(action)


@router.post("/approvals/{approval_id}/approve", response_model=ApprovalOut)
def approve(approval_id: str, ctx: OperatorWrite) -> Any:
    """Approve and carry out a pending action: by an operator who is neither the requester nor
    behind the key that issued the approving key; forced transfers and recoveries need the
    compliance role, large creations admin, multiplier changes operator. Exactly one decision
    per approval: concurrent ones get 409 ``approval_decided``."""
    return _decision(approval_id, ctx, True)


@router.post("/approvals/{approval_id}/reject", response_model=ApprovalOut)
def reject(approval_id: str, ctx: OperatorWrite) -> Any:
    """Turn a pending action down (same rules as approving); it never executes."""
    return _decision(approval_id, ctx, False)


@router.get("/transactions/{key:path}", response_model=ChainTxOut)
def get_transaction(key: str, ctx: Viewer) -> Any:
    """Where a chain write stands (its outbox key is in the answer that started it)."""
    row = outbox.live(ctx.db, key)
    if row is None:
        raise not_found("transaction", key)
    return ChainTxOut.model_validate(row)
