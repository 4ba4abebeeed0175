"""The broker's proxy-voting side: shareholder meetings, voting instructions and results.

Alpaca's Broker API has no proxy-voting endpoints (a broker votes its clients' shares through a
proxy service). The mock models that service as an interface of its own, under ``/proxy/v1``
(never Alpaca's paths), so a real proxy service can stand in for it behind the issuer's port:

- Meetings arrive the way proxy materials do (``/_mock/proxy/meetings``, the mock's control
  API): symbol, meeting date, record date, the broker's instruction cutoff and the proposals
  (id, text, the allowed choices: for / against / abstain, or a slate of candidates, and the
  board's recommendation). An amendment or a cancellation is a new version with the same id.
- At the end of the record date the broker records each account's settled shares: what the
  account may vote.
- Before the cutoff an account sends one instruction: per proposal, shares per choice (split
  voting), at most its record-date shares per proposal. A second one replaces the first only
  when it says so (``replace``); the same instruction sent again (same client id and votes) is
  answered with the first.
- After the meeting date the result is published per proposal: every account's instructed
  shares plus the rest of the street's, the outcome, and the account's own votes as counted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from custody_mock import ledger
from custody_mock.amounts import ZERO
from custody_mock.context import Ctx
from custody_mock.errors import BrokerError, invalid, not_found
from custody_mock.models import (
    CorporateActionRun,
    Meeting,
    MeetingRecord,
    VoteInstruction,
    new_id,
)

FOR_AGAINST_ABSTAIN = ("for", "against", "abstain")
KINDS = ("for_against_abstain", "slate")
RECORD_STEP = "meeting_record"
#: The dates a meeting may carry.
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2199, 12, 31)


def conflict(code: str, detail: str) -> BrokerError:
    return BrokerError(409, code, detail)


# ----------------------------------------------------------------------------- meetings


def announce(ctx: Ctx, data: dict[str, Any]) -> Meeting:
    """A new meeting (version 1)."""
    ledger.asset(ctx, data["symbol"])   # 404 for an unknown symbol
    meeting = Meeting(meeting_id=data.get("meeting_id") or new_id(), version=1, current=True,
                      created_at=ctx.now, **_checked(ctx, data))
    if ctx.db.scalar(select(Meeting).where(Meeting.meeting_id == meeting.meeting_id)):
        raise conflict("meeting_exists", f"meeting {meeting.meeting_id} exists: amend it")
    ctx.db.add(meeting)
    ctx.db.flush()
    return meeting


def amend(ctx: Ctx, meeting_id: str, changes: dict[str, Any]) -> Meeting:
    """A new version with ``changes`` (dates, cutoff, proposals, street votes)."""
    old = current(ctx, meeting_id)
    if old.status == "cancelled":
        raise conflict("meeting_cancelled", f"meeting {meeting_id} is cancelled")
    if _recorded(ctx, meeting_id) and "record_date" in changes and \
            changes["record_date"] != old.record_date:
        raise conflict("record_taken", "the record date has passed: it cannot move")
    merged = {"symbol": old.symbol, "meeting_date": old.meeting_date,
              "record_date": old.record_date, "cutoff": old.cutoff,
              "proposals": old.proposals, "street": old.street, **changes}
    return _new_version(ctx, old, _checked(ctx, merged), status="announced")


def cancel(ctx: Ctx, meeting_id: str) -> Meeting:
    old = current(ctx, meeting_id)
    if old.status == "cancelled":
        return old
    fields = {k: getattr(old, k) for k in ("symbol", "meeting_date", "record_date", "cutoff",
                                          "proposals", "street")}
    return _new_version(ctx, old, fields, status="cancelled")


def _new_version(ctx: Ctx, old: Meeting, fields: dict[str, Any], *, status: str) -> Meeting:
    old.current = False
    meeting = Meeting(meeting_id=old.meeting_id, version=old.version + 1, current=True,
                      status=status, created_at=ctx.now, **fields)
    ctx.db.add(meeting)
    ctx.db.flush()
    return meeting


def current(ctx: Ctx, meeting_id: str) -> Meeting:
    found = ctx.db.scalar(select(Meeting).where(Meeting.meeting_id == meeting_id,
                                                Meeting.current))
    if found is None:
        raise not_found("meeting", meeting_id)
    return found


def meetings(ctx: Ctx, *, symbol: str | None = None,
             since: dt.date | None = None) -> list[Meeting]:
    """Current versions, by meeting date."""
    query = select(Meeting).where(Meeting.current)
    if symbol:
        query = query.where(Meeting.symbol == symbol.upper())
    if since:
        query = query.where(Meeting.meeting_date >= since)
    return list(ctx.db.scalars(query.order_by(Meeting.meeting_date, Meeting.meeting_id)))


def _checked(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001
    record, meeting_date = data["record_date"], data["meeting_date"]
    cutoff: dt.datetime = data["cutoff"]
    if not all(EARLIEST <= day <= LATEST for day in (record, meeting_date, cutoff.date())):
        raise invalid("invalid_dates", f"dates between {EARLIEST} and {LATEST}")
    try:
        cutoff = cutoff.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise invalid("invalid_dates", "the cutoff is not a representable time") from None
    if cutoff.date() < record:
        raise invalid("invalid_dates", "the instruction cutoff comes after the record date")
    if record >= meeting_date:
        raise invalid("invalid_dates", "the record date comes before the meeting date")
    if cutoff.date() > meeting_date:
        raise invalid("invalid_dates", "the instruction cutoff is at the latest on the meeting "
                                       "date")
    proposals = [dict(p) for p in data["proposals"]]
    ids = [p["id"] for p in proposals]
    if not proposals or len(set(ids)) != len(ids):
        raise invalid("invalid_proposals", "proposals need distinct ids")
    for proposal in proposals:
        if proposal["kind"] == "for_against_abstain":
            proposal["choices"] = list(FOR_AGAINST_ABSTAIN)
        elif len(set(proposal.get("choices") or [])) < 2:
            raise invalid("invalid_proposals", f"slate {proposal['id']}: two candidates or more")
        if proposal.get("recommendation") not in (None, *proposal["choices"]):
            raise invalid("invalid_proposals", f"{proposal['id']}: the recommendation is not "
                                               "one of its choices")
    street = {pid: {choice: str(Decimal(qty)) for choice, qty in votes.items()}
              for pid, votes in (data.get("street") or {}).items()}
    return {"symbol": data["symbol"].upper(), "meeting_date": meeting_date,
            "record_date": record, "cutoff": cutoff, "proposals": proposals,
            "street": street}


# ----------------------------------------------------------------------------- record date


def end_of_day(ctx: Ctx) -> None:
    """At the end of a meeting's record date: each account's settled shares of its symbol."""
    for meeting in ctx.db.scalars(select(Meeting).where(
            Meeting.current, Meeting.status == "announced", Meeting.record_date <= ctx.today)):
        if _recorded(ctx, meeting.meeting_id):
            continue
        for pos in ledger.positions_in(ctx, meeting.symbol):
            if pos.qty_settled > 0:
                ctx.db.add(MeetingRecord(meeting_id=meeting.meeting_id,
                                         account_id=pos.account_id, qty=pos.qty_settled))
        ctx.db.add(CorporateActionRun(corporate_action_id=meeting.meeting_id,
                                      step=RECORD_STEP, ran_at=ctx.now))
        ctx.db.flush()


def _recorded(ctx: Ctx, meeting_id: str) -> bool:
    return ctx.db.get(CorporateActionRun, (meeting_id, RECORD_STEP)) is not None


def record_qty(ctx: Ctx, meeting_id: str, account_id: str) -> Decimal | None:
    """The account's shares at the record date; None before it is taken."""
    if not _recorded(ctx, meeting_id):
        return None
    row = ctx.db.get(MeetingRecord, (meeting_id, account_id))
    return ZERO if row is None else row.qty


# ----------------------------------------------------------------------------- instructions


def instruct(ctx: Ctx, meeting_id: str, *, account_id: str, client_instruction_id: str,
             votes: list[dict[str, Any]], replace: bool = False) -> VoteInstruction:
    """Accept an account's instruction (see the module's docstring for the rules)."""
    ledger.account(ctx, account_id)
    meeting = current(ctx, meeting_id)
    by_proposal = _votes(meeting, votes)
    same_id = ctx.db.scalar(select(VoteInstruction).where(
        VoteInstruction.meeting_id == meeting_id, VoteInstruction.account_id == account_id,
        VoteInstruction.client_instruction_id == client_instruction_id))
    if same_id is not None:
        if same_id.votes == by_proposal:
            return same_id   # the same instruction again: answered with the first
        raise conflict("client_instruction_id_reused",
                       f"instruction {client_instruction_id} was sent with other votes")
    if meeting.status == "cancelled":
        raise conflict("meeting_cancelled", f"meeting {meeting_id} is cancelled")
    if ctx.now > meeting.cutoff:
        raise conflict("cutoff_passed", f"the instruction cutoff was {meeting.cutoff.isoformat()}")
    held = record_qty(ctx, meeting_id, account_id)
    if held is None:
        raise conflict("record_date_not_reached", "the record date has not ended: what the "
                       "account may vote is not known yet")
    for proposal_id, choices in by_proposal.items():
        total = sum((Decimal(q) for q in choices.values()), ZERO)
        if total > held:
            raise invalid("exceeds_position", f"{proposal_id}: {total} shares instructed, "
                          f"{held} held at the record date", proposal=proposal_id)
    existing = ctx.db.scalar(select(VoteInstruction).where(
        VoteInstruction.meeting_id == meeting_id, VoteInstruction.account_id == account_id,
        VoteInstruction.status == "accepted"))
    if existing is not None:
        if not replace:
            raise conflict("instruction_exists", f"an instruction ({existing.id}) was accepted: "
                           "send replace=true to replace it before the cutoff")
        existing.status = "replaced"
    seq = len(instructions(ctx, meeting_id, account_id)) + 1
    row = VoteInstruction(meeting_id=meeting_id, account_id=account_id,
                          client_instruction_id=client_instruction_id, votes=by_proposal,
                          seq=seq, created_at=ctx.now)
    ctx.db.add(row)
    ctx.db.flush()
    return row


def _votes(meeting: Meeting, votes: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    proposals = {p["id"]: p for p in meeting.proposals}
    out: dict[str, dict[str, Decimal]] = {}
    for vote in votes:
        proposal = proposals.get(vote["proposal_id"])
        if proposal is None:
            raise invalid("unknown_proposal", f"no proposal {vote['proposal_id']!r}")
        if vote["choice"] not in proposal["choices"]:
            raise invalid("invalid_choice", f"{proposal['id']}: {vote['choice']!r} is not one "
                          f"of {', '.join(proposal['choices'])}")
        per = out.setdefault(proposal["id"], {})
        per[vote["choice"]] = per.get(vote["choice"], ZERO) + Decimal(vote["qty"])
    if not out:
        raise invalid("empty_instruction", "an instruction votes on one proposal or more")
    return {pid: {c: str(q) for c, q in sorted(per.items())} for pid, per in sorted(out.items())}


def instructions(ctx: Ctx, meeting_id: str, account_id: str) -> list[VoteInstruction]:
    current(ctx, meeting_id)
    return list(ctx.db.scalars(select(VoteInstruction).where(
        VoteInstruction.meeting_id == meeting_id, VoteInstruction.account_id == account_id)
        .order_by(VoteInstruction.seq)))


# ----------------------------------------------------------------------------- results


def results(ctx: Ctx, meeting_id: str, account_id: str | None = None) -> dict[str, Any]:
    """Per proposal: totals (every accepted instruction plus the street), the outcome, and
    ``account_id``'s own votes as counted. 409 before the meeting date has ended."""
    meeting = current(ctx, meeting_id)
    if meeting.status == "cancelled":
        raise conflict("meeting_cancelled", f"meeting {meeting_id} is cancelled")
    if ctx.today <= meeting.meeting_date:
        raise conflict("results_not_published", f"results come after the meeting on "
                       f"{meeting.meeting_date.isoformat()}")
    counted = list(ctx.db.scalars(select(VoteInstruction).where(
        VoteInstruction.meeting_id == meeting_id, VoteInstruction.status == "accepted")))
    proposals = []
    for proposal in meeting.proposals:
        pid = proposal["id"]
        totals = {c: Decimal(meeting.street.get(pid, {}).get(c, "0")) for c in proposal["choices"]}
        for row in counted:
            for choice, qty in row.votes.get(pid, {}).items():
                totals[choice] += Decimal(qty)
        mine = next((row.votes.get(pid, {}) for row in counted
                     if row.account_id == account_id), {})
        proposals.append({"id": pid, "totals": {c: str(q) for c, q in totals.items()},
                          "outcome": _outcome(proposal, totals), "account_votes": mine})
    return {"meeting_id": meeting_id, "version": meeting.version, "proposals": proposals}


def _outcome(proposal: dict[str, Any], totals: dict[str, Decimal]) -> str:
    if proposal["kind"] == "for_against_abstain":
        return "passed" if totals["for"] > totals["against"] else "failed"
    best = max(totals.values())
    winners = [c for c, q in totals.items() if q == best]
    return winners[0] if len(winners) == 1 else "tied"

