"""The one reading of a chain step's outcome (issue 29) and the typed statuses, without a
chain: what the outbox answers becomes Done, Waiting or Refused with the contracts' error name,
``advance`` moves a row on it, and ``move`` refuses a status its machine does not have."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy
from sqlalchemy.orm import Session

from issuer.chain import ChainError
from issuer.lifecycle.common import (
    Done,
    Refused,
    Waiting,
    advance,
    move,
    outcome_of,
    reserve_refusal,
)
from issuer.models import AuditEntry, ChainTx, Creation, Participant
from issuer.statuses import FINAL_CREATIONS, OPEN_CREATIONS, CreationStatus

NOW = dt.datetime(2024, 10, 11, 14, tzinfo=dt.UTC)


def tx(status: str, error: str | None = None) -> ChainTx:
    return ChainTx(key="mint:creation:1", attempt=1, tx_hash="0x" + "ab" * 32, status=status,
                   block_number=7 if status in ("mined", "reverted") else None, error=error)


@pytest.fixture
def db(migrated_db: Session) -> Session:
    return migrated_db


@pytest.fixture
def creation(db: Session) -> Creation:
    db.add(Participant(id="p", name="AP", broker_account_id="a", wallet="0x" + "1" * 40,
                       created_at=NOW))
    db.flush()   # the participant first (PostgreSQL checks the foreign key at once)
    row = Creation(symbol="AAPL", participant_id="p", kind="cash", qty=Decimal(1),
                   status="settled", wallet="0x" + "1" * 40, created_at=NOW, updated_at=NOW)
    db.add(row)
    db.flush()
    return row


def test_what_the_outbox_answers_is_one_of_three_outcomes():
    mined = tx("mined")
    assert outcome_of(mined) == Done(mined)
    waiting = outcome_of(tx("sent"), "the mint")
    assert isinstance(waiting, Waiting) and waiting.tx is not None
    assert waiting.reason == f"waiting: the mint {'0x' + 'ab' * 32} sent"
    reverted = outcome_of(tx("reverted", "ReserveExceeded reserve exceeded"))
    assert isinstance(reverted, Refused) and reverted.error == "ReserveExceeded"
    assert reverted.tx is not None and "reverted" in reverted.detail
    silent = tx("reverted", None)
    assert outcome_of(silent) == Refused(
        "reverted", f"transaction {'0x' + 'ab' * 32} reverted: None", silent)
    refused = outcome_of(ChainError("ReceiverNotVerified", "no identity"))
    assert isinstance(refused, Refused) and refused.tx is None
    assert refused.error == "ReceiverNotVerified"
    # an attestation below the supply is not sent, for now: a wait, not a refusal
    assert outcome_of(ChainError("AttestationBelowSupply", "custody is behind")) == Waiting(
        "waiting: custody is behind")
    assert reserve_refusal(tx("reverted", "ReserveAttestationStale")) == \
        "ReserveAttestationStale"
    assert reserve_refusal(ChainError("ReceiverNotVerified", "")) is None


def test_advance_moves_the_row_once_per_outcome_and_audits_the_error(db, creation):
    assert advance(db, creation, outcome_of(tx("sent")), done="minting",
                   waiting="attesting") is None
    assert creation.status == "attesting"                     # in flight: the waiting status
    advance(db, creation, outcome_of(tx("sent")), done="minting", waiting="attesting")
    assert creation.status == "attesting" and creation.status_reason.startswith("waiting:")
    mined = advance(db, creation, outcome_of(tx("mined")), done="minting")
    assert mined is not None and creation.status == "minting"
    advance(db, creation, outcome_of(tx("reverted", "ReserveExceeded")), done="completed")
    assert creation.status == "halted"
    lines = db.scalars(sqlalchemy.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in lines] == ["creation.attesting", "creation.minting",
                                         "creation.halted"]
    assert lines[1].detail["tx"] == "0x" + "ab" * 32 and lines[1].detail["block"] == 7
    assert lines[2].detail["error"] == "ReserveExceeded"


def test_a_status_the_machine_does_not_have_is_refused(db, creation):
    with pytest.raises(ValueError):
        move(db, creation, "minted")   # an ITN status, not a creation's
    assert creation.status == "settled"
    move(db, creation, CreationStatus.MINTING, actor="alice")
    assert creation.status == "minting" and type(creation.status) is str
    entry = db.scalars(sqlalchemy.select(AuditEntry)).one()
    assert entry.actor == "alice"


def test_every_creation_status_is_open_final_or_waits_for_an_operator():
    everything = set(CreationStatus)
    assert set(OPEN_CREATIONS) | set(FINAL_CREATIONS) | {"awaiting_approval"} == everything
    assert not set(OPEN_CREATIONS) & set(FINAL_CREATIONS)


def test_every_status_a_step_moves_to_is_in_its_machine():
    """Each literal status of a ``move`` in the issuer's code is a member of some machine (a
    status missing from its enum would make that step raise)."""
    import re
    from pathlib import Path

    from issuer import statuses

    known = {m.value for machine in (statuses.CreationStatus, statuses.RedemptionStatus,
                                     statuses.InvestorStatus, statuses.ItnStatus,
                                     statuses.CorporateActionStatus, statuses.MeetingStatus,
                                     statuses.ApprovalStatus)
             for m in machine}
    root = Path(statuses.__file__).parent
    pattern = re.compile(r'move\(db, \w+, "(\w+)"|(?:done|waiting|refused|next_status)="(\w+)"'
                         r'|_outcome\(db, \w+, \w+, "(\w+)"')
    used = {name for path in root.rglob("*.py")
            for found in pattern.findall(path.read_text()) for name in found if name}
    assert used and used <= known, used - known
