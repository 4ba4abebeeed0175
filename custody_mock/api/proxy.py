"""The broker's proxy-voting interface (see :mod:`custody_mock.proxy`): ``/proxy/v1`` for the
broker's clients (meetings, what an account may vote, instructions, results), and
``/_mock/proxy`` for the proxy materials the broker receives (announce, amend, cancel).
Not Alpaca's: Alpaca's Broker API has no proxy voting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends

from custody_mock import proxy
from custody_mock.api.deps import BrokerDep, authenticate, authenticate_control
from custody_mock.inputs import Day
from custody_mock.models import Meeting, VoteInstruction
from custody_mock.schemas import (
    InstructionIn,
    InstructionOut,
    MeetingAmend,
    MeetingIn,
    MeetingOut,
    RecordOut,
    ResultsOut,
)

router = APIRouter(prefix="/proxy/v1", tags=["proxy voting"],
                   dependencies=[Depends(authenticate)])
control_router = APIRouter(prefix="/_mock/proxy", tags=["mock control"],
                           dependencies=[Depends(authenticate_control)])


def meeting_out(meeting: Meeting) -> MeetingOut:
    return MeetingOut.model_validate(meeting)


def instruction_out(row: VoteInstruction) -> InstructionOut:
    return InstructionOut.model_validate(row)


def _street(votes: list[Any] | None) -> dict[str, dict[str, str]] | None:
    if votes is None:
        return None
    out: dict[str, dict[str, Decimal]] = {}
    for vote in votes:
        per = out.setdefault(vote.proposal_id, {})
        per[vote.choice] = per.get(vote.choice, Decimal(0)) + vote.qty
    return {p: {c: str(q) for c, q in choices.items()} for p, choices in out.items()}


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


@router.get("/meetings", response_model=list[MeetingOut])
def list_meetings(broker: BrokerDep, symbol: str | None = None,
                  since: Day | None = None) -> Any:
    """Current versions of the meetings (cancelled ones too), by meeting date."""
    with broker.transaction() as ctx:
        return [meeting_out(m) for m in proxy.meetings(ctx, symbol=symbol, since=since)]


@router.get("/meetings/{meeting_id}", response_model=MeetingOut)
def get_meeting(meeting_id: str, broker: BrokerDep) -> Any:
    with broker.transaction() as ctx:
        return meeting_out(proxy.current(ctx, meeting_id))


@router.get("/meetings/{meeting_id}/records/{account_id}", response_model=RecordOut)
def get_record(meeting_id: str, account_id: str, broker: BrokerDep) -> Any:
    """The account's settled shares at the end of the record date: what it may vote."""
    with broker.transaction() as ctx:
        proxy.current(ctx, meeting_id)
        return {"meeting_id": meeting_id, "account_id": account_id,
                "qty": proxy.record_qty(ctx, meeting_id, account_id)}


@router.post("/meetings/{meeting_id}/instructions", response_model=InstructionOut)
def post_instruction(meeting_id: str, body: InstructionIn, broker: BrokerDep) -> Any:
    """Instruct the broker how to vote the account's shares: per proposal, shares per choice,
    at most its record-date shares; before the cutoff; a second instruction only with
    ``replace`` (the same one again is answered with the first)."""
    with broker.transaction() as ctx:
        return instruction_out(proxy.instruct(
            ctx, meeting_id, account_id=body.account_id,
            client_instruction_id=body.client_instruction_id,
            votes=[v.model_dump() for v in body.votes], replace=body.replace))


@router.get("/meetings/{meeting_id}/instructions", response_model=list[InstructionOut])
def list_instructions(meeting_id: str, account_id: str, broker: BrokerDep) -> Any:
    """The account's instructions for the meeting, oldest first (replaced ones too)."""
    with broker.transaction() as ctx:
        return [instruction_out(r) for r in proxy.instructions(ctx, meeting_id, account_id)]


@router.get("/meetings/{meeting_id}/results", response_model=ResultsOut)
def get_results(meeting_id: str, broker: BrokerDep, account_id: str | None = None) -> Any:
    """After the meeting: per proposal the totals, the outcome and the account's votes as
    counted."""
    with broker.transaction() as ctx:
        return proxy.results(ctx, meeting_id, account_id)


@control_router.post("/meetings", response_model=MeetingOut)
def announce(body: MeetingIn, broker: BrokerDep) -> Any:
    """Proxy materials for a meeting arrive at the broker."""
    data = body.model_dump()
    data["cutoff"] = _utc(body.cutoff)
    data["proposals"] = [p.model_dump() for p in body.proposals]
    data["street"] = _street(body.street)
    with broker.transaction() as ctx:
        return meeting_out(proxy.announce(ctx, data))


@control_router.post("/meetings/{meeting_id}/amend", response_model=MeetingOut)
def amend(meeting_id: str, body: MeetingAmend, broker: BrokerDep) -> Any:
    """A new version of the meeting with the fields given."""
    changes = body.model_dump(exclude_none=True)
    if body.cutoff is not None:
        changes["cutoff"] = _utc(body.cutoff)
    if body.proposals is not None:
        changes["proposals"] = [p.model_dump() for p in body.proposals]
    if body.street is not None:
        changes["street"] = _street(body.street)
    with broker.transaction() as ctx:
        return meeting_out(proxy.amend(ctx, meeting_id, changes))


@control_router.post("/meetings/{meeting_id}/cancel", response_model=MeetingOut)
def cancel(meeting_id: str, broker: BrokerDep) -> Any:
    with broker.transaction() as ctx:
        return meeting_out(proxy.cancel(ctx, meeting_id))
