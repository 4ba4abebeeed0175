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

from typing import Any, cast

from eth_typing import ChecksumAddress, HexStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound
from web3.types import TxParams

from issuer import crashpoints, leases
from issuer.chain import Chain, ChainError
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
    """Sign ``call`` (a bound web3 contract function) for ``role`` once per ``key``.

    Returns the existing attempt when the intent is already in the outbox. Raises
    :class:`ChainError` when the call would revert, before anything is stored.
    """
    existing = live(db, key)
    if existing is not None and existing.status != "dead":
        return existing
    signer = chain.signers[role]
    try:
        tx = call.build_transaction({"from": signer.address, "chainId": chain.chain_id,
                                     "nonce": 0})
    except ContractCustomError as exc:
        raise ChainError(chain.decode_error(_revert_data(exc)), "") from exc
    except ContractLogicError as exc:
        raise ChainError(chain.decode_error(_revert_data(exc)), str(exc.message or "")) from exc
    return _sign_and_store(db, chain, key, role, tx.get("to") or "", tx["data"],
                           attempt=1 if existing is None else existing.attempt + 1)


def _sign_and_store(db: Session, chain: Chain, key: str, role: str, to: str, data: str,
                    attempt: int) -> ChainTx:
    """``to`` empty: a contract deployment (``data`` is the creation code)."""
    signer = chain.signers[role]
    nonce = _next_nonce(db, chain, signer.address)
    w3 = chain.w3
    params = _call_params(signer.address, to, data)
    gas = w3.eth.estimate_gas(params)
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tip = w3.eth.max_priority_fee if base else 0
    tx: dict[str, Any] = {**params, "nonce": nonce, "chainId": chain.chain_id,
                          "gas": gas * 12 // 10 + 10_000, "maxFeePerGas": base * 2 + tip,
                          "maxPriorityFeePerGas": tip, "type": 2, "value": 0}
    signed = signer.sign_transaction(tx)
    now = utcnow()
    row = ChainTx(key=key, attempt=attempt, signer=signer.address, to=to, data=data,
                  nonce=nonce, raw="0x" + bytes(signed.raw_transaction).hex(),
                  tx_hash="0x" + bytes(signed.hash).hex(), status="signed",
                  created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    LOG.info("outbox.signed", key=key, attempt=attempt, role=role, nonce=nonce,
             tx_hash=row.tx_hash)
    return row


def _call_params(sender: str, to: str, data: str) -> TxParams:
    """A call's parameters; ``to`` empty: a contract deployment."""
    params: TxParams = {"from": cast(ChecksumAddress, sender), "data": HexStr(data)}
    if to:
        params["to"] = cast(ChecksumAddress, to)
    return params


def _next_nonce(db: Session, chain: Chain, address: str) -> int:
    """The signer's next nonce. Several workers: the signer's nonce lock is held from here to
    the commit of the signed row, so the next worker to sign for it sees this nonce taken."""
    leases.nonce_lock(db, address)
    on_chain = chain.w3.eth.get_transaction_count(cast(ChecksumAddress, address),
                                                 "pending")
    stored = db.scalar(select(func.max(ChainTx.nonce)).where(
        ChainTx.signer == address, ChainTx.status.in_(LIVE)))
    return max(on_chain, stored + 1 if stored is not None else 0)


def pump(db: Session, chain: Chain, row: ChainTx) -> ChainTx:
    """Move one transaction forward: send, find its receipt, replace it if it is dead.

    Returns the row that now carries the intent (a new attempt after a replacement).
    """
    w3 = chain.w3
    if row.status in ("mined", "reverted"):
        if row.block_number is not None and _receipt(chain, row.tx_hash) is None:
            row.status, row.block_number = "sent", None  # reorged out: send it again
            LOG.warning("outbox.reorged", key=row.key, tx_hash=row.tx_hash)
        else:
            return row
    receipt = _receipt(chain, row.tx_hash)
    if receipt is None:
        mined_nonce = w3.eth.get_transaction_count(cast(ChecksumAddress, row.signer), "latest")
        if mined_nonce > row.nonce:
            row.status, row.error = "dead", "nonce used by another transaction"
            row.updated_at = utcnow()
            db.flush()
            LOG.warning("outbox.replaced", key=row.key, attempt=row.attempt, nonce=row.nonce,
                        tx_hash=row.tx_hash, reason=row.error)
            return _sign_and_store(db, chain, row.key, _role_of(chain, row.signer), row.to,
                                   row.data, attempt=row.attempt + 1)
        try:
            w3.eth.send_raw_transaction(HexStr(row.raw))
        except ValueError as exc:  # already known, or mined meanwhile: receipts tell
            row.error = str(exc)[:500]
        if row.key.startswith("mint:itn:"):
            crashpoints.reach("itn_mint.after_mint_sent")
        elif row.key.startswith("burn:itn:"):
            crashpoints.reach("itn_redeem.after_burn_sent")
        elif row.key.startswith("mint:"):
            crashpoints.reach("creation.after_mint_sent")
        elif row.key.startswith("burn:"):
            crashpoints.reach("redemption.after_burn_sent")
        row.status, row.updated_at = "sent", utcnow()
        LOG.info("outbox.sent", key=row.key, attempt=row.attempt, nonce=row.nonce,
                 tx_hash=row.tx_hash)
        receipt = _wait_receipt(chain, row.tx_hash)
        if receipt is None:
            return row
    if chain.head() - int(receipt["blockNumber"]) < chain.settings.confirmations:
        row.status = "sent"
        return row
    row.block_number = int(receipt["blockNumber"])
    if receipt["status"] == 1:
        row.status = "mined"
        if receipt.get("contractAddress"):
            row.contract_address = receipt["contractAddress"]
    else:
        row.status = "reverted"
        row.error = _replay_error(chain, row, int(receipt["blockNumber"]))
    row.updated_at = utcnow()
    (LOG.info if row.status == "mined" else LOG.warning)(
        f"outbox.{row.status}", key=row.key, attempt=row.attempt, tx_hash=row.tx_hash,
        block=row.block_number, error=row.error if row.status == "reverted" else None)
    return row


def _receipt(chain: Chain, tx_hash: str) -> Any:
    try:
        return chain.w3.eth.get_transaction_receipt(HexStr(tx_hash))
    except TransactionNotFound:
        return None


def _wait_receipt(chain: Chain, tx_hash: str) -> Any:
    """The receipt, waiting up to ``receipt_wait`` seconds for the node to mine it."""
    try:
        return chain.w3.eth.wait_for_transaction_receipt(
            HexStr(tx_hash), timeout=chain.settings.receipt_wait, poll_latency=0.05)
    except Exception:  # web3 raises TimeExhausted; the next pump looks again
        return None


def _replay_error(chain: Chain, row: ChainTx, block: int) -> str:
    try:
        chain.w3.eth.call(_call_params(row.signer, row.to, row.data), block - 1)
    except ContractCustomError as exc:
        return chain.decode_error(_revert_data(exc))
    except ContractLogicError as exc:
        return chain.decode_error(_revert_data(exc)) + f" {exc.message or ''}".rstrip()
    return "reverted"


def _revert_data(exc: Exception) -> Any:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    return data


def _role_of(chain: Chain, address: str) -> str:
    for role, signer in chain.signers.items():
        if signer.address == address:
            return role
    raise LookupError(f"no signer for {address}")
