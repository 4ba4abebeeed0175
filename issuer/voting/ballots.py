"""Holders' ballots: who may vote, a ballot's checks, its receipt, the running tally.

A ballot is refused, with its reason and nothing stored, when: the meeting is unknown (404) or
not open for votes (409 ``voting_not_open``), the holders' deadline has passed (409
``deadline_passed``), the voter is not a holder of record (403 ``not_holder_of_record``), a
proposal or choice is unknown (422), a proposal's shares exceed the voter's entitlement (422
``over_entitlement``), its nonce is not above the counted ballot's (409 ``stale_nonce``), or its
signature is not the voter's over this ballot in this chain's registry domain (422
``invalid_signature``: another signer, another chain or registry, other contents; a contract
wallet is asked through ERC-1271). The signature is checked first, so nothing about the counted
ballot is told to anyone but its signer. The same signed ballot sent again is answered with its
receipt.
"""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import validation
from issuer.corporate.merkle import MerkleTree
from issuer.db import utcnow
from issuer.errors import IssuerError, conflict, invalid, not_found
from issuer.models import Ballot, Meeting, MeetingEntitlement
from issuer.operations import audit
from issuer.service import Issuer
from issuer.voting import ballot as typed
from servicekit import logs

LOG = logs.get("issuer.voting")
#: The longest signature accepted (an ERC-1271 wallet may use more than 65 bytes).
MAX_SIGNATURE = 2048


def meeting(db: Session, meeting_id: str) -> Meeting:
    row = db.get(Meeting, meeting_id)
    if row is None:
        raise not_found("meeting", meeting_id)
    return row


def entitlements(db: Session, meeting_id: str) -> dict[str, int]:
    return {e.holder: e.units for e in db.scalars(select(MeetingEntitlement).where(
        MeetingEntitlement.meeting_id == meeting_id))}


#: Until the tally, who voted and how often they changed is the holder's own business.
BEFORE_TALLY = ("announced", "publishing", "open")
#: The longest a signed read request stays valid.
READ_VALIDITY = 600


def voter(issuer: Issuer, db: Session, meeting_id: str, wallet: str, *,
          read_signature: str | None = None, read_expires: str | None = None
          ) -> dict[str, Any]:
    """A holder's entitlement with its Merkle proof, the typed data to sign, and the next nonce:
    until the tally only to the holder itself, on a request it signed (``read_request``: the
    expiry, at most :data:`READ_VALIDITY` seconds ahead, and the signature; refused 401
    ``invalid_signature`` when given and wrong), and to anyone after it."""
    row = meeting(db, meeting_id)
    wallet = to_checksum_address(validation.require_address(wallet, "wallet"))
    held = entitlements(db, meeting_id)
    if wallet not in held:
        raise IssuerError(404, "not_holder_of_record",
                          f"{wallet} held no {row.symbol} at the record date of {meeting_id}")
    registry = issuer.chain.contract("ProxyVoteRegistry").address
    shown = row.status not in BEFORE_TALLY
    if read_signature is not None or read_expires is not None:
        _check_read(issuer, meeting_id, wallet, read_signature, read_expires)
        shown = True
    current = _counted(db, meeting_id, wallet) if shown else None
    nonce = ((current.nonce + 1) if current else 1) if shown else None
    template = typed.typed_data(chain_id=issuer.chain.chain_id, registry=registry,
                                meeting_id=meeting_id, voter=wallet, votes=[], nonce=nonce)
    return {"meeting_id": meeting_id, "wallet": wallet, "units": held[wallet],
            "shares": _shares(held[wallet]), "record_block": row.record_block,
            "root": row.root, "proof": ["0x" + p.hex() for p in MerkleTree(held).proof(wallet)],
            "deadline": row.deadline, "next_nonce": nonce,
            # what a holder signs to read its next nonce before the tally (expires: Unix time)
            "read_request": typed.read_request(chain_id=issuer.chain.chain_id,
                                               registry=registry, meeting_id=meeting_id,
                                               voter=wallet, expires=0) | {"message": {
                                                   "meeting": "0x" + typed.meeting_key(
                                                       meeting_id).hex(),
                                                   "voter": wallet, "expires": None}},
            # what to sign: this domain and types, message {meeting, voter, votes, nonce}
            # (shares in 1e-9 units)
            "typed_data": {"types": template["types"], "primaryType": "Ballot",
                           "domain": template["domain"],
                           "message": {"meeting": "0x" + typed.meeting_key(meeting_id).hex(),
                                       "voter": wallet, "votes": [], "nonce": nonce}},
            "proposals": row.proposals}


def submit(issuer: Issuer, db: Session, meeting_id: str, *, voter_address: str, nonce: int,
           votes: list[tuple[str, str, str]], signature: str) -> Ballot:
    """Check and count a ballot (the module's docstring lists the refusals)."""
    row = meeting(db, meeting_id)
    wallet = to_checksum_address(validation.require_address(voter_address, "voter"))
    units = _units(row, votes)
    if row.status != "open":
        raise conflict("voting_not_open", f"meeting {meeting_id} is {row.status}: ballots are "
                       "taken while it is open")
    now = issuer.broker.clock().now
    if now >= row.deadline:
        raise conflict("deadline_passed", f"ballots closed at {row.deadline.isoformat()}")
    held = entitlements(db, meeting_id).get(wallet)
    if held is None:
        raise IssuerError(403, "not_holder_of_record",
                          f"{wallet} held no {row.symbol} at the record date")
    for proposal in {p for p, _c, _u in units}:
        asked = sum(u for p, _c, u in units if p == proposal)
        if asked > held:
            raise invalid("over_entitlement", f"proposal {proposal}: {_shares(asked)} shares "
                          f"voted, {_shares(held)} held at the record date")
    current = _counted(db, meeting_id, wallet)
    digest = typed.digest(typed.typed_data(
        chain_id=issuer.chain.chain_id,
        registry=issuer.chain.contract("ProxyVoteRegistry").address, meeting_id=meeting_id,
        voter=wallet, votes=units, nonce=nonce))
    # the signature before anything that depends on the counted ballot: answered otherwise,
    # the repeat shortcut and the stale-nonce refusal would tell anyone how a holder voted
    raw_signature = _signature(signature)
    if not issuer.chain.vote_signature_valid(wallet, digest, raw_signature):
        raise invalid("invalid_signature", f"not {wallet}'s signature over this ballot (chain "
                      f"{issuer.chain.chain_id}, registry {issuer.chain.vote_registry_address})"
                      ": another signer, chain or contents")
    if current is not None and current.nonce == nonce and current.digest == "0x" + digest.hex():
        return current   # the same ballot again, signed by the voter
    if current is not None and nonce <= current.nonce:
        raise conflict("stale_nonce", f"nonce {nonce}: the counted ballot has nonce "
                       f"{current.nonce}; a new ballot takes a higher one")
    if current is not None:
        current.status = "replaced"
    row.updated_at = utcnow()   # concurrent ballots of one meeting: one wins, the other retries
    ballot = Ballot(meeting_id=meeting_id, voter=wallet, nonce=nonce,
                    votes=[list(v) for v in units], digest="0x" + digest.hex(),
                    signature="0x" + raw_signature.hex(), status="counted", created_at=utcnow())
    db.add(ballot)
    db.flush()
    audit(db, wallet, "ballot.counted", meeting_id, ballot_id=ballot.id, nonce=nonce,
          digest=ballot.digest, replaced=current.id if current else None)
    LOG.info("ballot.counted", meeting_id=meeting_id, ballot_id=ballot.id, voter=wallet,
             nonce=nonce, replaced=current.id if current else None)
    return ballot


def _check_read(issuer: Issuer, meeting_id: str, wallet: str, signature: str | None,
                expires: str | None) -> None:
    """A holder's signed read request: refused unless it is the wallet's signature (ECDSA, or
    ERC-1271 through the registry) over ``read_request`` with an expiry in the next
    :data:`READ_VALIDITY` seconds."""
    if signature is None or expires is None or not expires.isascii() or not expires.isdigit() \
            or len(expires) > 12:
        raise IssuerError(401, "invalid_signature", "a signed read sends X-Voter-Expires (Unix "
                          "seconds) and X-Voter-Signature together")
    now = int(time.time())
    if not now < int(expires) <= now + READ_VALIDITY:
        raise IssuerError(401, "invalid_signature", f"X-Voter-Expires is in the past or more "
                          f"than {READ_VALIDITY} s ahead")
    raw_signature = _signature(signature)
    message = typed.read_request(chain_id=issuer.chain.chain_id,
                                 registry=issuer.chain.vote_registry_address,
                                 meeting_id=meeting_id, voter=wallet, expires=int(expires))
    if not issuer.chain.vote_signature_valid(wallet, typed.digest(message), raw_signature):
        raise IssuerError(401, "invalid_signature", f"not {wallet}'s signature over its read "
                          "request")


def receipt(db: Session, meeting_id: str, ballot_id: str) -> dict[str, Any]:
    """A ballot as counted: its votes, digest and status, and (once instructed) the
    instruction it went into."""
    row = meeting(db, meeting_id)
    found = db.get(Ballot, ballot_id)
    if found is None or found.meeting_id != meeting_id:
        raise not_found("ballot", ballot_id)
    return {"ballot_id": found.id, "meeting_id": meeting_id, "voter": found.voter,
            "nonce": found.nonce, "status": found.status, "digest": found.digest,
            "votes": [{"proposal": p, "choice": c, "shares": _shares(int(u))}
                      for p, c, u in found.votes],
            "counted_at": found.created_at,
            "instruction_hash": row.instruction_hash if found.status == "counted" else None,
            "meeting_status": row.status}


def _counted(db: Session, meeting_id: str, wallet: str) -> Ballot | None:
    return db.scalar(select(Ballot).where(Ballot.meeting_id == meeting_id,
                                          Ballot.voter == wallet, Ballot.status == "counted"))


def _units(row: Meeting, votes: list[tuple[str, str, str]]) -> list[tuple[str, str, int]]:
    proposals = {p["id"]: p for p in row.proposals}
    out = []
    for proposal, choice, shares in votes:
        if proposal not in proposals:
            raise invalid("unknown_proposal", f"meeting {row.id} has no proposal {proposal!r}")
        if choice not in proposals[proposal]["choices"]:
            raise invalid("invalid_choice", f"proposal {proposal}: {choice!r} is not one of "
                          + ", ".join(proposals[proposal]["choices"]))
        try:
            units = typed.to_units(Decimal(shares))
        except (InvalidOperation, ValueError):
            raise invalid("invalid_shares", f"{shares!r}: shares are a positive decimal with "
                          "at most 9 places") from None
        if units <= 0:
            raise invalid("invalid_shares", "shares are positive")
        out.append((proposal, choice, units))
    if not out:
        raise invalid("empty_ballot", "a ballot votes on one proposal or more")
    return out


def _signature(text: str) -> bytes:
    body = text.removeprefix("0x")
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        raise invalid("invalid_signature", "the signature is hex") from None
    if not raw or len(raw) > MAX_SIGNATURE:
        raise invalid("invalid_signature", f"a signature is 1 to {MAX_SIGNATURE} bytes")
    return raw


_shares = typed.shares_text


def _counted_ballots(db: Session, meeting_id: str) -> list[Ballot]:
    return list(db.scalars(select(Ballot).where(
        Ballot.meeting_id == meeting_id, Ballot.status == "counted").order_by(Ballot.voter)))


def _counted_tree(counted: list[Ballot]) -> MerkleTree | None:
    """The counted ballots as OpenZeppelin's standard tree of ``(voter, uint256(digest))``."""
    return MerkleTree({b.voter: int(b.digest, 16) for b in counted}) if counted else None


def counted_root(db: Session, meeting_id: str) -> str | None:
    """The Merkle root of the counted ballots (None when there is none)."""
    tree = _counted_tree(_counted_ballots(db, meeting_id))
    return None if tree is None else "0x" + tree.root.hex()


def counted_set(db: Session, meeting_id: str) -> dict[str, Any]:
    """Every counted ballot, as signed, with its proof against the root recorded beside the
    tally: anyone recounts the tally and a holder proves its ballot is in it. Served after the
    holders' deadline only (409 ``voting_open`` before: a running vote's ballots are private)."""
    row = meeting(db, meeting_id)
    if row.status in BEFORE_TALLY:
        raise conflict("voting_open", f"meeting {meeting_id} is {row.status}: the counted "
                       "ballots are published once the holders' deadline has passed")
    counted = _counted_ballots(db, meeting_id)
    tree = _counted_tree(counted)
    return {"meeting_id": meeting_id, "count": len(counted),
            "root": None if tree is None else "0x" + tree.root.hex(),
            "ballots": [{"ballot_id": b.id, "voter": b.voter, "nonce": b.nonce,
                         "votes": [{"proposal": p, "choice": c, "shares": _shares(int(u))}
                                   for p, c, u in b.votes],
                         "digest": b.digest, "signature": b.signature,
                         "proof": ["0x" + p.hex() for p in tree.proof(b.voter)] if tree else []}
                        for b in counted]}


def counted_units(db: Session, row: Meeting) -> tuple[dict[str, dict[str, int]], int]:
    """Per proposal, the 1e-9 share units the counted ballots put on each of its choices
    (every choice, 0 when nobody chose it), and how many ballots are counted."""
    counted = list(db.scalars(select(Ballot).where(Ballot.meeting_id == row.id,
                                                   Ballot.status == "counted")))
    units = {p["id"]: dict.fromkeys(p["choices"], 0) for p in row.proposals}
    for ballot in counted:
        for proposal, choice, value in ballot.votes:
            if proposal in units and choice in units[proposal]:
                units[proposal][choice] += int(value)
    return units, len(counted)


def set_policy(issuer: Issuer, db: Session, meeting_id: str, policy: str,
               actor: str) -> Meeting:
    """What the instruction does with the shares of holders who did not vote: ``unvoted`` or
    ``board``; set before the holders' deadline, in the audit trail, never silently."""
    row = meeting(db, meeting_id)
    if row.status not in ("announced", "publishing", "open") or \
            issuer.broker.clock().now >= row.deadline:
        raise conflict("deadline_passed", f"meeting {meeting_id} is {row.status}: the "
                       "policy is set before the holders' deadline")
    before, row.unvoted_policy = row.unvoted_policy, policy
    audit(db, actor, "meeting.policy", meeting_id, policy=policy, before=before)
    db.flush()
    return row


def running_tally(db: Session, row: Meeting) -> dict[str, Any]:
    """Per proposal, the shares the counted ballots put on each choice, and how many holders
    of record and entitled shares have not voted."""
    holders = entitlements(db, row.id)
    held = sum(holders.values())
    units, ballots = counted_units(db, row)
    proposals = [{"id": pid, "choices": {c: _shares(u) for c, u in per.items()},
                  "voted": _shares(sum(per.values())),
                  "not_voted": _shares(held - sum(per.values()))}
                 for pid, per in units.items()]
    return {"meeting_id": row.id, "status": row.status,
            "holders_of_record": len(holders),
            "ballots": ballots, "entitled_shares": _shares(held),
            "proposals": proposals, "instruction": row.instruction,
            "instruction_hash": row.instruction_hash, "results": row.results}
