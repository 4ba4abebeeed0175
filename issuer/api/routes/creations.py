"""Creations: request (large ones wait for an admin's approval), list, read, cancel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import links, operations
from issuer.api.auth import Principal
from issuer.api.paging import Limit, page
from issuer.api.routes.deps import OperatorWrite, Viewer
from issuer.api.schemas import CreationDetail, CreationIn, CreationOut, Page
from issuer.errors import not_found
from issuer.models import Creation

router = APIRouter(tags=["creations"])


@router.post("/creations", status_code=201, response_model=CreationOut)
def create_creation(body: CreationIn, ctx: OperatorWrite) -> Any:
    """Ask for a creation. Above the configured size it waits for an admin's approval."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        row = operations.request_creation(ctx.issuer, db, participant_id=body.participant_id,
                                          symbol=body.symbol, qty=body.qty, kind=body.kind,
                                          actor=who.operator)
        return 201, CreationOut.model_validate(row)
    return ctx.run(action)


@router.get("/creations", response_model=Page[CreationOut])
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
    return page(ctx.db, query, Creation, cursor, limit, CreationOut)


@router.get("/creations/{creation_id}", response_model=CreationDetail)
def get_creation(creation_id: str, ctx: Viewer) -> Any:
    """The creation with its links: the custody and participant accounts, its attestation and
    mint transactions (hash, block), its broker order, journals and executions."""
    row = ctx.db.get(Creation, creation_id)
    if row is None:
        raise not_found("creation", creation_id)
    return {**CreationOut.model_validate(row).model_dump(),
            "links": links.creation_links(ctx.issuer, ctx.db, row)}


@router.post("/creations/{creation_id}/cancel", response_model=CreationOut)
def cancel_creation(creation_id: str, ctx: OperatorWrite) -> Any:
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 200, CreationOut.model_validate(operations.cancel_creation(db, creation_id,
                                                                          who.operator))
    return ctx.run(action)
