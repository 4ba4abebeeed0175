"""Corporate actions picked up from the broker's announcements, with their amendments.

Each pass lists the announcements of the issuer's symbols from 30 days back (or the oldest open
action's ex-date). A new corporate action id becomes a record; a known one whose dates or rates
changed (Alpaca amends in place; the record counts the amendments as its ``version``) is updated
and written to the audit log. An amended
split whose multiplier is already proposed, awaiting approval or scheduled goes back to be
computed (a scheduled one is cancelled on chain first) and needs a new approval; a dividend's
figures come from what the broker pays, so its amendments need no more than the new dates and
rate. A dividend picked up after its record date cannot be snapshotted and is halted for an
operator.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.broker.types import Announcement
from issuer.corporate.window import FINAL, PAYING_OUT
from issuer.db import utcnow
from issuer.lifecycle.common import move
from issuer.models import Approval, CorporateAction
from issuer.operations import audit
from issuer.service import Issuer

LOOKBACK = dt.timedelta(days=30)
FIELDS = ("ex_date", "record_date", "payable_date", "cash_rate", "old_rate", "new_rate")


#: The kinds whose figures start from a snapshot of the chain at the record date.
RECORD_SNAPSHOT = ("dividend", "stock_dividend", "spin_off")


def _values(announcement: Announcement) -> dict[str, object]:
    """The figures the kind uses: Alpaca gives every numeric field a number (a split's
    ``cash`` is 0, a dividend's rates 1), so each kind keeps only its own."""
    kind = announcement.kind
    dividend, merger = kind == "dividend", kind in ("cash_merger", "stock_merger")
    # a spin-off's new company, a stock merger's acquirer
    renamed = kind in ("name_change", "spin_off", "stock_merger")
    rated = kind in ("forward_split", "reverse_split", "stock_dividend", "spin_off",
                     "stock_merger")
    record = announcement.record_date
    if merger or (kind == "spin_off" and record is None):
        # the broker converts (or, with no record date given, delivers on) what custody holds
        # at the end of the day before
        record = announcement.ex_date - dt.timedelta(days=1)
    return {"ex_date": announcement.ex_date, "record_date": record,
            "payable_date": announcement.payable_date,
            "cash_rate": announcement.cash if dividend or merger else None,
            "old_rate": announcement.old_rate if rated else None,
            "new_rate": announcement.new_rate if rated else None,
            "new_symbol": announcement.target_symbol.upper()
            if (renamed or merger) and announcement.target_symbol else None}


def discover(issuer: Issuer, db: Session) -> list[CorporateAction]:
    """Record new announcements and apply amendments; returns the records that changed."""
    today = issuer.broker.clock().date
    open_ex = db.scalar(select(CorporateAction.ex_date).where(
        CorporateAction.status.not_in(FINAL)).order_by(CorporateAction.ex_date).limit(1))
    since = min(today - LOOKBACK, open_ex or today)
    changed = []
    announcements = [a for a in [*issuer.broker.announcements(since=since),
                                 *issuer.broker.corporate_actions_data(since=since)]
                     if a.initiating_symbol in issuer.chain.stocks]
    # the records of every announcement in one query, not one per announcement
    known = {row.corporate_action_id: row for row in db.scalars(select(CorporateAction).where(
        CorporateAction.corporate_action_id.in_({a.corporate_action_id for a in announcements})))}
    for announcement in announcements:
        row = known.get(announcement.corporate_action_id)
        if row is None:   # (an announcement listed twice is recorded once)
            known[announcement.corporate_action_id] = row = _record(issuer, db, announcement,
                                                                    today)
            changed.append(row)
        elif _amended(row, announcement) and row.status != "scheduling":
            _amend(db, row, announcement)
            changed.append(row)
    db.flush()
    if any(row.kind == "name_change" for row in changed) and \
            (forget := getattr(issuer.broker, "forget", None)) is not None:
        forget()   # the broker port reads the renames again
    return changed


def _amended(row: CorporateAction, announcement: Announcement) -> bool:
    """Whether the broker's figures differ from those recorded (Alpaca amends an announcement
    in place, with no version number: ``version`` counts the amendments the issuer saw)."""
    return any(getattr(row, name) != value for name, value in _values(announcement).items())


def _record(issuer: Issuer, db: Session, announcement: Announcement,
            today: dt.date) -> CorporateAction:
    now = utcnow()
    row = CorporateAction(corporate_action_id=announcement.corporate_action_id,
                          version=1, symbol=announcement.initiating_symbol,
                          kind=announcement.kind, status="announced", created_at=now,
                          updated_at=now, **_values(announcement))
    row.payout = "stablecoin" if row.kind == "dividend" and issuer.settings.pays_stablecoin(
        row.symbol) else "reinvest"
    db.add(row)
    audit(db, "worker", "corporate_action.announced", announcement.corporate_action_id,
          symbol=row.symbol, kind=row.kind,
          **{k: str(v) for k, v in _values(announcement).items() if v is not None})
    db.flush()
    if row.kind in RECORD_SNAPSHOT and row.record_date is not None and \
            today > row.record_date:
        move(db, row, "halted", "picked up after its record date "
             f"({row.record_date.isoformat()}): the record snapshot cannot be taken any more")
    return row


def _amend(db: Session, row: CorporateAction, announcement: Announcement) -> None:
    new = _values(announcement)
    changes = {k: [str(getattr(row, k)), str(v)] for k, v in new.items()
               if getattr(row, k) != v}
    for name, value in new.items():
        setattr(row, name, value)
    row.version += 1
    audit(db, "worker", "corporate_action.amended", row.corporate_action_id,
          version=row.version, changes=changes)
    if row.kind == "dividend":
        row.updated_at = utcnow()
        if row.payout == "stablecoin" and row.status in PAYING_OUT:
            row.warning = (f"amended to version {row.version} after the stablecoin claims "
                           "were fixed: the distribution follows the cash the broker paid")
        return
    if row.status in ("proposed", "awaiting_approval", "approved"):
        _drop_approval(db, row)
        row.nonce = row.effective_at = row.effective_broker_at = None
        row.attempt += 1  # nothing signed for the old figures may be sent
        move(db, row, "announced", f"amended to version {row.version}: computing again")
    elif row.status == "scheduled":
        _drop_approval(db, row)
        move(db, row, "canceling", f"amended to version {row.version}: cancelling the "
             "scheduled change")


def _drop_approval(db: Session, row: CorporateAction) -> None:
    if row.approval_id is None:
        return
    approval = db.get(Approval, row.approval_id)
    if approval is not None and approval.status == "pending":
        approval.decided_at = utcnow()
        move(db, approval, "superseded", f"corporate action {row.id} amended to version "
             f"{row.version}")
    row.approval_id = None
