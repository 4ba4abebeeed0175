"""The tokenization network (ITN): the four endpoints the broker calls with the key the issuer
gave it (``ISSUER_ITN_API_KEY``), and the operator's view of the ITN requests (``/v1``).
Refusals are 400 with a ``reason`` (the broker shows it to the AP), 404/409 as the protocol
says; see :mod:`issuer.itn`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer import itn, itn_desk, leases, links
from issuer.api.auth import Principal
from issuer.api.context import issuer_of
from issuer.api.paging import Limit, page
from issuer.api.routes.deps import OperatorWrite, Viewer
from issuer.api.schemas import (
    ApprovalOut,
    ItnCloseIn,
    ItnConfirmIn,
    ItnConfirmOut,
    ItnConnectIn,
    ItnConnectOut,
    ItnExcessBurnIn,
    ItnForceCompleteIn,
    ItnIssuanceIn,
    ItnIssuanceOut,
    ItnRequestDetail,
    ItnRequestOut,
    Page,
    TokenizedAssetOut,
)
from issuer.errors import IssuerError, not_found
from issuer.models import ItnRequest
from servicekit import logs

LOG = logs.get("issuer.itn")
network_router = APIRouter(tags=["tokenization network (called by the broker)"])
router = APIRouter(tags=["tokenization network"])



@network_router.post("/accounts/connect", response_model=ItnConnectOut)
def connect(body: ItnConnectIn, request: Request) -> Any:
    """Link the participant with this email to the AP's broker account; its ``client_id``.
    Unknown email: 404 ``unknown_email``; linked to another account: 409 ``already_linked``."""
    with issuer_of(request).session() as db:
        participant = itn.connect(db, email=body.email, account=body.account)
        return {"client_id": participant.id}


@network_router.get("/tokenized-assets", response_model=list[TokenizedAssetOut])
def tokenized_assets(request: Request) -> Any:
    """The tokens issued here: underlying symbol, token symbol, networks, token address."""
    return itn.tokenized_assets(issuer_of(request))


@network_router.post("/inkind/issuance", response_model=ItnIssuanceOut)
def issuance(body: ItnIssuanceIn, request: Request) -> Any:
    """The broker's mint request (one per ``tokenization_request_id``: asked again, the same
    answer). Refused with 400 and a ``reason``: ``invalid_payload``, ``client_not_eligible``,
    ``wallet_not_client``, ``token_not_on_network``, ``asset_frozen``,
    ``corporate_action_window``."""
    try:
        for attempt in (1, 2):
            try:
                with issuer_of(request).session() as db:
                    row = itn.request_mint(issuer_of(request), db, body.model_dump(mode="json"))
                    answer = {"issuer_request_id": row.issuer_request_id, "status": "created"}
                break
            except IntegrityError:
                # a concurrent first request with this id was stored first: asked again, this
                # one is answered as a replay (the same payload) or refused (another)
                if attempt == 2:
                    raise
    except IssuerError as refused:
        LOG.warning("itn.mint_refused", tokenization_request_id=body.tokenization_request_id,
                    code=refused.code, reason=refused.detail)
        raise
    LOG.info("itn.mint_request", tokenization_request_id=body.tokenization_request_id,
             issuer_request_id=answer["issuer_request_id"], symbol=body.underlying_symbol,
             qty=body.qty)
    return answer


@network_router.post("/inkind/issuance/confirm", response_model=ItnConfirmOut)
def confirm(body: ItnConfirmIn, request: Request) -> Any:
    """The broker's journal confirmation: ``completed`` (the shares are in custody: the
    issuer mints at once) or ``rejected`` (nothing is minted)."""
    issuer = issuer_of(request)
    with issuer.session() as db:
        row = itn.confirm(issuer, db, body.model_dump(mode="json", exclude_none=True))
        answer = {"issuer_request_id": row.issuer_request_id, "status": row.status}
        if answer["status"] == "confirmed":
            leases.notify(db)   # worker processes mint now, not at their next pass
    if answer["status"] == "confirmed":
        issuer.wake.set()   # and so does this process's worker
    return answer


@router.get("/itn/requests", response_model=Page[ItnRequestOut])
def list_requests(ctx: Viewer, type: str | None = None, status: str | None = None,
                  symbol: str | None = None, cursor: str | None = None,
                  limit: Limit = 50) -> Any:
    """ITN mints and redemptions, with their broker request id and chain transaction."""
    query = select(ItnRequest)
    if type:
        query = query.where(ItnRequest.type == type)
    if status:
        query = query.where(ItnRequest.status == status)
    if symbol:
        query = query.where(ItnRequest.symbol == symbol.upper())
    return page(ctx.db, query, ItnRequest, cursor, limit, ItnRequestOut)


@router.get("/itn/requests/{request_id}", response_model=ItnRequestDetail)
def get_request(request_id: str, ctx: Viewer) -> Any:
    """One ITN request (by the issuer's id, the broker's, or a redemption's deposit), with
    its chain transactions (attestation, mint or burn: hash, block, status)."""
    row = ctx.db.get(ItnRequest, request_id) or ctx.db.scalar(select(ItnRequest).where(
        (ItnRequest.tokenization_request_id == request_id)
        | (ItnRequest.issuer_request_id == request_id)))
    if row is None:
        raise not_found("itn_request", request_id)
    return {**ItnRequestOut.model_validate(row).model_dump(),
            "chain": links.itn_chain(ctx.db, row),
            "custody_account_id": ctx.issuer.settings.broker_account_id}


@router.post("/itn/requests/{request_id}/force-complete", status_code=202,
             response_model=ApprovalOut)
def force_complete(request_id: str, body: ItnForceCompleteIn, ctx: OperatorWrite) -> Any:
    """Ask to mark an ITN redemption ``completed`` whose burn landed on chain (``tx_hash``:
    exactly its raw units, from the redemption wallet, not another request's burn) while the
    request did not record it (``review``, ``halted``, ``pending``, ``burning``). An admin who
    is not the requester approves it (``/v1/approvals/{id}/approve``)."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, ApprovalOut.model_validate(itn_desk.request_force_complete(
            ctx.issuer, db, request_id, tx_hash=body.tx_hash, reason=body.reason,
            actor=who.operator))
    return ctx.run(action)


@router.post("/itn/requests/{request_id}/close", status_code=202, response_model=ApprovalOut)
def close_mint(request_id: str, body: ItnCloseIn, ctx: OperatorWrite) -> Any:
    """Ask to close an ITN mint that will not be minted (``created``, ``confirmed``,
    ``halted``; no mint of it on chain or on its way): on an admin's approval its shares, if
    the network journaled them in, go back to the AP's account and the request ends
    ``closed``."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 202, ApprovalOut.model_validate(itn_desk.request_close_mint(
            db, request_id, reason=body.reason, actor=who.operator))
    return ctx.run(action)


@router.post("/itn/requests/{request_id}/excess-burn", status_code=202,
             response_model=ApprovalOut)
def excess_burn(request_id: str, body: ItnExcessBurnIn, ctx: OperatorWrite) -> Any:
    """Ask to burn, from the request's wallet, tokens a mint transaction (``tx_hash``) gave it
    beyond the mint the request counted (a duplicate mint): at most that transaction's amount
    and the wallet's balance, one approval per transaction; an admin approves it."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        approval = itn_desk.request_excess_burn(
            ctx.issuer, db, request_id, tx_hash=body.tx_hash, amount=body.amount,
            reason=body.reason, actor=who.operator)
        return 202, ApprovalOut.model_validate(approval)
    return ctx.run(action)
