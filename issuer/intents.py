"""Chain writes an operator asks for (token controls, approvals' executions), as outbox
intents signed by one of the issuer's roles: sent once per key, refused at once (422
``chain_refused``, naming the contract's error) when the chain would revert them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from issuer import outbox
from issuer.chain import ChainError
from issuer.errors import IssuerError
from issuer.models import ChainTx
from issuer.service import Issuer


def submit(issuer: Issuer, db: Session, key: str, call: Any) -> ChainTx:
    """Enqueue a control transaction (the agent key signs); refused calls raise 422."""
    return submit_as(issuer, db, key, "supply", call)


def submit_as(issuer: Issuer, db: Session, key: str, role: str, call: Any) -> ChainTx:
    try:
        return outbox.enqueue(db, issuer.chain, key, role, call)
    except ChainError as refused:
        raise IssuerError(422, "chain_refused", str(refused), error=refused.name) from refused


def preflight(issuer: Issuer, role: str, call: Any) -> None:
    """Refuse (422 ``chain_refused``, naming the contract's error) a call the chain would revert
    if it ran now as ``role``: what can never execute is not parked as an approval."""
    try:
        issuer.chain.preflight(call, issuer.chain.signers[role].address)
    except ChainError as refused:
        raise IssuerError(422, "chain_refused", f"the token would refuse this: {refused.name}",
                          error=refused.name) from refused
