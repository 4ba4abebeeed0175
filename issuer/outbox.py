"""The transaction outbox: every chain write is signed and persisted before it is sent.

- :func:`enqueue` checks the call would succeed (``eth_estimateGas``), signs it with the role's
  key at the next nonce and stores the raw bytes. It sends nothing: the caller commits first.
- :func:`pump` sends what is stored (the same bytes again after a crash or a lost request), then
  follows receipts until they are ``confirmations`` deep. A transaction is replaced (same
  intent, new nonce, ``attempt`` + 1) only when it is provably dead: the signer's mined nonce has
  moved past it and no receipt for its hash exists.
- A receipt that disappears (a reorg) sends the same bytes again.

One signer per role; nonces come from the chain's pending count and the outbox's own live rows,
so the service never needs the node to remember unsent transactions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer import crashpoints, leases
from issuer.chain import Chain
from issuer.db import utcnow
from issuer.models import ChainTx
from servicekit import logs

LOG = logs.get("issuer.outbox")

LIVE = ("signed", "sent")


def live(db: Session, key: str) -> ChainTx | None:
    """The newest attempt for an intent (whatever its status), or None."""
    return db.scalar(select(ChainTx).where(ChainTx.key == key)
                     .order_by(ChainTx.attempt.desc()).limit(1))


def enqueue(db: Session, chain: Chain, key: str, role: str, call: Any) -> ChainTx:
    """Sign ``call`` (an unsigned call of ``chain.calls``) for ``role`` once per ``key``.

    Returns the existing attempt when the intent is already in the outbox. Raises
    :class:`ChainError` when the call would revert, before anything is stored.
    """
    existing = live(db, key)
    if existing is not None and existing.status != "dead":
        return existing
    to, data = chain.prepare(call, chain.signers[role].address)
    return _sign_and_store(db, chain, key, role, to, data,
                           attempt=1 if existing is None else existing.attempt + 1)


def _sign_and_store(db: Session, chain: Chain, key: str, role: str, to: str, data: str,
                    attempt: int) -> ChainTx:
    """``to`` empty: a contract deployment (``data`` is the creation code)."""
    signer = chain.signers[role]
    nonce = _next_nonce(db, chain, signer.address)
    signed = chain.sign(role, to, data, nonce)
    now = utcnow()
    row = ChainTx(key=key, attempt=attempt, signer=signer.address, to=to, data=data,
                  nonce=nonce, raw=signed.raw, tx_hash=signed.tx_hash, status="signed",
                  created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    LOG.info("outbox.signed", key=key, attempt=attempt, role=role, nonce=nonce,
             tx_hash=row.tx_hash)
    return row


def _next_nonce(db: Session, chain: Chain, address: str) -> int:
    """The signer's next nonce. Several workers: the signer's nonce lock is held from here to
    the commit of the signed row, so the next worker to sign for it sees this nonce taken."""
    leases.nonce_lock(db, address)
    on_chain = chain.nonce(address, pending=True)
    stored = db.scalar(select(func.max(ChainTx.nonce)).where(
        ChainTx.signer == address, ChainTx.status.in_(LIVE)))
    return max(on_chain, stored + 1 if stored is not None else 0)


#: The crash point reached right after sending, by the outbox key's prefix (first match).
SENT_CRASHPOINTS = (("mint:itn:", "itn_mint.after_mint_sent"),
                    ("burn:itn:", "itn_redeem.after_burn_sent"),
                    ("mint:", "creation.after_mint_sent"),
                    ("burn:", "redemption.after_burn_sent"),
                    ("ca:", "corporate_action.after_tx_sent"))


def pump(db: Session, chain: Chain, row: ChainTx) -> ChainTx:
    """Move one transaction forward: send, find its receipt, replace it if it is dead.

    Returns the row that now carries the intent (a new attempt after a replacement).
    """
    if row.status in ("mined", "reverted"):
        if row.block_number is not None and chain.receipt(row.tx_hash) is None:
            row.status, row.block_number = "sent", None  # reorged out: send it again
            LOG.warning("outbox.reorged", key=row.key, tx_hash=row.tx_hash)
        else:
            return row
    receipt = chain.receipt(row.tx_hash)
    if receipt is None:
        if chain.nonce(row.signer, pending=False) > row.nonce:
            row.status, row.error = "dead", "nonce used by another transaction"
            row.updated_at = utcnow()
            db.flush()
            LOG.warning("outbox.replaced", key=row.key, attempt=row.attempt, nonce=row.nonce,
                        tx_hash=row.tx_hash, reason=row.error)
            return _sign_and_store(db, chain, row.key, _role_of(chain, row.signer), row.to,
                                   row.data, attempt=row.attempt + 1)
        complaint = chain.send_raw(row.raw)
        if complaint is not None:
            row.error = complaint
        point = next((p for prefix, p in SENT_CRASHPOINTS if row.key.startswith(prefix)), None)
        if point is not None:
            crashpoints.reach(point)
        row.status, row.updated_at = "sent", utcnow()
        LOG.info("outbox.sent", key=row.key, attempt=row.attempt, nonce=row.nonce,
                 tx_hash=row.tx_hash)
        receipt = chain.wait_receipt(row.tx_hash)
        if receipt is None:
            return row
    if chain.head() - receipt.block < chain.confirmations:
        row.status = "sent"
        return row
    row.block_number = receipt.block
    if receipt.ok:
        row.status = "mined"
        if receipt.contract_address:
            row.contract_address = receipt.contract_address
    else:
        row.status = "reverted"
        row.error = chain.replay_error(row.signer, row.to, row.data, receipt.block)
    row.updated_at = utcnow()
    (LOG.info if row.status == "mined" else LOG.warning)(
        f"outbox.{row.status}", key=row.key, attempt=row.attempt, tx_hash=row.tx_hash,
        block=row.block_number, error=row.error if row.status == "reverted" else None)
    return row


def _role_of(chain: Chain, address: str) -> str:
    for role, signer in chain.signers.items():
        if signer.address == address:
            return role
    raise LookupError(f"no signer for {address}")
