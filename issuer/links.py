"""What a creation or redemption is tied to, for an operator or auditor following it: the
custody and participant broker accounts, the chain transactions (attestation, mint or burn:
hash, block, status), the broker orders and journals, and the executions with their trade and
settle dates. Chain references come from the outbox; broker ones are read from the broker (when
it does not answer, ``executions`` is None and ``broker_error`` says why)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.broker import BrokerError
from issuer.broker.journals import cash_journal_by_client_id
from issuer.models import (
    ChainTx,
    Creation,
    DividendEntitlement,
    ItnRequest,
    Participant,
    Redemption,
)
from issuer.service import Issuer


def chain_refs(db: Session, keys: list[str]) -> list[dict[str, Any]]:
    """The outbox rows of ``keys`` (every attempt): hash, block, status."""
    rows = db.scalars(select(ChainTx).where(ChainTx.key.in_(keys))
                      .order_by(ChainTx.key, ChainTx.attempt))
    return [{"key": t.key, "attempt": t.attempt, "tx_hash": t.tx_hash,
             "block_number": t.block_number, "status": t.status} for t in rows]


def itn_chain(db: Session, row: ItnRequest) -> list[dict[str, Any]]:
    """A tokenization request's chain transactions: its attestation, mint or burn (its own or
    its batch's)."""
    keys = [f"attest:itn:{row.id}", f"burn:itn:{row.id}",
            f"mint:itn:{row.tokenization_request_id}"]
    if row.mint_batch:
        keys += [f"attest:itnbatch:{row.mint_batch}", f"mint:itnbatch:{row.mint_batch}"]
    return chain_refs(db, keys)


def creation_links(issuer: Issuer, db: Session, creation: Creation) -> dict[str, Any]:
    keys = [f"attest:creation:{creation.id}", f"mint:creation:{creation.id}"]
    if creation.mint_batch:
        keys += [f"attest:batch:{creation.mint_batch}", f"mint:batch:{creation.mint_batch}"]
    participant = db.get(Participant, creation.participant_id)
    assert participant is not None
    custody = issuer.settings.broker_account_id
    journals = [j for j in (creation.payment_journal_id, creation.broker_journal_id) if j]
    links = _base(custody, participant, chain_refs(db, keys), journals)
    try:
        if creation.broker_order_id:
            order = issuer.broker.order(custody, creation.broker_order_id)
            links["broker_orders"] = [order.id]
            links["executions"] = _executions(issuer.broker.executions(custody, order))
        for source, target in ((custody, participant.broker_account_id),
                               (participant.broker_account_id, custody)):
            true_up = cash_journal_by_client_id(
                issuer.broker, f"creation-{creation.id}-true-up", from_account=source,
                to_account=target)
            if true_up is not None:
                links["broker_journals"].append(true_up.id)
    except BrokerError as exc:
        links["executions"], links["broker_error"] = None, str(exc)
    return links


def redemption_links(issuer: Issuer, db: Session, redemption: Redemption) -> dict[str, Any]:
    participant = db.get(Participant, redemption.participant_id)
    assert participant is not None
    custody = issuer.settings.broker_account_id
    journals = [j for j in (redemption.broker_journal_id,) if j] + [
        e.journal_id for e in db.scalars(select(DividendEntitlement).where(
            DividendEntitlement.kind == "redemption",
            DividendEntitlement.lifecycle_id == redemption.id)) if e.journal_id]
    links = _base(custody, participant, chain_refs(db, [f"burn:redemption:{redemption.id}"]),
                  journals)
    try:
        orders = [o for o in issuer.broker.orders(custody, symbols=redemption.symbol)
                  if o.client_order_id.startswith(f"redemption-{redemption.id}-")]
        links["broker_orders"] = [o.id for o in orders]
        links["executions"] = _executions([e for o in orders
                                           for e in issuer.broker.executions(custody, o)])
    except BrokerError as exc:
        links["executions"], links["broker_error"] = None, str(exc)
    return links


def _base(custody: str, participant: Participant, chain: list[dict[str, Any]],
          journals: list[str]) -> dict[str, Any]:
    return {"custody_account_id": custody,
            "participant_account_id": participant.broker_account_id, "chain": chain,
            "broker_orders": [], "broker_journals": journals, "executions": [],
            "broker_error": None}


def _executions(executions: list[Any]) -> list[dict[str, Any]]:
    return [{"id": e.id, "order_id": e.order_id, "side": e.side, "qty": e.qty,
             "price": e.price, "amount": e.amount, "trade_date": e.trade_date,
             "settle_date": e.settle_date, "status": e.status} for e in executions]
