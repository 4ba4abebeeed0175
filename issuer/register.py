"""The holder register a transfer agent or an auditor asks for: every holder of a symbol at a
block (or at a record date the issuer took), with its identity, country, raw balance, shares at
that block's multiplier and frozen tokens.

Balances come from the indexed Transfer events up to the block (:func:`issuer.indexer.holders`);
the register is refused (409, never a partial one) unless the indexer has reached the block and
the balances add up to the token's ``totalSupply`` at that block, read from the chain. Facts
about each holder (identity, country, frozen tokens) are read from the chain at that block.
Every export is written to the audit trail.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import indexer, units
from issuer.audit import audit
from issuer.errors import IssuerError
from issuer.models import CorporateAction
from issuer.service import Issuer

COLUMNS = ("wallet", "identity", "country", "raw_balance", "shares", "frozen_raw", "frozen")


@dataclass(frozen=True)
class Holder:
    wallet: str
    identity: str
    country: int
    raw_balance: str
    #: at the block's multiplier, exact (18 decimals at most)
    shares: str
    frozen_raw: str
    frozen: bool


@dataclass(frozen=True)
class Register:
    symbol: str
    block: int
    record_date: str | None
    multiplier: str
    total_supply: str
    economic_supply: str
    holders: list[Holder]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "holders": [asdict(h) for h in self.holders]}

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for holder in self.holders:
            row = asdict(holder)
            writer.writerow([str(row[c]).lower() if c == "frozen" else row[c] for c in COLUMNS])
        return out.getvalue()


def record_block(db: Session, symbol: str, record_date: dt.date) -> int:
    """The block the issuer took as ``symbol``'s holders of record on ``record_date``."""
    block = db.scalar(select(CorporateAction.snapshot_block).where(
        CorporateAction.symbol == symbol, CorporateAction.record_date == record_date,
        CorporateAction.snapshot_block.is_not(None)).order_by(CorporateAction.snapshot_block)
        .limit(1))
    if block is None:
        raise IssuerError(409, "no_record_snapshot",
                          f"the issuer took no record of {symbol} holders on "
                          f"{record_date.isoformat()}: ask for a block instead")
    return int(block)


def build(issuer: Issuer, db: Session, symbol: str, block: int,
          record_date: dt.date | None = None) -> Register:
    indexed = indexer.indexed_to(db)
    if indexed is None or indexed < block:
        raise IssuerError(409, "not_indexed_yet", f"transfers are indexed to block {indexed}; "
                          f"the register at block {block} waits for the indexer")
    chain = issuer.chain
    balances = indexer.holders(db, symbol, block)
    supply = chain.total_supply(symbol, block)
    if sum(balances.values()) != supply:
        raise IssuerError(409, "register_incomplete",
                          f"indexed balances add up to {sum(balances.values())} raw, the "
                          f"token's totalSupply at block {block} is {supply}: not exported")
    multiplier = chain.multiplier(symbol, block)
    holders = []
    for wallet, raw in balances.items():
        identity, country, frozen_raw, frozen = chain.holder_facts(symbol, wallet, block)
        holders.append(Holder(wallet=wallet, identity=identity, country=country,
                              raw_balance=str(raw),
                              shares=format(units.raw_to_shares(raw, multiplier), "f"),
                              frozen_raw=str(frozen_raw), frozen=frozen))
    return Register(symbol=symbol, block=block,
                    record_date=record_date.isoformat() if record_date else None,
                    multiplier=str(multiplier), total_supply=str(supply),
                    economic_supply=format(units.raw_to_shares(supply, multiplier), "f"),
                    holders=holders)


def audit_export(db: Session, register: Register, actor: str, fmt: str) -> None:
    audit(db, actor, "register.export", register.symbol, block=register.block,
          record_date=register.record_date, format=fmt, holders=len(register.holders),
          total_supply=register.total_supply)
    db.commit()
