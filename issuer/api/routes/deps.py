"""What every resource module of the operator API shares: the role-checked contexts and the
answer to a write that enqueued a chain transaction."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from issuer import controls
from issuer.api.context import ReadCtx, WriteCtx, reader, writer
from issuer.api.schemas import ChainTxOut
from issuer.errors import invalid
from issuer.models import ChainTx

Viewer = Annotated[ReadCtx, Depends(reader("viewer"))]
AdminRead = Annotated[ReadCtx, Depends(reader("admin"))]
ComplianceRead = Annotated[ReadCtx, Depends(reader("compliance"))]
OperatorWrite = Annotated[WriteCtx, Depends(writer("operator"))]
ComplianceWrite = Annotated[WriteCtx, Depends(writer("compliance"))]
AdminWrite = Annotated[WriteCtx, Depends(writer("admin"))]


def tx_response(ctx: WriteCtx, tx: ChainTx) -> tuple[int, Any]:
    """202 with the outbox row; the transaction is sent once the write has committed."""
    ctx.after_commit.append(lambda: controls.send_now(ctx.issuer, tx.key))
    return 202, ChainTxOut.model_validate(tx)


def deployed_by(ctx: ReadCtx, block: int, symbol: str | None = None) -> None:
    """Refuse a block before the suite was deployed, or before ``symbol``'s token was (a later
    listing): nothing of it can be read there."""
    first = int(ctx.issuer.chain.manifest.get("deploy_block", 0))
    if block < first:
        raise invalid("block_before_deployment",
                      f"block {block} is before the contracts were deployed (block {first})")
    if symbol is not None and not ctx.issuer.chain.has_code(symbol, block):
        raise invalid("block_before_deployment",
                      f"block {block} is before the {symbol} token was deployed")
