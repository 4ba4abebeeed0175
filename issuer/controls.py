"""Token controls (freeze, partial freeze, pause, forced transfer, recovery) as outbox intents,
and the maker-checker approvals that guard the sensitive ones."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from issuer import itn_desk, outbox, validation
from issuer.corporate import delistings, schedule
from issuer.db import utcnow
from issuer.errors import IssuerError, conflict, invalid, not_found
from issuer.intents import preflight, submit, submit_as
from issuer.lifecycle.common import move
from issuer.models import Approval, ChainTx, CorporateAction, Creation, Investor
from issuer.operations import audit, request_approval, symbol_of
from issuer.operators import Principal, lineage, operator_lineage
from issuer.service import Issuer

#: Actions that need a second approver, and the role that may approve them.
SENSITIVE = {"forced_transfer": "compliance", "recovery": "compliance", "creation": "admin",
             "multiplier_change": "operator", "delisting": "operator", **itn_desk.APPROVER}


#: A request's address, checksummed, or 422 ``invalid_address`` (one rule, in validation).
address = validation.require_address


def freeze(issuer: Issuer, db: Session, symbol: str, wallet: str, frozen: bool,
           key: str) -> ChainTx:
    return submit(issuer, db, key, issuer.chain.calls.freeze(
        symbol_of(issuer, symbol), address(wallet, "wallet"), frozen))


def partial_freeze(issuer: Issuer, db: Session, symbol: str, wallet: str, amount: int,
                   unfreeze: bool, key: str) -> ChainTx:
    return submit(issuer, db, key, issuer.chain.calls.partial_freeze(
        symbol_of(issuer, symbol), address(wallet, "wallet"), amount, unfreeze=unfreeze))


def pause(issuer: Issuer, db: Session, symbol: str, paused: bool, key: str) -> ChainTx:
    key_symbol = symbol_of(issuer, symbol)
    if issuer.chain.is_paused(symbol.upper()) == paused:
        raise conflict("already_" + ("paused" if paused else "unpaused"),
                       f"{symbol.upper()} is already {'paused' if paused else 'unpaused'}")
    return submit(issuer, db, key, issuer.chain.calls.pause(key_symbol, paused))


ZERO_ADDRESS = "0x" + "00" * 20


def request_forced_transfer(issuer: Issuer, db: Session, *, symbol: str, from_wallet: str,
                            to_wallet: str, amount: int, actor: str) -> Approval:
    """Ask for a forced transfer (maker). Refused at once when it could never execute: the
    same wallet twice, more than the sender holds, or a transfer the token would refuse."""
    key = symbol_of(issuer, symbol)
    sender, receiver = address(from_wallet, "from_wallet"), address(to_wallet, "to_wallet")
    if sender == receiver:
        raise invalid("same_wallet", "from_wallet and to_wallet are the same wallet")
    held = issuer.chain.balance(key, sender)
    if amount > held:
        raise invalid("amount_exceeds_balance",
                      f"{sender} holds {held} raw {key}, less than the {amount} asked for")
    preflight(issuer, "supply", issuer.chain.calls.forced_transfer(key, sender, receiver, amount))
    return request_approval(db, "forced_transfer", {
        "symbol": key, "from_wallet": sender, "to_wallet": receiver, "amount": str(amount)},
        actor)


def request_recovery(issuer: Issuer, db: Session, *, symbol: str, lost_wallet: str,
                     new_wallet: str, identity: str, actor: str) -> Approval:
    """Ask for a lost-wallet recovery (maker); refused at once when it could never execute."""
    key = symbol_of(issuer, symbol)
    lost, new = address(lost_wallet, "lost_wallet"), address(new_wallet, "new_wallet")
    onchain_id = address(identity, "identity")
    if ZERO_ADDRESS in (new, onchain_id):
        raise invalid("invalid_address", "new_wallet and identity cannot be the zero address")
    if lost == new:
        raise invalid("same_wallet", "lost_wallet and new_wallet are the same wallet")
    if issuer.chain.balance(key, lost) == 0:
        raise invalid("nothing_to_recover", f"{lost} holds no {key}")
    preflight(issuer, "supply", issuer.chain.calls.recover(key, lost, new, onchain_id))
    return request_approval(db, "recovery", {
        "symbol": key, "lost_wallet": lost, "new_wallet": new, "identity": onchain_id}, actor)


def request_apply(db: Session, action: CorporateAction, actor: str) -> Approval:
    """The first operator's request to apply a proposed multiplier change (maker)."""
    if action.status != "proposed":
        raise conflict("corporate_action_not_proposed",
                       f"corporate action {action.id} is {action.status}; only a proposed one "
                       "can be applied")
    approval = request_approval(db, "multiplier_change", {
        "corporate_action": action.id, "symbol": action.symbol, "kind": action.kind,
        "m0": action.m0, **schedule.approved_figures(action)}, actor)
    action.approval_id = approval.id
    move(db, action, "awaiting_approval", f"needs approval {approval.id}")
    return approval


def decide(issuer: Issuer, db: Session, approval_id: str, *, approve: bool,
           principal: Principal, actor_role_ok: bool) -> Approval:
    """Decide a pending approval exactly once, whatever the concurrency: the decision claims the
    row with an atomic compare-and-set (``pending`` -> ``deciding``), so of several concurrent
    decisions one wins and the others get 409 ``approval_decided``; the chain transaction is
    enqueued in that same database transaction (a failure rolls the claim back to ``pending``)."""
    approval = db.get(Approval, approval_id)
    if approval is None:
        raise not_found("approval", approval_id)
    if approval.status != "pending":
        raise conflict("approval_decided", f"approval {approval_id} is {approval.status}")
    if approval.requested_by in lineage(db, principal.key_id):
        raise IssuerError(403, "same_approver",
                          f"{principal.operator} cannot decide a request of "
                          f"{approval.requested_by}: the requester, or an operator whose key "
                          "issued this key, cannot be the second approver (maker-checker)")
    if principal.operator in operator_lineage(db, approval.requested_by):
        raise IssuerError(403, "same_approver",
                          f"{principal.operator} cannot decide a request of "
                          f"{approval.requested_by}: {principal.operator} issued a key of "
                          f"{approval.requested_by}'s, directly or through others, so the two "
                          "are not independent (maker-checker)")
    if not actor_role_ok:
        raise IssuerError(403, "forbidden",
                          f"approving {approval.action} needs the "
                          f"{SENSITIVE[approval.action]} role")
    now = utcnow()
    claimed = cast(CursorResult[Any], db.execute(
        update(Approval)
        .where(Approval.id == approval_id, Approval.status == "pending")
        .values(status="deciding", decided_by=principal.operator, decided_at=now)
        .execution_options(synchronize_session=False)))
    if claimed.rowcount != 1:
        raise conflict("approval_decided", f"approval {approval_id} was decided concurrently")
    db.refresh(approval)
    actor = principal.operator
    if not approve:
        _on_reject(db, approval)
        move(db, approval, "rejected", actor=actor)
        return approval
    approval.result = _execute(issuer, db, approval)
    move(db, approval, "approved", actor=actor, **approval.result)
    return approval


def decide_as(issuer: Issuer, db: Session, approval_id: str, *, approve: bool,
              principal: Principal) -> Approval:
    """:func:`decide`, with the role the approval's action needs checked against the caller's."""
    approval = db.get(Approval, approval_id)
    needed = SENSITIVE.get(approval.action, "admin") if approval else "admin"
    return decide(issuer, db, approval_id, approve=approve, principal=principal,
                  actor_role_ok=principal.can(needed))


def update_country(issuer: Issuer, db: Session, wallet: str, country: int, key: str,
                   actor: str) -> ChainTx:
    """Move an active investor to another country (the registrar's registry write)."""
    investor = db.get(Investor, address(wallet, "wallet"))
    if investor is None or investor.status != "active":
        raise IssuerError(409, "not_active", f"{wallet} is not an active investor")
    if not 1 <= country <= 999:
        raise invalid("invalid_country", "country is an ISO 3166-1 numeric code (1-999)")
    tx = submit_as(issuer, db, key, "registrar",
                   issuer.chain.calls.update_country(investor.wallet, country))
    investor.country, investor.updated_at = country, utcnow()
    audit(db, actor, "investor.country", investor.wallet, country=country, tx=tx.tx_hash)
    return tx


def _execute(issuer: Issuer, db: Session, approval: Approval) -> dict[str, Any]:
    p = approval.payload
    key = f"approval:{approval.id}"
    if (tool := itn_desk.EXECUTORS.get(approval.action)) is not None:
        return tool(issuer, db, approval)
    if approval.action == "multiplier_change":
        return schedule.on_decision(db, approval, approved=True)
    if approval.action == "delisting":
        return delistings.on_approval(db, approval)
    if approval.action == "creation":
        creation = db.get(Creation, p["creation_id"])
        assert creation is not None
        creation.approved_by = approval.decided_by
        move(db, creation, "requested", actor=approval.decided_by or "approver")
        return {"creation_id": creation.id}
    calls = issuer.chain.calls
    if approval.action == "forced_transfer":
        tx = submit(issuer, db, key, calls.forced_transfer(
            p["symbol"], p["from_wallet"], p["to_wallet"], int(p["amount"])))
    else:
        tx = submit(issuer, db, key, calls.recover(
            p["symbol"], p["lost_wallet"], p["new_wallet"], p["identity"]))
    return {"tx_key": tx.key, "tx_hash": tx.tx_hash}


def _on_reject(db: Session, approval: Approval) -> None:
    if approval.action == "multiplier_change":
        schedule.on_decision(db, approval, approved=False)
    if approval.action == "creation":
        creation = db.get(Creation, approval.payload["creation_id"])
        if creation is not None:
            move(db, creation, "canceled", "approval rejected",
                 actor=approval.decided_by or "approver")


def send_now(issuer: Issuer, tx_key: str) -> None:
    """After the transaction that stored it commits: send it and record what happened."""
    with issuer.session() as db:
        row = outbox.live(db, tx_key)
        if row is not None and row.status in outbox.LIVE:
            outbox.pump(db, issuer.chain, row)
