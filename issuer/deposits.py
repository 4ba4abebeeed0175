"""Redemptions started by tokens arriving at the issuer's redemption wallet.

After each indexer run, every confirmed Transfer into ``ISSUER_REDEMPTION_WALLET`` from a
participant's wallet starts one cash redemption (keyed by the transfer's tx hash and log index, so
a re-indexed or repeated event never starts two). The shares redeemed are the transfer's economic
value at its block, rounded down to the broker's 9 decimals; the lifecycle then burns that from
the redemption wallet. A transfer from a wallet that is no participant is written to the audit log
once and left for an operator.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import units
from issuer.audit import audit, record
from issuer.chain import checksum
from issuer.db import utcnow
from issuer.itn import token_symbol
from issuer.models import AuditEntry, ItnRequest, Participant, Redemption, TokenEvent
from issuer.service import Issuer
from issuer.units import raw_to_shares

#: Redemption statuses whose deposit still sits, unburned, in the redemption wallet.
UNBURNED = ("requested", "paused", "burning")


def deposit_event(db: Session, source_event: str | None) -> TokenEvent | None:
    """The indexed Transfer of the deposit ``<tx hash>:<log index>``, or None (also for a
    redemption without a deposit)."""
    if source_event is None:
        return None
    tx_hash, log_index = source_event.rsplit(":", 1)
    return db.scalar(select(TokenEvent).where(TokenEvent.tx_hash == tx_hash,
                                              TokenEvent.log_index == int(log_index)))


def deposit_raw(db: Session, source_event: str | None) -> int | None:
    """The raw units of the deposit ``<tx hash>:<log index>``, or None when not indexed."""
    event = deposit_event(db, source_event)
    return int(event.value) if event is not None else None


def _itn_redemption(issuer: Issuer, db: Session, event: TokenEvent, key: str,
                    participant: Participant, qty: Decimal, multiplier: int) -> None:
    """A linked participant's deposit is redeemed over the tokenization network: the broker
    journals the shares back (:mod:`issuer.lifecycle.itn`)."""
    now = utcnow()
    db.add(ItnRequest(type="redeem", status="detected", issuer_request_id=key,
                      participant_id=participant.id, symbol=event.symbol,
                      token_symbol=token_symbol(issuer, event.symbol),
                      network=issuer.settings.itn_network, qty=qty, wallet=event.sender,
                      raw=event.value, multiplier=str(multiplier), tx_hash=event.tx_hash,
                      block_number=event.block_number, payload={}, created_at=now,
                      updated_at=now))
    record(db, "deposits", "itn_redeem.request", key,
           {"symbol": event.symbol, "qty": qty, "participant": participant.id}, at=now)


def start_redemptions(issuer: Issuer, db: Session) -> list[Redemption]:
    if not issuer.settings.redemption_wallet:
        return []
    wallet = checksum(issuer.settings.redemption_wallet)
    seen = set(db.scalars(select(Redemption.source_event).where(
        Redemption.source_event.is_not(None)))) | set(db.scalars(
            select(ItnRequest.issuer_request_id).where(ItnRequest.type == "redeem")))
    reported = set(db.scalars(select(AuditEntry.subject).where(
        AuditEntry.action == "deposit.unknown_sender")))
    participants = {p.wallet: p for p in db.scalars(select(Participant))}
    started = []
    for event in db.scalars(select(TokenEvent).where(TokenEvent.receiver == wallet)
                            .order_by(TokenEvent.block_number, TokenEvent.log_index)):
        key = f"{event.tx_hash}:{event.log_index}"
        if key in seen or key in reported:
            continue
        participant = participants.get(event.sender)
        if participant is None:
            audit(db, "deposits", "deposit.unknown_sender", key, symbol=event.symbol,
                  sender=event.sender, raw=event.value)
            continue
        multiplier = issuer.chain.multiplier(event.symbol, event.block_number)
        qty = units.broker_qty_down(raw_to_shares(int(event.value), multiplier))
        if qty <= 0:
            continue
        now = utcnow()
        if issuer.settings.itn_api_key and participant.itn_account_number is not None:
            _itn_redemption(issuer, db, event, key, participant, qty, multiplier)
            continue
        redemption = Redemption(symbol=event.symbol, participant_id=participant.id,
                                kind="cash", qty=qty, wallet=wallet, status="requested",
                                source_event=key, created_by="deposits", created_at=now,
                                updated_at=now)
        db.add(redemption)
        record(db, "deposits", "redemption.request", key,
               {"symbol": event.symbol, "qty": qty, "participant": participant.id}, at=now)
        started.append(redemption)
    db.flush()
    return started
