"""Shareholder meetings passed through to the token holders: the worker's steps.

announced -> (the record date has ended, the chain indexed past it, the broker's record of
custody known) the snapshot: every holder's raw balance at the last block of the record date
(New York), times the multiplier at that block, in units of 1e-9 share, rounded down; the
redemption wallet is not a voter. Its Merkle root is published on the ``ProxyVoteRegistry``
(outbox key ``ballot:<id>``) -> open: holders send signed ballots (:mod:`issuer.voting.ballots`)
until the holders' deadline, ``ISSUER_VOTE_DEADLINE_MARGIN`` seconds before the broker's cutoff
-> instructing: the tally (:func:`tally`) is stored, then sent as the custody account's one
instruction (``client_instruction_id = meeting-<id>``: a retry or a restart is answered with
the same) and its hash recorded on chain (``tally:<id>``) -> instructed -> completed when the
broker publishes the result, stored next to the instruction. A cancelled meeting stops where it
is; a refused instruction fails the meeting with the broker's reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import crashpoints, indexer, outbox
from issuer.broker import BrokerRejected
from issuer.chain import ChainError
from issuer.corporate.merkle import MerkleTree
from issuer.corporate.window import chain_time_at
from issuer.db import utcnow
from issuer.lifecycle.common import advance, chain_step, dispatch, move, note, outcome_of
from issuer.models import ChainTx, Meeting, MeetingEntitlement
from issuer.operations import audit
from issuer.service import Issuer
from issuer.statuses import OPEN_MEETINGS
from issuer.units import share_units as units_of_shares
from issuer.voting import ballots
from issuer.voting.ballot import SHARE_UNITS, meeting_key, shares_text
from servicekit.calendar import NEW_YORK

OPEN = OPEN_MEETINGS
#: How far back the proxy service's meetings are read.
LOOKBACK = dt.timedelta(days=90)
ONE = 10**18


# ----------------------------------------------------------------------------- discovery


def discover(issuer: Issuer, db: Session) -> None:
    """Record new meetings of listed symbols; carry amendments and cancellations."""
    today = issuer.broker.clock().date
    notices = [n for n in issuer.proxy_voting.meetings(since=today - LOOKBACK)
               if n.symbol in issuer.chain.stocks]
    known = {m.id: m for m in db.scalars(select(Meeting).where(
        Meeting.id.in_({n.meeting_id for n in notices})))}
    margin = dt.timedelta(seconds=issuer.settings.vote_deadline_margin)
    for notice in notices:
        row = known.get(notice.meeting_id)
        if row is None:
            now = utcnow()
            row = Meeting(id=notice.meeting_id, version=notice.version, symbol=notice.symbol,
                          status="cancelled" if notice.status == "cancelled" else "announced",
                          meeting_date=notice.meeting_date, record_date=notice.record_date,
                          cutoff=notice.cutoff, deadline=notice.cutoff - margin,
                          proposals=notice.proposals, created_at=now, updated_at=now)
            db.add(row)
            known[row.id] = row
            audit(db, "worker", "meeting.announced", row.id, symbol=row.symbol,
                  meeting_date=row.meeting_date.isoformat(),
                  record_date=row.record_date.isoformat(), cutoff=row.cutoff.isoformat())
            continue
        if notice.version <= row.version:
            continue
        row.version, row.updated_at = notice.version, utcnow()
        if notice.status == "cancelled" and row.status in ("announced", "publishing", "open"):
            move(db, row, "cancelled", f"cancelled by the proxy service (version "
                 f"{notice.version})")
            continue
        if row.status not in ("announced", "publishing", "open"):
            note(row, f"amendment {notice.version} arrived after the instruction: not applied")
            continue
        if row.status == "announced":
            row.record_date = notice.record_date
        row.meeting_date, row.proposals = notice.meeting_date, notice.proposals
        row.cutoff, row.deadline = notice.cutoff, notice.cutoff - margin
        audit(db, "worker", "meeting.amended", row.id, version=notice.version,
              cutoff=row.cutoff.isoformat(), meeting_date=row.meeting_date.isoformat())
    db.flush()


# ----------------------------------------------------------------------------- steps


def step(issuer: Issuer, db: Session, row: Meeting) -> None:
    dispatch(_STEPS, issuer, db, row)


def record_moment(issuer: Issuer, record_date: dt.date) -> int:
    """The end of the record date in New York (midnight after it), in the chain's time (the
    broker's and the chain's clocks are read together: on a live system they agree; on the
    devnet the chain runs on the wall clock while the broker's is simulated)."""
    end = dt.datetime.combine(record_date + dt.timedelta(days=1), dt.time(), NEW_YORK)
    return chain_time_at(issuer, end)


def block_before(issuer: Issuer, moment: int) -> int | None:
    """The last block with a timestamp before ``moment``; None while no block is past it."""
    chain = issuer.chain
    head = chain.head()
    if chain.block_time(head) < moment:
        return None   # the chain has not reached the end of the record date yet
    low, high = int(chain.manifest.get("deploy_block", 0)), head
    if chain.block_time(low) >= moment:
        return None
    while high - low > 1:   # block_time(low) < moment <= block_time(high)
        middle = (low + high) // 2
        if chain.block_time(middle) < moment:
            low = middle
        else:
            high = middle
    return low


def entitlement_units(raw: int, multiplier: int) -> int:
    """Economic shares in ballot units (1e-9), rounded down (:func:`issuer.units.share_units`)."""
    return units_of_shares(raw, multiplier, SHARE_UNITS)


def _announced(issuer: Issuer, db: Session, row: Meeting) -> None:
    today = issuer.broker.clock().date
    if today <= row.record_date:
        note(row, f"waiting: the record date {row.record_date.isoformat()} ends")
        return
    block = block_before(issuer, record_moment(issuer, row.record_date))
    if block is None:
        note(row, "waiting: the chain has not passed the end of the record date")
        return
    indexed = indexer.indexed_to(db)
    if indexed is None or indexed < block:
        note(row, f"waiting: the indexer has not reached block {block}")
        return
    record = issuer.proxy_voting.record(row.id, issuer.settings.broker_account_id)
    if record.qty is None:
        note(row, "waiting: the broker's record of custody")
        return
    multiplier = issuer.chain.multiplier(row.symbol, block)
    raw = indexer.holders(db, row.symbol, block)
    for wallet in (issuer.settings.redemption_wallet,):   # the issuer's own: not a voter
        if wallet:
            raw = {h: v for h, v in raw.items() if h.lower() != wallet.lower()}
    units = {holder: entitlement_units(value, multiplier) for holder, value in raw.items()}
    units = {holder: u for holder, u in units.items() if u > 0}
    for holder, u in sorted(units.items()):
        db.add(MeetingEntitlement(meeting_id=row.id, holder=holder, raw=str(raw[holder]),
                                  units=u))
    row.record_block, row.multiplier = block, str(multiplier)
    row.entitled_shares = Decimal(sum(units.values())) / SHARE_UNITS
    row.custody_shares = record.qty
    if not units:
        move(db, row, "completed", "no holder of record: nothing to vote or instruct",
             record_block=block)
        return
    row.root = "0x" + MerkleTree(units).root.hex()
    move(db, row, "publishing", f"{len(units)} holders of record, {row.entitled_shares} "
         f"shares at block {block} (multiplier {multiplier}); custody held {record.qty}",
         record_block=block)


def _publishing(issuer: Issuer, db: Session, row: Meeting) -> None:
    assert row.root is not None and row.record_block is not None
    if outbox.live(db, f"ballot:{row.id}") is None and issuer.broker.clock().now >= row.deadline:
        _close(db, row, "the holders' deadline passed before the ballot could be published: "
               "nobody could vote")
        return
    total = sum(ballots.entitlements(db, row.id).values())
    # the registry takes the deadline in chain time (it refuses one in the past, and a tally
    # before it): the broker's deadline, carried onto the chain's clock
    result = chain_step(issuer, db, f"ballot:{row.id}", "corporate_action",
                        lambda: issuer.chain.calls.publish_ballot(
                            meeting_key(row.id), row.symbol, bytes.fromhex(row.root[2:]),
                            row.record_block, chain_time_at(issuer, row.deadline), total,
                            bytes.fromhex(snapshot_hash(row, total)[2:])))
    _after_tx(db, row, result, done="open", reason="ballot published: holders of record vote "
              f"until {row.deadline.isoformat()}")


def snapshot_hash(row: Meeting, total: int) -> str:
    """The hash of the meeting's snapshot record (the publication's reference)."""
    return _digest({"meeting": row.id, "symbol": row.symbol, "record_block": row.record_block,
                    "multiplier": row.multiplier, "root": row.root, "total_units": total})


def _open(issuer: Issuer, db: Session, row: Meeting) -> None:
    now = issuer.broker.clock().now
    if now < row.deadline:
        return
    _close(db, row, "the holders' deadline passed: the tally is the instruction")


def _close(db: Session, row: Meeting, reason: str) -> None:
    """Ballots are closed: the tally becomes the instruction."""
    row.instruction = tally(db, row)
    row.instruction_hash = instruction_hash(row.id, row.instruction)
    move(db, row, "instructing", reason, instruction_hash=row.instruction_hash)


def _instructing(issuer: Issuer, db: Session, row: Meeting) -> None:
    assert row.instruction is not None and row.instruction_hash is not None
    if row.broker_instruction_id is None:
        votes = {pid: {c: Decimal(q) for c, q in choices.items()}
                 for pid, choices in row.instruction["votes"].items()}
        if not any(q > 0 for choices in votes.values() for q in choices.values()):
            move(db, row, "instructed", "no votes were cast: nothing instructed")
            return
        crashpoints.reach("meeting.before_instruction")
        try:
            sent = issuer.proxy_voting.instruct(
                row.id, account_id=issuer.settings.broker_account_id,
                client_instruction_id=f"meeting-{row.id}", votes=votes)
        except BrokerRejected as exc:
            move(db, row, "failed", f"the broker refused the instruction: {exc.code}: "
                 f"{exc.detail}")
            return
        crashpoints.reach("meeting.after_instruction")
        row.broker_instruction_id = sent.id
        audit(db, "worker", "meeting.instruction", row.id, broker_instruction_id=sent.id,
              instruction_hash=row.instruction_hash, votes=row.instruction["votes"])
        db.commit()
    if outbox.live(db, f"tally:{row.id}") is None:
        deadline = issuer.chain.ballot_deadline(meeting_key(row.id))
        if issuer.chain.block_time() <= deadline:   # the registry takes no tally before it
            note(row, f"waiting: the chain's clock to pass the published deadline {deadline}")
            return
    root = row.instruction.get("ballots_root") or "0x" + "00" * 32
    result = chain_step(issuer, db, f"tally:{row.id}", "corporate_action",
                        lambda: issuer.chain.calls.record_tally(
                            meeting_key(row.id), bytes.fromhex(row.instruction_hash[2:]),
                            bytes.fromhex(root[2:]), int(row.instruction.get("ballots", 0))))
    _after_tx(db, row, result, done="instructed",
              reason=f"instructed the broker ({row.broker_instruction_id})")


def _instructed(issuer: Issuer, db: Session, row: Meeting) -> None:
    if issuer.broker.clock().date <= row.meeting_date:
        note(row, f"waiting: the meeting on {row.meeting_date.isoformat()}")
        return
    try:
        results = issuer.proxy_voting.results(row.id, issuer.settings.broker_account_id)
    except BrokerRejected as exc:
        note(row, f"waiting: results ({exc.code})")
        return
    row.results = results.model_dump(mode="json")
    move(db, row, "completed", "the broker's result is published")


def _after_tx(db: Session, row: Meeting, result: ChainTx | ChainError, *, done: str,
              reason: str) -> None:
    advance(db, row, outcome_of(result, "the registry's transaction"), refused="failed",
            done=lambda tx: move(db, row, done, reason, tx=tx.tx_hash, block=tx.block_number))


# ----------------------------------------------------------------------------- the tally


def tally(db: Session, row: Meeting) -> dict[str, Any]:
    """The instruction: per proposal, the shares the counted ballots put on each choice, plus
    (policy ``board``) the unvoted entitled shares on the board's recommendation, never more
    than custody held at the record date (scaled down, rounding down, if it ever would be).
    Shares as decimal strings (9 places at most)."""
    entitled = sum(ballots.entitlements(db, row.id).values())
    units, counted = ballots.counted_units(db, row)
    unvoted: dict[str, int] = {}
    for proposal in row.proposals:
        pid = proposal["id"]
        left = entitled - sum(units[pid].values())
        unvoted[pid] = left
        if row.unvoted_policy == "board" and proposal.get("recommendation") and left > 0:
            units[pid][proposal["recommendation"]] += left
    cap = int((row.custody_shares or Decimal(0)) * SHARE_UNITS)
    scaled = []
    for pid, choices in units.items():
        total = sum(choices.values())
        if total > cap:   # never more than custody held at the record date
            units[pid] = {c: v * cap // total for c, v in choices.items()}
            scaled.append(pid)
    return {"votes": {pid: {c: _shares(v) for c, v in sorted(choices.items()) if v > 0}
                      for pid, choices in sorted(units.items())},
            "unvoted": {pid: _shares(v) for pid, v in sorted(unvoted.items())},
            "policy": row.unvoted_policy, "ballots": counted, "scaled_down": scaled,
            # the counted ballots it sums: recorded on chain beside the tally's hash
            "ballots_root": ballots.counted_root(db, row.id)}


_shares = shares_text


def instruction_hash(meeting_id: str, instruction: dict[str, Any]) -> str:
    """The hash of the instruction (what the registry records)."""
    return _digest({"meeting": meeting_id, **instruction})


def _digest(record: dict[str, Any]) -> str:
    """``sha256`` of ``record``'s canonical JSON, as 0x-hex."""
    body = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return "0x" + hashlib.sha256(body.encode()).hexdigest()


_STEPS = {"announced": _announced, "publishing": _publishing, "open": _open,
          "instructing": _instructing, "instructed": _instructed}
