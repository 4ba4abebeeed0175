"""Shareholder meetings: the operator's view and policy (``/v1/meetings``), and the holders'
public endpoints, which need no API key (a ballot is authenticated by its signature):
``GET /v1/meetings/{id}/voters/{wallet}`` (entitlement, proof, what to sign),
``POST /v1/meetings/{id}/ballots``, ``GET /v1/meetings/{id}/ballots/{ballot_id}`` (the
receipt) and ``GET /v1/meetings/{id}/tally``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from issuer.api.auth import Principal
from issuer.api.context import issuer_of
from issuer.api.paging import Limit, page
from issuer.api.routes.deps import OperatorWrite, Viewer
from issuer.api.schemas import (
    BallotIn,
    BallotReceipt,
    CountedBallotsOut,
    MeetingOut,
    Page,
    PolicyIn,
    TallyOut,
    VoterOut,
)
from issuer.errors import IssuerError
from issuer.models import Meeting
from issuer.voting import ballots
from servicekit.throttle import FailureThrottle

router = APIRouter(tags=["meetings"])



@router.get("/meetings", response_model=Page[MeetingOut])
def list_meetings(ctx: Viewer, symbol: str | None = None, status: str | None = None,
                  cursor: str | None = None, limit: Limit = 50) -> Any:
    """Shareholder meetings the broker announced, with their snapshot, instruction and
    result."""
    query = select(Meeting)
    if symbol:
        query = query.where(Meeting.symbol == symbol.upper())
    if status:
        query = query.where(Meeting.status == status)
    return page(ctx.db, query, Meeting, cursor, limit, MeetingOut)


@router.get("/meetings/{meeting_id}", response_model=MeetingOut)
def get_meeting(meeting_id: str, ctx: Viewer) -> Any:
    return MeetingOut.model_validate(ballots.meeting(ctx.db, meeting_id))


@router.post("/meetings/{meeting_id}/policy", response_model=MeetingOut)
def set_policy(meeting_id: str, body: PolicyIn, ctx: OperatorWrite) -> Any:
    """What the instruction does with the shares of holders who did not vote: ``unvoted``
    (left unvoted, the default) or ``board`` (voted as the board recommends). Set before the
    holders' deadline, in the audit trail, never silently."""
    def action(db: Session, who: Principal) -> tuple[int, Any]:
        return 200, MeetingOut.model_validate(ballots.set_policy(
            ctx.issuer, db, meeting_id, body.policy, who.operator))
    return ctx.run(action)


@router.get("/meetings/{meeting_id}/voters/{wallet}", response_model=VoterOut)
def get_voter(meeting_id: str, wallet: str, request: Request,
              x_voter_signature: Annotated[str | None, Header(max_length=4200)] = None,
              x_voter_expires: Annotated[str | None, Header(max_length=20)] = None) -> Any:
    """Public. A holder of record's entitlement (shares at the record block, in 1e-9 units
    too), its Merkle proof against the root published on chain and the EIP-712 domain and types
    a ballot is signed with. The next nonce (which tells whether and how often the holder
    voted) is shown after the tally, and before it only on the holder's own signed read: the
    ``read_request`` typed data with ``expires`` (Unix seconds, at most 10 minutes ahead),
    signed by the wallet, sent as ``X-Voter-Expires`` and ``X-Voter-Signature``."""
    issuer = issuer_of(request)
    with issuer.session() as db:
        return ballots.voter(issuer, db, meeting_id, wallet, read_signature=x_voter_signature,
                             read_expires=x_voter_expires)


@router.post("/meetings/{meeting_id}/ballots", response_model=BallotReceipt, status_code=201)
def post_ballot(meeting_id: str, body: BallotIn, request: Request) -> Any:
    """Public. A holder's signed ballot: counted (replacing the holder's earlier one when its
    nonce is higher), or refused with its reason and nothing stored. The same ballot again is
    answered with its receipt."""
    issuer = issuer_of(request)
    throttle = _ballot_throttle(request)
    source = request.client.host if request.client else "unknown"
    if (wait := throttle.retry_after(source)) is not None:
        raise IssuerError(429, "too_many_refused_ballots", f"too many refused ballots from "
                          f"this source; retry in {wait} s", headers={"Retry-After": str(wait)})
    for _ in range(3):   # two ballots of one meeting at once: one commits, the other reruns
        try:
            with issuer.session() as db:
                counted = ballots.submit(
                    issuer, db, meeting_id, voter_address=body.voter, nonce=body.nonce,
                    votes=[(v.proposal, v.choice, str(v.shares)) for v in body.votes],
                    signature=body.signature)
                db.flush()
                answer = ballots.receipt(db, meeting_id, counted.id)
        except (StaleDataError, IntegrityError):
            continue
        except IssuerError:
            throttle.failed(source)   # a guessed or forged ballot counts against its source
            raise
        return JSONResponse(BallotReceipt.model_validate(answer).model_dump(mode="json"),
                            status_code=201)
    raise IssuerError(409, "concurrent_update", "ballots of this meeting arrived at the same "
                      "moment; send yours again")


def _ballot_throttle(request: Request) -> FailureThrottle:
    """Refused ballots per source (the app's own; the limits of failed authentications)."""
    state = request.app.state
    if getattr(state, "ballot_throttle", None) is None:
        settings = issuer_of(request).settings
        state.ballot_throttle = FailureThrottle(settings.auth_failure_limit,
                                                settings.auth_failure_window)
    throttle: FailureThrottle = state.ballot_throttle
    return throttle


@router.get("/meetings/{meeting_id}/ballots", response_model=CountedBallotsOut)
def get_counted_ballots(meeting_id: str, request: Request) -> Any:
    """Public, after the holders' deadline. Every counted ballot as signed, with its proof
    against the root the registry records beside the tally's hash (``ballotCounted`` checks
    one on chain): anyone recounts the tally; before the deadline 409 ``voting_open``."""
    issuer = issuer_of(request)
    with issuer.session() as db:
        return ballots.counted_set(db, meeting_id)


@router.get("/meetings/{meeting_id}/ballots/{ballot_id}", response_model=BallotReceipt)
def get_ballot(meeting_id: str, ballot_id: str, request: Request) -> Any:
    """Public. A ballot's receipt: its votes and digest, counted or replaced, and the hash of
    the instruction it went into (recorded on chain)."""
    issuer = issuer_of(request)
    with issuer.session() as db:
        return ballots.receipt(db, meeting_id, ballot_id)


@router.get("/meetings/{meeting_id}/tally", response_model=TallyOut)
def get_tally(meeting_id: str, request: Request) -> Any:
    """Public. The counted ballots per proposal and choice, what was instructed (and its
    hash), and the broker's result after the meeting."""
    issuer = issuer_of(request)
    with issuer.session() as db:
        return ballots.running_tally(db, ballots.meeting(db, meeting_id))
