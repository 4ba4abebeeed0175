"""The operators' tools for tokenization-network (ITN) requests that the worker cannot finish
alone, each asked for by one operator and carried out on a second's approval (maker-checker,
:func:`issuer.controls.decide`), each in the audit trail. An ITN issuer met every one of these
in production:

- **force-complete a redemption whose burn landed** (``itn_force_complete``): the deposit's burn
  is on chain (the operator names its transaction: a mined ``Transfer`` of exactly the raw units
  the redemption burns, from the redemption wallet to the zero address, on the symbol's token,
  not the burn of another request) but the request did not record it (it sits in ``review``,
  ``halted``, ``pending`` or ``burning``): it is marked ``completed``;
- **close a stuck mint** (``itn_close_mint``): a mint request that will not be minted (``created``,
  ``confirmed``, ``halted``) and of which no mint is on chain or on its way. If the network
  journaled its shares into custody, they go back to the AP's account by a share journal
  (``client_journal_id`` ``itn-close-<id>``, made at most once); the request ends ``closed``;
- **burn an excess mint** (``itn_excess_burn``): a mint transaction of the request's token to
  the request's wallet beyond the one the request counted (a duplicate after an uncertain
  confirmation): up to its amount, never more than the wallet holds, burned from that wallet
  by the supply agent (outbox key ``approval:<id>``); one approval per transaction.

Each is checked when asked for (what could never execute is refused at once, 409 or 422 with a
stable code) and again when approved (the world may have moved in between).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import outbox
from issuer.broker import BrokerRejected, BrokerUnavailable
from issuer.broker.journals import share_journal
from issuer.chain import ChainError
from issuer.errors import IssuerError, conflict, invalid, not_found
from issuer.intents import preflight, submit
from issuer.lifecycle.common import move
from issuer.lifecycle.itn import burn_raw
from issuer.models import Approval, ChainTx, ItnRequest, Participant
from issuer.operations import request_approval
from issuer.reserves import check_invariant
from issuer.service import Issuer

ZERO = "0x" + "00" * 20
#: Who may approve each tool (the requester needs the operator role).
APPROVER = {"itn_force_complete": "admin", "itn_close_mint": "admin", "itn_excess_burn": "admin"}
FORCE_COMPLETABLE = ("review", "halted", "pending", "burning")
CLOSABLE = ("created", "confirmed", "halted")
BURNABLE_AFTER = ("minted", "completed", "halted")


def _request(db: Session, request_id: str, kind: str) -> ItnRequest:
    row = db.get(ItnRequest, request_id)
    if row is None:
        raise not_found("itn_request", request_id)
    if row.type != kind:
        raise conflict(f"not_a_{kind}", f"ITN request {row.id} is a {row.type}, not a {kind}")
    return row


def _tx_hash(value: str) -> str:
    text = value.strip().lower()
    if len(text) != 66 or not text.startswith("0x") or \
            any(c not in "0123456789abcdef" for c in text[2:]):
        raise invalid("invalid_tx_hash", "tx_hash is 0x and 64 hex digits")
    return text


def _transfers(issuer: Issuer, symbol: str, tx_hash: str) -> list[dict[str, Any]]:
    """The token's Transfer events in a mined, successful transaction; 422 otherwise."""
    try:
        found = issuer.chain.transfers(symbol, tx_hash)
    except ChainError:
        raise invalid("tx_reverted", f"transaction {tx_hash} reverted") from None
    if found is None:
        raise invalid("tx_not_found", f"no mined transaction {tx_hash}")
    return found


def _keyed(db: Session, tx_hash: str) -> ChainTx | None:
    return db.scalar(select(ChainTx).where(ChainTx.tx_hash == tx_hash))


def _open_approval(db: Session, action: str, field: str, value: str) -> Approval | None:
    return next((a for a in db.scalars(select(Approval).where(
        Approval.action == action, Approval.status.in_(("pending", "deciding", "approved"))))
        if a.payload.get(field) == value), None)


# ------------------------------------------------------------------ force-complete a redemption


def _check_force_complete(issuer: Issuer, db: Session, row: ItnRequest, tx_hash: str) -> None:
    if row.status not in FORCE_COMPLETABLE:
        raise conflict("itn_request_not_stuck", f"ITN redemption {row.id} is {row.status}; "
                       f"only one in {', '.join(FORCE_COMPLETABLE)} can be force-completed")
    wallet = issuer.settings.redemption_wallet.lower()
    amount = burn_raw(row)
    if not any(str(t["from"]).lower() == wallet and str(t["to"]).lower() == ZERO
               and int(t["value"]) == amount for t in _transfers(issuer, row.symbol, tx_hash)):
        raise invalid("not_the_burn", f"transaction {tx_hash} burns no {amount} raw "
                      f"{row.symbol} from the redemption wallet")
    keyed = _keyed(db, tx_hash)
    if keyed is not None and keyed.key != f"burn:itn:{row.id}":
        raise conflict("burn_of_another_request",
                       f"transaction {tx_hash} is the issuer's {keyed.key}")


def request_force_complete(issuer: Issuer, db: Session, request_id: str, *, tx_hash: str,
                           reason: str, actor: str) -> Approval:
    row = _request(db, request_id, "redeem")
    tx = _tx_hash(tx_hash)
    _check_force_complete(issuer, db, row, tx)
    if _open_approval(db, "itn_force_complete", "itn_request", row.id) is not None:
        raise conflict("approval_open", f"ITN redemption {row.id} already has an approval")
    return request_approval(db, "itn_force_complete", {
        "itn_request": row.id, "symbol": row.symbol, "tx_hash": tx, "raw": str(burn_raw(row)),
        "reason": reason}, actor)


def _force_complete(issuer: Issuer, db: Session, approval: Approval) -> dict[str, Any]:
    row = _request(db, approval.payload["itn_request"], "redeem")
    tx = approval.payload["tx_hash"]
    _check_force_complete(issuer, db, row, tx)
    move(db, row, "completed", f"force-completed on approval {approval.id} (requested by "
         f"{approval.requested_by}, approved by {approval.decided_by}): the burn {tx} landed; "
         f"{approval.payload.get('reason') or 'no reason given'}", burn_tx=tx)
    check_invariant(issuer, db, row.symbol)
    return {"itn_request": row.id, "status": row.status, "burn_tx": tx}


# ------------------------------------------------------------------------- close a stuck mint


def _mint_keys(row: ItnRequest) -> list[str]:
    base = f"mint:itn:{row.tokenization_request_id}"
    keys = [base, *(f"{base}:{n}" for n in range(1, row.reserve_round + 1))]
    return keys + ([f"mint:itnbatch:{row.mint_batch}"] if row.mint_batch else [])


def _check_close(db: Session, row: ItnRequest) -> None:
    if row.status not in CLOSABLE:
        raise conflict("itn_request_not_stuck", f"ITN mint {row.id} is {row.status}; only one "
                       f"in {', '.join(CLOSABLE)} can be closed")
    for key in _mint_keys(row):
        tx = outbox.live(db, key)
        if tx is not None and tx.status in (*outbox.LIVE, "mined"):
            raise conflict("mint_on_chain", f"ITN mint {row.id}'s transaction {tx.tx_hash} "
                           f"({key}) is {tx.status}: it cannot be closed")


def request_close_mint(db: Session, request_id: str, *, reason: str,
                       actor: str) -> Approval:
    row = _request(db, request_id, "mint")
    _check_close(db, row)
    if _open_approval(db, "itn_close_mint", "itn_request", row.id) is not None:
        raise conflict("approval_open", f"ITN mint {row.id} already has an approval")
    return request_approval(db, "itn_close_mint", {
        "itn_request": row.id, "symbol": row.symbol, "qty": str(row.qty), "reason": reason},
        actor)


def _close_mint(issuer: Issuer, db: Session, approval: Approval) -> dict[str, Any]:
    row = _request(db, approval.payload["itn_request"], "mint")
    _check_close(db, row)
    account = issuer.settings.broker_account_id
    try:
        found = None if row.tokenization_request_id is None else \
            issuer.broker.tokenization_request(
                account, tokenization_request_id=row.tokenization_request_id)
        journal_id = None
        if found is not None and found.transfer_status == "completed":
            participant = db.get(Participant, row.participant_id)
            assert participant is not None
            journal = share_journal(
                issuer.broker, from_account=account,
                to_account=participant.broker_account_id, symbol=row.symbol, qty=row.qty,
                description=f"ITN mint {row.id} closed: its shares go back",
                client_journal_id=f"itn-close-{row.id}")
            journal_id = journal.id
    except (BrokerRejected, BrokerUnavailable) as exc:
        raise IssuerError(502, "broker_refused", f"the shares of ITN mint {row.id} could not "
                          f"be journaled back: {exc}") from exc
    move(db, row, "closed", f"closed on approval {approval.id} (requested by "
         f"{approval.requested_by}, approved by {approval.decided_by}): "
         f"{approval.payload.get('reason') or 'no reason given'}"
         + (f"; its {row.qty} shares went back by journal {journal_id}" if journal_id else
            "; the network never journaled its shares"), journal=journal_id)
    check_invariant(issuer, db, row.symbol)
    return {"itn_request": row.id, "status": row.status, "journal_id": journal_id}


# ---------------------------------------------------------------------- burn an excess mint


def _excess(issuer: Issuer, db: Session, row: ItnRequest, tx_hash: str) -> int:
    """The raw a mint transaction gave the request's wallet that the request did not count."""
    if row.status not in BURNABLE_AFTER:
        raise conflict("itn_request_not_minted", f"ITN mint {row.id} is {row.status}")
    if row.tx_hash is not None and tx_hash == row.tx_hash.lower():
        raise conflict("counted_mint", f"transaction {tx_hash} is the mint ITN request "
                       f"{row.id} counted; an excess burn takes another mint")
    minted = sum(int(t["value"]) for t in _transfers(issuer, row.symbol, tx_hash)
                 if str(t["from"]).lower() == ZERO
                 and str(t["to"]).lower() == row.wallet.lower())
    if minted == 0:
        raise invalid("not_a_mint_to_the_wallet", f"transaction {tx_hash} mints no "
                      f"{row.symbol} to {row.wallet}")
    keyed = _keyed(db, tx_hash)
    if keyed is not None and keyed.key not in _mint_keys(row):
        raise conflict("mint_of_another_request",
                       f"transaction {tx_hash} is the issuer's {keyed.key}")
    return minted


def request_excess_burn(issuer: Issuer, db: Session, request_id: str, *, tx_hash: str,
                        amount: int, reason: str, actor: str) -> Approval:
    row = _request(db, request_id, "mint")
    tx = _tx_hash(tx_hash)
    minted = _excess(issuer, db, row, tx)
    if not 0 < amount <= minted:
        raise invalid("amount_exceeds_excess", f"transaction {tx} minted {minted} raw to "
                      f"{row.wallet}: burn between 1 and that")
    held = issuer.chain.balance(row.symbol, row.wallet)
    if amount > held:
        raise invalid("amount_exceeds_balance", f"{row.wallet} holds {held} raw {row.symbol}, "
                      f"less than the {amount} asked for")
    if _open_approval(db, "itn_excess_burn", "tx_hash", tx) is not None:
        raise conflict("approval_open", f"transaction {tx} already has an excess burn")
    preflight(issuer, "supply", issuer.chain.calls.burn(row.symbol, row.wallet, amount))
    return request_approval(db, "itn_excess_burn", {
        "itn_request": row.id, "symbol": row.symbol, "wallet": row.wallet, "tx_hash": tx,
        "amount": str(amount), "reason": reason}, actor)


def _excess_burn(issuer: Issuer, db: Session, approval: Approval) -> dict[str, Any]:
    p = approval.payload
    row = _request(db, p["itn_request"], "mint")
    amount = int(p["amount"])
    if amount > _excess(issuer, db, row, p["tx_hash"]):
        raise invalid("amount_exceeds_excess", "the transaction minted less than the amount")
    tx = submit(issuer, db, f"approval:{approval.id}",
                issuer.chain.calls.burn(row.symbol, row.wallet, amount))
    return {"tx_key": tx.key, "tx_hash": tx.tx_hash, "itn_request": row.id}


EXECUTORS = {"itn_force_complete": _force_complete, "itn_close_mint": _close_mint,
             "itn_excess_burn": _excess_burn}
