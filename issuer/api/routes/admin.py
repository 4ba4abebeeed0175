"""API keys (operators' keys, revocation) and authorized participants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import operations
from issuer.api.auth import Principal, create_key, revoke_key
from issuer.api.routes.deps import AdminRead, AdminWrite, Viewer
from issuer.api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, ParticipantIn, ParticipantOut
from issuer.models import ApiKey, Participant

router = APIRouter(tags=["admin"])


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_api_key(body: ApiKeyIn, ctx: AdminWrite) -> Any:
    """Create an API key for an operator (a person); the response holds the key itself, once.
    The new key can never approve requests of the operator whose key created it."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row, clear = create_key(db, body.name, body.role, operator=body.operator,
                                issued_by=who.key_id, issuer=who)
        operations.audit(db, who.operator, "api_key.create", row.id, name=body.name,
                         role=body.role, operator=body.operator)
        out = ApiKeyCreated(key=None, **ApiKeyOut.model_validate(row).model_dump())
        # the stored answer (replayed for a retry) never holds the secret
        ctx.after_commit_body = {"key": clear}
        return 201, out
    return ctx.run(action)


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyOut)
def revoke_api_key(key_id: str, ctx: AdminWrite) -> Any:
    """Revoke a key: every later request made with it is refused (401)."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = revoke_key(db, key_id, who)
        operations.audit(db, who.operator, "api_key.revoke", row.id, name=row.name,
                         operator=row.operator)
        return 200, ApiKeyOut.model_validate(row)
    return ctx.run(action)


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_api_keys(ctx: AdminRead) -> Any:
    return [ApiKeyOut.model_validate(k) for k in ctx.db.scalars(
        select(ApiKey).order_by(ApiKey.created_at))]


@router.post("/participants", status_code=201, response_model=ParticipantOut)
def register_participant(body: ParticipantIn, ctx: AdminWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.register_participant(
            ctx.issuer, db, name=body.name, broker_account_id=body.broker_account_id,
            wallet=body.wallet, actor=who.operator, email=body.email)
        return 201, ParticipantOut.model_validate(row)
    return ctx.run(action)


@router.get("/participants", response_model=list[ParticipantOut])
def list_participants(ctx: Viewer) -> Any:
    return [ParticipantOut.model_validate(p) for p in ctx.db.scalars(
        select(Participant).order_by(Participant.created_at))]
