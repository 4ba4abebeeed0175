"""The holder register for the transfer agent: ``GET /v1/register/{symbol}`` at a block or a
record date, as JSON or CSV (compliance or admin role); each export is in the audit trail."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from issuer import controls, indexer, register
from issuer.api.paging import Block
from issuer.api.routes.deps import ComplianceRead, deployed_by
from issuer.api.schemas import RegisterOut
from issuer.errors import invalid
from issuer.validation import Day

router = APIRouter(tags=["register"])


@router.get("/register/{symbol}", response_model=RegisterOut,
            responses={200: {"content": {"text/csv": {}}},
                       409: {"description": "not indexed to that block yet, no record taken "
                                            "that day, or balances that do not add up"}})
def get_register(symbol: str, ctx: ComplianceRead, block: Block = None,
                 record_date: Day | None = None,
                 format: Annotated[Literal["json", "csv"], Query()] = "json") -> Any:  # noqa: A002
    """Every holder at ``block`` (default: the latest indexed block) or at ``record_date`` (the
    block the issuer took as its holders of record that day): wallet, identity, country, raw
    balance, shares at that block's multiplier, frozen tokens. The raw balances add up to the
    token's ``totalSupply`` at that block, or nothing is exported."""
    key = controls.symbol_of(ctx.issuer, symbol)
    if block is not None and record_date is not None:
        raise invalid("one_point_in_time", "give block or record_date, not both")
    if record_date is not None:
        at = register.record_block(ctx.db, key, record_date)
    elif block is not None:
        if block > ctx.issuer.chain.head():
            raise invalid("block_not_indexed", f"block {block} is not mined yet")
        at = block
    else:
        at = min(ctx.issuer.chain.head(),
                 indexer.indexed_to(ctx.db) or ctx.issuer.chain.head())
    deployed_by(ctx, at, key)
    out = register.build(ctx.issuer, ctx.db, key, at, record_date)
    register.audit_export(ctx.db, out, ctx.principal.operator, format)
    if format == "csv":
        return Response(out.csv(), media_type="text/csv",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{key}-register-{at}.csv"'})
    return out.as_dict()
