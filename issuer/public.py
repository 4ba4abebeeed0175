"""The reserve, readable from outside: each symbol's public figures, cached by a worker, and
signed snapshots of them.

A worker computes the figures every ``public_refresh`` seconds (:func:`refresh`) and stores them
as JSON (``public_views``); the public API and page serve that JSON from memory, so a request
computes nothing. Snapshots (``public_snapshots``, append-only) are taken once per broker day and
once per attestation (each new round of the symbol's reserve feed); each is the canonical JSON of
the figures (sorted keys, no spaces) signed with EIP-712 by the issuer's snapshot key, and is
served with the typed data it signs, so anyone can check it with eth-account (README).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer import reserves, units
from issuer.cadence import Cadence
from issuer.corporate import calendar
from issuer.corporate.steps import ACTIVE
from issuer.db import utcnow
from issuer.models import (
    CorporateAction,
    Creation,
    PublicSnapshot,
    PublicView,
    Redemption,
)
from issuer.service import Issuer
from servicekit import logs

LOG = logs.get("issuer.public")
#: The EIP-712 domain's name and version (the chain id completes it).
DOMAIN_NAME, DOMAIN_VERSION = "Tokenized Stock Reserves", "1"
SNAPSHOT_TYPE = [
    {"name": "symbol", "type": "string"},
    {"name": "kind", "type": "string"},
    {"name": "ref", "type": "string"},
    {"name": "block", "type": "uint256"},
    {"name": "body", "type": "bytes32"},
]


def canonical(figures: dict[str, Any]) -> str:
    """The JSON a snapshot signs: sorted keys, no spaces, amounts as decimal strings."""
    return json.dumps(figures, sort_keys=True, separators=(",", ":"))


def typed_data(chain_id: int, *, symbol: str, kind: str, ref: str, block: int,
               body: str) -> dict[str, Any]:
    """The EIP-712 message a snapshot's signature covers (``body``: its canonical JSON)."""
    return {
        "types": {"EIP712Domain": [{"name": "name", "type": "string"},
                                   {"name": "version", "type": "string"},
                                   {"name": "chainId", "type": "uint256"}],
                  "ReserveSnapshot": SNAPSHOT_TYPE},
        "primaryType": "ReserveSnapshot",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id},
        "message": {"symbol": symbol, "kind": kind, "ref": ref, "block": block,
                    "body": "0x" + keccak(text=body).hex()},
    }


def _decimal(value: Decimal | Fraction) -> str:
    return format(units.exact(value), "f")


def _oldest_age(db: Session, model: type[Creation] | type[Redemption], symbol: str,
                statuses: tuple[str, ...], now: dt.datetime) -> int | None:
    oldest = db.scalar(select(func.min(model.created_at)).where(
        model.symbol == symbol, model.status.in_(statuses)))
    return None if oldest is None else max(0, int((now - oldest).total_seconds()))


def figures(issuer: Issuer, db: Session, symbol: str) -> dict[str, Any]:
    """``symbol``'s public figures now (exact decimals as strings, raw units as integers in
    strings, times in ISO 8601 UTC)."""
    chain = issuer.chain
    report = reserves.reconcile(issuer, db, symbol)
    pending_multiplier, effective_at = chain.pending_multiplier(symbol, report.block)
    if effective_at <= chain.block_time(report.block):
        effective_at = 0   # in force already: it is the multiplier itself
    round_id, settled, pending, as_of = chain.reserve_round(symbol, report.block)
    attestation = None
    if round_id:
        attestation = {
            "round": round_id, "settled_shares": _decimal(Fraction(settled, units.ONE)),
            "pending_shares": _decimal(Fraction(pending, units.ONE)),
            "as_of": dt.datetime.fromtimestamp(as_of, dt.UTC).isoformat(),
            "tx_hash": _attestation_tx(issuer, symbol, round_id)}
    now = utcnow()
    today = issuer.broker.clock().date
    actions = db.scalars(select(CorporateAction).where(
        CorporateAction.symbol == symbol, CorporateAction.status.in_(ACTIVE))
        .order_by(CorporateAction.ex_date))
    stock = chain.stock(symbol)
    return {
        "symbol": symbol, "block": report.block, "broker_time": report.broker_time,
        "raw_supply": str(report.raw_supply), "multiplier": str(report.multiplier),
        "pending_multiplier": str(pending_multiplier) if effective_at else None,
        "pending_effective_at": dt.datetime.fromtimestamp(effective_at, dt.UTC).isoformat()
        if effective_at else None,
        "economic_supply": _decimal(report.economic_supply),
        "custody_settled": _decimal(report.custody_settled),
        "custody_pending": _decimal(report.custody_pending),
        "allowed_pending": _decimal(report.allowed_pending),
        "surplus": _decimal(report.surplus), "holds": report.holds,
        "attestation": attestation,
        "open_creations": report.open_creations,
        "oldest_creation_age_seconds": _oldest_age(db, Creation, symbol,
                                                   reserves.OPEN_CREATIONS, now),
        "open_redemptions": report.open_redemptions,
        "oldest_redemption_age_seconds": _oldest_age(db, Redemption, symbol,
                                                     reserves.OPEN_REDEMPTIONS, now),
        "halted": report.halted,
        "corporate_actions": [_public_action(calendar.entry(a, today)) for a in actions],
        "feeds": {"reserve": stock.reserve_feed.address, "price": stock.price_feed.address,
                  "unit_price": stock.unit_price_feed.address},
    }


def _public_action(entry: dict[str, Any]) -> dict[str, Any]:
    """A calendar line as the public sees it: the broker's id, no operator's reason."""
    return {"id": entry["corporate_action_id"],
            **{k: entry[k] for k in ("kind", "status", "ex_date", "record_date",
                                     "payable_date", "effective_at", "window")}}


_TX_CACHE: dict[tuple[str, str, int], str | None] = {}


def _attestation_tx(issuer: Issuer, symbol: str, round_id: int) -> str | None:
    """The transaction of the round, remembered once found (a log scan) and looked up again
    whenever the node no longer knows it (a reorg, or a devnet reverted to a snapshot)."""
    key = (issuer.chain.stock(symbol).reserve_feed.address, symbol, round_id)
    found = _TX_CACHE.get(key)
    if found is None or issuer.chain.receipt(found) is None:
        found = _TX_CACHE[key] = issuer.chain.attestation_tx(symbol, round_id)
    return found


_REFRESHES = Cadence()


def due(issuer: Issuer) -> bool:
    """Whether this process's refresh of the public figures is due (and schedule the next)."""
    return _REFRESHES.due(issuer, issuer.settings.public_refresh)


def refresh(issuer: Issuer) -> int:
    """Recompute every symbol's public figures, store them for the API, and take the
    snapshots that are due; the number of snapshots taken."""
    return sum(refresh_symbol(issuer, symbol)[1] for symbol in issuer.chain.stocks)


def refresh_symbol(issuer: Issuer, symbol: str) -> tuple[str, int]:
    """:func:`refresh` for one symbol: its figures' canonical JSON and the snapshots taken.
    (The API calls it too for a symbol no worker has computed yet, so the public endpoints
    answer from the start.)"""
    taken = 0
    with issuer.session() as db:
        body = figures(issuer, db, symbol)
        text = canonical(body)
        view = db.get(PublicView, symbol) or PublicView(symbol=symbol)
        view.body, view.refreshed_at = text, utcnow()
        db.add(view)
        try:
            db.commit()
        except IntegrityError:   # another process stored it first: theirs stands
            db.rollback()
        day = dt.datetime.fromisoformat(body["broker_time"]).date().isoformat()
        due = [("daily", day)]
        if body["attestation"] is not None:
            due.append(("attestation", str(body["attestation"]["round"])))
        for kind, ref in due:
            taken += _snapshot(issuer, db, symbol, kind, ref, body["block"], text)
    return text, taken


def _snapshot(issuer: Issuer, db: Session, symbol: str, kind: str, ref: str, block: int,
              body: str) -> int:
    if db.scalar(select(PublicSnapshot.id).where(
            PublicSnapshot.symbol == symbol, PublicSnapshot.kind == kind,
            PublicSnapshot.ref == ref)) is not None:
        return 0
    message = typed_data(issuer.chain.chain_id, symbol=symbol, kind=kind, ref=ref,
                         block=block, body=body)
    signer = Account.from_key(issuer.settings.snapshot_key.get_secret_value())
    signed = signer.sign_message(encode_typed_data(full_message=message))
    db.add(PublicSnapshot(symbol=symbol, kind=kind, ref=ref, block=block, body=body,
                          digest="0x" + bytes(signed.message_hash).hex(),
                          signature="0x" + bytes(signed.signature).hex(),
                          signer=signer.address, created_at=utcnow()))
    try:
        db.commit()
    except IntegrityError:   # another worker took it first: one snapshot per key
        db.rollback()
        return 0
    LOG.info("public.snapshot", symbol=symbol, kind=kind, ref=ref, block=block)
    return 1


def snapshot_out(issuer: Issuer, row: PublicSnapshot) -> dict[str, Any]:
    """A snapshot as the API serves it: the signed body, the signature, the signer and the
    typed data it signs."""
    return {"id": row.id, "symbol": row.symbol, "kind": row.kind, "ref": row.ref,
            "block": row.block, "created_at": row.created_at.isoformat(),
            "figures": json.loads(row.body), "body": row.body, "digest": row.digest,
            "signature": row.signature, "signer": row.signer,
            "typed_data": typed_data(issuer.chain.chain_id, symbol=row.symbol, kind=row.kind,
                                     ref=row.ref, block=row.block, body=row.body)}
