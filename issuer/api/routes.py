"""The ``/v1`` endpoints."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from issuer import controls, indexer, operations, outbox, validation
from issuer.api.auth import Principal, create_key, revoke_key
from issuer.api.context import ReadCtx, WriteCtx, reader, writer
from issuer.api.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    ApprovalOut,
    AuditOut,
    ChainTxOut,
    CorporateActionOut,
    CountryIn,
    CreationIn,
    CreationOut,
    ForcedTransferIn,
    FreezeIn,
    HaltOut,
    InvestorIn,
    InvestorOut,
    Page,
    PartialFreezeIn,
    ParticipantIn,
    ParticipantOut,
    PauseIn,
    RecoveryIn,
    RedemptionIn,
    RedemptionOut,
)
from issuer.chain import raw_to_shares
from issuer.corporate import stablecoin
from issuer.corporate.merkle import MerkleTree
from issuer.db import utcnow
from issuer.errors import IssuerError, invalid, not_found
from issuer.lifecycle.common import move
from issuer.models import (
    ApiKey,
    Approval,
    AuditEntry,
    ChainTx,
    CorporateAction,
    Creation,
    DividendClaim,
    Investor,
    Participant,
    ReconciliationRecord,
    Redemption,
    SymbolHalt,
)
from issuer.reserves import open_halt, reconcile, reconcile_at

router = APIRouter(prefix="/v1")
Viewer = Annotated[ReadCtx, Depends(reader("viewer"))]
AdminRead = Annotated[ReadCtx, Depends(reader("admin"))]
OperatorWrite = Annotated[WriteCtx, Depends(writer("operator"))]
ComplianceWrite = Annotated[WriteCtx, Depends(writer("compliance"))]
AdminWrite = Annotated[WriteCtx, Depends(writer("admin"))]
Limit = Annotated[int, Query(ge=1, le=200)]
#: An id to page after, or a block number: a SQL BIGINT at most.
After = Annotated[int, Query(ge=0, le=validation.MAX_BIGINT)]
Block = Annotated[int | None, Query(ge=0, le=validation.MAX_BIGINT)]


# ----------------------------------------------------------------------------- paging


def _deployed_by(ctx: Any, block: int) -> None:
    """Refuse a block before the suite was deployed: nothing can be read there."""
    first = int(ctx.issuer.chain.manifest.get("deploy_block", 0))
    if block < first:
        raise invalid("block_before_deployment",
                      f"block {block} is before the contracts were deployed (block {first})")


def _cursor(row: Any) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after(model: Any, cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        at_text, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at = validation.point_in_time(dt.datetime.fromisoformat(at_text))
        if not key or len(key) > 36:
            raise ValueError("no row id")
    except (ValueError, UnicodeDecodeError):
        raise invalid("invalid_cursor", "cursor is not one this API returned") from None
    return or_(model.created_at > at, and_(model.created_at == at, model.id > key))


def _page(db: Session, query: Any, model: Any, cursor: str | None, limit: int,
          out: Any) -> Page:
    if (condition := _after(model, cursor)) is not None:
        query = query.where(condition)
    rows = list(db.scalars(query.order_by(model.created_at, model.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=[out.model_validate(r) for r in rows],
                next_cursor=_cursor(rows[-1]) if more and rows else None)


# ----------------------------------------------------------------------------- admin


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, tags=["admin"])
def create_api_key(body: ApiKeyIn, ctx: AdminWrite) -> Any:
    """Create an API key for an operator (a person); the response holds the key itself, once.
    The new key can never approve requests of the operator whose key created it."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row, clear = create_key(db, body.name, body.role, operator=body.operator,
                                issued_by=who.key_id)
        operations.audit(db, who.operator, "api_key.create", row.id, name=body.name,
                         role=body.role, operator=body.operator)
        out = ApiKeyCreated(key=None, **ApiKeyOut.model_validate(row).model_dump())
        # the stored answer (replayed for a retry) never holds the secret
        ctx.after_commit_body = {"key": clear}
        return 201, out
    return ctx.run(action)


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyOut, tags=["admin"])
def revoke_api_key(key_id: str, ctx: AdminWrite) -> Any:
    """Revoke a key: every later request made with it is refused (401)."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = revoke_key(db, key_id)
        operations.audit(db, who.operator, "api_key.revoke", row.id, name=row.name,
                         operator=row.operator)
        return 200, ApiKeyOut.model_validate(row)
    return ctx.run(action)


@router.get("/api-keys", response_model=list[ApiKeyOut], tags=["admin"])
def list_api_keys(ctx: AdminRead) -> Any:
    return [ApiKeyOut.model_validate(k) for k in ctx.db.scalars(
        select(ApiKey).order_by(ApiKey.created_at))]


@router.post("/participants", status_code=201, response_model=ParticipantOut, tags=["admin"])
def register_participant(body: ParticipantIn, ctx: AdminWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.register_participant(
            ctx.issuer, db, name=body.name, broker_account_id=body.broker_account_id,
            wallet=body.wallet, actor=who.operator)
        return 201, ParticipantOut.model_validate(row)
    return ctx.run(action)


@router.get("/participants", response_model=list[ParticipantOut], tags=["admin"])
def list_participants(ctx: Viewer) -> Any:
    return [ParticipantOut.model_validate(p) for p in ctx.db.scalars(
        select(Participant).order_by(Participant.created_at))]


# ----------------------------------------------------------------------------- creations


@router.post("/creations", status_code=201, response_model=CreationOut, tags=["creations"])
def create_creation(body: CreationIn, ctx: OperatorWrite) -> Any:
    """Ask for a creation. Above the configured size it waits for an admin's approval."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.request_creation(ctx.issuer, db, participant_id=body.participant_id,
                                          symbol=body.symbol, qty=body.qty, kind=body.kind,
                                          actor=who.operator)
        if row.qty > ctx.issuer.settings.large_mint_shares:
            approval = controls.request_approval(db, "creation", {"creation_id": row.id},
                                                 who.operator)
            move(db, row, "awaiting_approval", f"needs approval {approval.id} (more than "
                 f"{ctx.issuer.settings.large_mint_shares} shares)")
        return 201, CreationOut.model_validate(row)
    return ctx.run(action)


@router.get("/creations", response_model=Page, tags=["creations"])
def list_creations(ctx: Viewer, status: str | None = None, symbol: str | None = None,
                   participant_id: str | None = None, cursor: str | None = None,
                   limit: Limit = 50) -> Any:
    query = select(Creation)
    if status:
        query = query.where(Creation.status == status)
    if symbol:
        query = query.where(Creation.symbol == symbol.upper())
    if participant_id:
        query = query.where(Creation.participant_id == participant_id)
    return _page(ctx.db, query, Creation, cursor, limit, CreationOut)


@router.get("/creations/{creation_id}", response_model=CreationOut, tags=["creations"])
def get_creation(creation_id: str, ctx: Viewer) -> Any:
    row = ctx.db.get(Creation, creation_id)
    if row is None:
        raise not_found("creation", creation_id)
    return CreationOut.model_validate(row)


@router.post("/creations/{creation_id}/cancel", response_model=CreationOut, tags=["creations"])
def cancel_creation(creation_id: str, ctx: OperatorWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 200, CreationOut.model_validate(operations.cancel_creation(db, creation_id,
                                                                          who.operator))
    return ctx.run(action)


# ----------------------------------------------------------------------------- corporate actions


@router.get("/corporate-actions", response_model=Page, tags=["corporate actions"])
def list_corporate_actions(ctx: Viewer, status: str | None = None, symbol: str | None = None,
                           cursor: str | None = None, limit: Limit = 50) -> Any:
    query = select(CorporateAction)
    if status:
        query = query.where(CorporateAction.status == status)
    if symbol:
        query = query.where(CorporateAction.symbol == symbol.upper())
    return _page(ctx.db, query, CorporateAction, cursor, limit, CorporateActionOut)


@router.get("/corporate-actions/{action_id}", response_model=CorporateActionOut,
            tags=["corporate actions"])
def get_corporate_action(action_id: str, ctx: Viewer) -> Any:
    return CorporateActionOut.model_validate(_corporate_action(ctx.db, action_id))


def _corporate_action(db: Session, action_id: str) -> CorporateAction:
    """By our id or the broker's corporate action id."""
    row = db.get(CorporateAction, action_id) or db.scalar(select(CorporateAction).where(
        CorporateAction.corporate_action_id == action_id))
    if row is None:
        raise not_found("corporate_action", action_id)
    return row


@router.get("/corporate-actions/{action_id}/claims", tags=["corporate actions"])
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


@router.get("/corporate-actions/{action_id}/claims/{wallet}", tags=["corporate actions"])
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


@router.post("/corporate-actions/{action_id}/apply", status_code=202,
             response_model=ApprovalOut, tags=["corporate actions"])
def apply_corporate_action(action_id: str, ctx: OperatorWrite) -> Any:
    """Ask to apply a proposed multiplier change; a second operator approves it at
    ``/v1/approvals/{id}/approve``, then the worker schedules it on chain."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = _corporate_action(db, action_id)
        return 202, ApprovalOut.model_validate(controls.request_apply(db, row, who.operator))
    return ctx.run(action)


# ----------------------------------------------------------------------------- redemptions


@router.post("/redemptions", status_code=201, response_model=RedemptionOut,
             tags=["redemptions"])
def create_redemption(body: RedemptionIn, ctx: OperatorWrite) -> Any:
    """Redeem by agent burn: the tokens are burned from the participant's wallet."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.request_redemption(ctx.issuer, db, participant_id=body.participant_id,
                                            symbol=body.symbol, qty=body.qty, kind=body.kind,
                                            actor=who.operator)
        return 201, RedemptionOut.model_validate(row)
    return ctx.run(action)


@router.get("/redemptions", response_model=Page, tags=["redemptions"])
def list_redemptions(ctx: Viewer, status: str | None = None, symbol: str | None = None,
                     cursor: str | None = None, limit: Limit = 50) -> Any:
    query = select(Redemption)
    if status:
        query = query.where(Redemption.status == status)
    if symbol:
        query = query.where(Redemption.symbol == symbol.upper())
    return _page(ctx.db, query, Redemption, cursor, limit, RedemptionOut)


@router.get("/redemptions/{redemption_id}", response_model=RedemptionOut,
            tags=["redemptions"])
def get_redemption(redemption_id: str, ctx: Viewer) -> Any:
    row = ctx.db.get(Redemption, redemption_id)
    if row is None:
        raise not_found("redemption", redemption_id)
    return RedemptionOut.model_validate(row)


# ----------------------------------------------------------------------------- reserves


@router.get("/reserves", tags=["reserves"])
def list_reserves(ctx: Viewer) -> Any:
    """The reconciliation report of every symbol at the latest block."""
    return [reconcile(ctx.issuer, ctx.db, s).as_dict() for s in ctx.issuer.chain.stocks]


@router.get("/reserves/{symbol}", tags=["reserves"])
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
        _deployed_by(ctx, block)
    if block is None and broker_time is None:
        return reconcile(ctx.issuer, ctx.db, key).as_dict()
    report = reconcile_at(ctx.issuer, ctx.db, key, block=block, broker_time=broker_time)
    if report is None:
        raise IssuerError(409, "not_recorded", f"no reconciliation of {key} was recorded by "
                          f"{'block ' + str(block) if block is not None else broker_time}")
    return report.as_dict()


@router.get("/reserves/{symbol}/history", tags=["reserves"])
def reserves_history(symbol: str, ctx: Viewer, after: After = 0,
                     limit: Limit = 100) -> Any:
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


@router.get("/halts", response_model=list[HaltOut], tags=["reserves"])
def list_halts(ctx: Viewer) -> Any:
    return [HaltOut.model_validate(h) for h in ctx.db.scalars(
        select(SymbolHalt).order_by(SymbolHalt.opened_at))]


@router.post("/halts/{symbol}/clear", response_model=HaltOut, tags=["reserves"])
def clear_halt(symbol: str, ctx: AdminWrite) -> Any:
    """Clear a symbol's halt, once the invariant holds again."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        key = controls.symbol_of(ctx.issuer, symbol)
        halt = open_halt(db, key)
        if halt is None:
            raise IssuerError(409, "not_halted", f"{key} is not halted")
        report = reconcile(ctx.issuer, db, key)
        if not report.holds:
            raise IssuerError(409, "invariant_violated",
                              f"{key}: economic supply {report.economic_supply} still exceeds "
                              f"custody {report.custody_settled}")
        halt.cleared_at, halt.cleared_by = utcnow(), who.key_id
        operations.audit(db, who.operator, "halt.clear", key)
        return 200, HaltOut.model_validate(halt)
    return ctx.run(action)


# ----------------------------------------------------------------------------- controls


def _tx_response(ctx: WriteCtx, tx: ChainTx) -> tuple[int, Any]:
    ctx.after_commit.append(lambda: controls.send_now(ctx.issuer, tx.key))
    return 202, ChainTxOut.model_validate(tx)


@router.post("/tokens/{symbol}/freeze", status_code=202, response_model=ChainTxOut,
             tags=["controls"])
def freeze_wallet(symbol: str, body: FreezeIn, ctx: ComplianceWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        tx = controls.freeze(ctx.issuer, db, symbol, body.wallet, body.frozen,
                             f"api:{who.key_id}:{ctx.key}")
        operations.audit(db, who.operator, "token.freeze", symbol.upper(), wallet=body.wallet,
                         frozen=body.frozen, tx=tx.tx_hash)
        return _tx_response(ctx, tx)
    return ctx.run(action)


@router.post("/tokens/{symbol}/partial-freeze", status_code=202, response_model=ChainTxOut,
             tags=["controls"])
def partial_freeze(symbol: str, body: PartialFreezeIn, ctx: ComplianceWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        tx = controls.partial_freeze(ctx.issuer, db, symbol, body.wallet, body.amount,
                                     body.unfreeze, f"api:{who.key_id}:{ctx.key}")
        operations.audit(db, who.operator, "token.partial_freeze", symbol.upper(),
                         wallet=body.wallet, amount=str(body.amount), unfreeze=body.unfreeze)
        return _tx_response(ctx, tx)
    return ctx.run(action)


@router.post("/tokens/{symbol}/pause", status_code=202, response_model=ChainTxOut,
             tags=["controls"])
def pause_token(symbol: str, body: PauseIn, ctx: ComplianceWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        tx = controls.pause(ctx.issuer, db, symbol, body.paused, f"api:{who.key_id}:{ctx.key}")
        operations.audit(db, who.operator, "token.pause" if body.paused else "token.unpause",
                         symbol.upper())
        return _tx_response(ctx, tx)
    return ctx.run(action)


@router.post("/forced-transfers", status_code=202, response_model=ApprovalOut,
             tags=["controls"])
def request_forced_transfer(body: ForcedTransferIn, ctx: ComplianceWrite) -> Any:
    """A forced transfer waits for a second compliance officer's approval; one that could never
    execute (same wallet, more than the balance, refused by the token) is refused now."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, ApprovalOut.model_validate(controls.request_forced_transfer(
            ctx.issuer, db, symbol=body.symbol, from_wallet=body.from_wallet,
            to_wallet=body.to_wallet, amount=body.amount, actor=who.operator))
    return ctx.run(action)


@router.post("/recoveries", status_code=202, response_model=ApprovalOut, tags=["controls"])
def request_recovery(body: RecoveryIn, ctx: ComplianceWrite) -> Any:
    """Recovery of a lost wallet waits for a second compliance officer's approval; one that
    could never execute is refused now."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, ApprovalOut.model_validate(controls.request_recovery(
            ctx.issuer, db, symbol=body.symbol, lost_wallet=body.lost_wallet,
            new_wallet=body.new_wallet, identity=body.identity, actor=who.operator))
    return ctx.run(action)


@router.get("/approvals", response_model=list[ApprovalOut], tags=["controls"])
def list_approvals(ctx: Viewer, status: str | None = None) -> Any:
    query = select(Approval)
    if status:
        query = query.where(Approval.status == status)
    return [ApprovalOut.model_validate(a) for a in ctx.db.scalars(
        query.order_by(Approval.created_at))]


def _decision(approval_id: str, ctx: WriteCtx, approve: bool) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        approval = db.get(Approval, approval_id)
        needed = controls.SENSITIVE.get(approval.action, "admin") if approval else "admin"
        decided = controls.decide(ctx.issuer, db, approval_id, approve=approve,
                                  principal=who, actor_role_ok=who.can(needed))
        if decided.result and "tx_key" in decided.result:
            key = decided.result["tx_key"]
            ctx.after_commit.append(lambda: controls.send_now(ctx.issuer, key))
        return 200, ApprovalOut.model_validate(decided)
    return ctx.run(action)


@router.post("/approvals/{approval_id}/approve", response_model=ApprovalOut, tags=["controls"])
def approve(approval_id: str, ctx: OperatorWrite) -> Any:
    """Approve and carry out a pending action (not by the key that asked for it; forced
    transfers and recoveries need the compliance role, large creations admin, multiplier
    changes operator)."""
    return _decision(approval_id, ctx, True)


@router.post("/approvals/{approval_id}/reject", response_model=ApprovalOut, tags=["controls"])
def reject(approval_id: str, ctx: OperatorWrite) -> Any:
    return _decision(approval_id, ctx, False)


@router.get("/transactions/{key:path}", response_model=ChainTxOut, tags=["controls"])
def get_transaction(key: str, ctx: Viewer) -> Any:
    """Where a chain write stands (its outbox key is in the answer that started it)."""
    row = outbox.live(ctx.db, key)
    if row is None:
        raise not_found("transaction", key)
    return ChainTxOut.model_validate(row)


# ----------------------------------------------------------------------------- investors


@router.post("/investors", status_code=202, response_model=InvestorOut, tags=["investors"])
def onboard_investor(body: InvestorIn, ctx: ComplianceWrite) -> Any:
    """Start onboarding a wallet; the worker deploys or links the identity and registers it."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.onboard_investor(ctx.issuer, db, wallet=body.wallet,
                                          country=body.country, identity=body.identity,
                                          actor=who.operator)
        return 202, InvestorOut.model_validate(row)
    return ctx.run(action)


@router.get("/investors", response_model=list[InvestorOut], tags=["investors"])
def list_investors(ctx: Viewer, status: str | None = None) -> Any:
    query = select(Investor)
    if status:
        query = query.where(Investor.status == status)
    return [InvestorOut.model_validate(i) for i in ctx.db.scalars(
        query.order_by(Investor.created_at))]


@router.get("/investors/{wallet}", response_model=InvestorOut, tags=["investors"])
def get_investor(wallet: str, ctx: Viewer) -> Any:
    row = ctx.db.get(Investor, controls.address(wallet, "wallet"))
    if row is None:
        raise not_found("investor", wallet)
    return InvestorOut.model_validate(row)


@router.post("/investors/{wallet}/offboard", status_code=202, response_model=InvestorOut,
             tags=["investors"])
def offboard_investor(wallet: str, ctx: ComplianceWrite) -> Any:
    """Remove the wallet from the identity registry. Refused (409 ``wallet_holds_tokens``)
    while it holds any of the issuer's tokens: move them first (forced transfer or recovery)."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, InvestorOut.model_validate(operations.offboard_investor(
            ctx.issuer, db, wallet, who.operator))
    return ctx.run(action)


@router.post("/investors/{wallet}/country", status_code=202, response_model=ChainTxOut,
             tags=["investors"])
def update_country(wallet: str, body: CountryIn, ctx: ComplianceWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        investor = db.get(Investor, controls.address(wallet, "wallet"))
        if investor is None or investor.status != "active":
            raise IssuerError(409, "not_active", f"{wallet} is not an active investor")
        if not 1 <= body.country <= 999:
            raise invalid("invalid_country", "country is an ISO 3166-1 numeric code (1-999)")
        registry = ctx.issuer.chain.registry
        tx = controls.submit_as(ctx.issuer, db, f"api:{who.key_id}:{ctx.key}", "registrar",
                                registry.functions.updateCountry(investor.wallet,
                                                                 body.country))
        investor.country, investor.updated_at = body.country, utcnow()
        operations.audit(db, who.operator, "investor.country", investor.wallet,
                         country=body.country, tx=tx.tx_hash)
        return _tx_response(ctx, tx)
    return ctx.run(action)


# ----------------------------------------------------------------------------- audit


@router.get("/audit", response_model=list[AuditOut], tags=["audit"])
def audit_log(ctx: Viewer, after: After = 0, limit: Limit = 100,
              action: str | None = None) -> Any:
    """Every operator action and lifecycle step, oldest first; page with ``after`` = last id."""
    query = select(AuditEntry).where(AuditEntry.id > after)
    if action:
        query = query.where(AuditEntry.action == action)
    return [AuditOut.model_validate(e) for e in ctx.db.scalars(
        query.order_by(AuditEntry.id).limit(limit))]


# ----------------------------------------------------------------------------- holders


@router.get("/holders/{symbol}", tags=["holders"])
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
    _deployed_by(ctx, at)
    multiplier = ctx.issuer.chain.multiplier(key, at)
    return {"symbol": key, "block": at, "multiplier": str(multiplier), "holders": [
        {"wallet": wallet, "raw": str(raw), "shares": format(raw_to_shares(raw, multiplier), "f")}
        for wallet, raw in indexer.holders(ctx.db, key, at).items()]}
