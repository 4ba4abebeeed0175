"""The issuer's chain steps against the in-memory chain (:mod:`issuer.chain_fake`) and broker
(:mod:`issuer.broker.fake`): the real lifecycle code, the real outbox (signed and stored before
it is sent), an in-memory SQLite database; no node, no broker process. A creation and a
tokenization mint run to ``completed`` here; the integration suites run the same steps on anvil
against the real contracts.

Dates: Friday 2024-10-11 is the trade date; Monday 2024-10-14 is Columbus Day (NYSE trades,
banks are closed), so T+1 is Tuesday 2024-10-15."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from issuer import controls
from issuer.broker.fake import FakeBroker
from issuer.broker.types import Announcement, TokenizationRequest
from issuer.chain import ChainError
from issuer.chain_fake import FakeChain
from issuer.corporate import discovery, schedule
from issuer.corporate import steps as corporate_steps
from issuer.db import Base, make_engine, make_sessionmaker, utcnow
from issuer.leases import Claims
from issuer.lifecycle import creations, itn
from issuer.models import (
    AuditEntry,
    ChainTx,
    CorporateAction,
    Creation,
    ItnRequest,
    Participant,
)
from issuer.units import ONE

D = Decimal
FRIDAY = dt.datetime(2024, 10, 11, 15, 0, tzinfo=dt.UTC)           # 11:00 New York
TUESDAY = FRIDAY + dt.timedelta(days=4)
CUSTODY, AP, WALLET = "custody", "ap", "0x" + "1" * 40


@pytest.fixture
def engine():
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine):
    with make_sessionmaker(engine)() as session:
        session.add(Participant(id="p1", name="AP", broker_account_id=AP, wallet=WALLET,
                                created_at=utcnow()))
        session.flush()
        yield session


@pytest.fixture
def broker():
    fake = FakeBroker(FRIDAY, prices={"AAPL": D(200)})
    fake.open_account(CUSTODY, cash=D(0))
    fake.open_account(AP, cash=D(100_000), shares={"AAPL": D(50)})
    return fake


@pytest.fixture
def chain():
    return FakeChain(("AAPL",))


@pytest.fixture
def issuer(broker, chain, engine):
    settings = SimpleNamespace(broker_account_id=CUSTODY, mint_policy="on_settlement",
                               unsettled_cap=D(0), pays_stablecoin=lambda _symbol: False,
                               mint_batch_max=1)
    return SimpleNamespace(settings=settings, broker=broker, chain=chain,
                           claims=Claims(engine))


def settled_creation(issuer, broker, db, qty: str = "10") -> Creation:
    """A cash creation bought on Friday and settled on Tuesday (the fast layer of
    ``test_lifecycle_fast`` covers those steps)."""
    now = utcnow()
    row = Creation(id="c1", symbol="AAPL", participant_id="p1", kind="cash", qty=D(qty),
                   status="requested", wallet=WALLET, created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    creations.step(issuer, db, row)
    broker.fill(row.broker_order_id)
    creations.step(issuer, db, row)
    for journal_id, (journal, _) in list(broker.journals.items()):
        if journal.status == "queued":
            broker.set_journal(journal_id, "executed")
    broker.set_time(TUESDAY)
    creations.step(issuer, db, row)
    assert row.status == "settled"
    return row


def trail(db, subject: str) -> list[str]:
    return [a.action for a in db.scalars(select(AuditEntry).where(
        AuditEntry.subject == subject).order_by(AuditEntry.id))]


# ----------------------------------------------------------------------------- creations


def test_a_creation_attests_custody_then_mints_and_completes(issuer, broker, chain, db):
    row = settled_creation(issuer, broker, db)
    creations.step(issuer, db, row)
    # custody holds 10 settled shares: attested as 10 * 10^18, nothing pending
    assert chain.reserve_round("AAPL")[:3] == (1, 10 * ONE, 0)
    assert row.status == "minting"
    creations.step(issuer, db, row)
    # 10 shares at multiplier 1.0: 10 * 10^18 raw to the participant's wallet
    assert (row.status, row.mint_raw) == ("completed", str(10 * ONE))
    assert chain.balance("AAPL", WALLET) == chain.total_supply("AAPL") == 10 * ONE
    assert trail(db, "c1")[-3:] == ["creation.settled", "creation.minting",
                                    "creation.completed"]
    keys = [t.key for t in db.scalars(select(ChainTx).order_by(ChainTx.id))]
    assert keys == ["attest:creation:c1", "mint:creation:c1"]
    assert [(f, e) for _, f, _, e in chain.history] == [("attest", None), ("mint", None)]


def test_a_mint_sent_before_a_crash_is_not_sent_twice(issuer, broker, chain, db):
    row = settled_creation(issuer, broker, db)
    creations.step(issuer, db, row)
    chain.auto_mine = False
    creations.step(issuer, db, row)
    # the mint was stored, then sent; the node has not mined it when the worker dies
    assert row.status == "minting" and len(chain.mempool) == 1
    db.rollback()
    creations.step(issuer, db, row)        # the next worker sends the same bytes again
    chain.mine()
    creations.step(issuer, db, row)
    assert row.status == "completed"
    assert chain.total_supply("AAPL") == 10 * ONE
    assert [f for _, f, _, _ in chain.history].count("mint") == 1


def test_a_mint_the_reserve_refuses_is_attested_again_then_halts(issuer, broker, chain, db):
    row = settled_creation(issuer, broker, db)
    creations.step(issuer, db, row)
    row.mint_raw = str(12 * ONE)       # more than the 10 custody holds: the guard refuses it
    for _ in range(12):
        creations.step(issuer, db, row)
        if row.status == "halted":
            break
    # ReserveExceeded, custody attested again up to RESERVE_ROUNDS (3) times, then halted
    assert row.status == "halted" and row.reserve_round == creations.RESERVE_ROUNDS
    assert "ReserveExceeded" in (row.status_reason or "")
    assert chain.total_supply("AAPL") == 0


def test_an_attestation_below_the_supply_already_minted_is_never_sent(issuer, broker, chain,
                                                                     db):
    row = settled_creation(issuer, broker, db)
    chain.token("AAPL").supply = 11 * ONE   # minted elsewhere: more than custody's 10
    creations.step(issuer, db, row)
    assert row.status == "settled"
    assert "below the supply already minted" in (row.status_reason or "")
    assert chain.history == []


def test_a_paused_token_holds_a_new_creation(issuer, chain, db):
    chain.token("AAPL").paused = True
    now = utcnow()
    row = Creation(id="c2", symbol="AAPL", participant_id="p1", kind="cash", qty=D(1),
                   status="requested", wallet=WALLET, created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    creations.step(issuer, db, row)
    assert (row.status, row.status_reason) == ("requested", "waiting: the AAPL token is paused")


# ----------------------------------------------------------------------------- tokenization


def confirmed_itn(broker, db, qty: str = "3") -> ItnRequest:
    """A tokenization mint the broker confirmed: its shares already journaled into custody."""
    broker.open_account(CUSTODY, cash=D(0), shares={"AAPL": D(qty)})
    broker.set_time(TUESDAY)
    request = TokenizationRequest(
        tokenization_request_id="tr-1", type="mint", status="pending", underlying_symbol="AAPL",
        token_symbol="AAPLx", qty=D(qty), network="ethereum", wallet_address=WALLET,
        issuer_request_id="ir-1", created_at=FRIDAY, updated_at=FRIDAY)
    broker.tokenizations["tr-1"] = request
    now = utcnow()
    row = ItnRequest(id="i1", type="mint", status="confirmed", tokenization_request_id="tr-1",
                     issuer_request_id="ir-1", participant_id="p1", symbol="AAPL",
                     token_symbol="AAPLx", network="ethereum", qty=D(qty), wallet=WALLET,
                     created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    return row


def test_a_tokenization_mint_runs_from_confirmed_to_completed(issuer, broker, chain, db):
    row = confirmed_itn(broker, db)
    itn.step(issuer, db, row)
    # attested (3 settled shares), minted 3 * 10^18 raw, the broker told of the mint's hash
    assert row.status == "completed" and row.raw == str(3 * ONE)
    assert chain.balance("AAPL", WALLET) == 3 * ONE
    assert broker.tokenizations["tr-1"].status == "completed"
    assert broker.tokenizations["tr-1"].tx_hash == row.tx_hash
    assert trail(db, "i1") == ["itn_mint.minting", "itn_mint.minted", "itn_mint.completed"]


def test_a_tokenization_mint_to_an_unverified_wallet_is_refused_not_sent(issuer, broker,
                                                                          chain, db):
    row = confirmed_itn(broker, db)
    chain.unverified.add(WALLET)
    itn.step(issuer, db, row)
    assert row.status not in ("minted", "completed")
    assert chain.total_supply("AAPL") == 0
    assert [f for _, f, _, _ in chain.history] == ["attest"]


# ----------------------------------------------------------------------------- the fake's rules


def test_every_error_the_fake_chain_raises_is_one_the_contracts_declare():
    """The fake refuses with the contracts' own error names (read from the compiled ABIs), so a
    lifecycle that reads an error name reads the same one on anvil."""
    source = Path(__file__).parents[2] / "issuer" / "chain_fake.py"
    named = set()
    for part in source.read_text().split('ChainError("')[1:]:
        named.add(part.split('"', 1)[0])
    declared = set()
    for artifact in (Path(__file__).parents[2] / "build" / "contracts").glob("*.json"):
        for item in json.loads(artifact.read_text()).get("abi", []):
            if item.get("type") == "error":
                declared.add(item["name"])
    assert declared, "no compiled contracts: run make build"
    assert named - declared <= {"reverted"}, named - declared


def test_the_fake_chain_refuses_a_mint_without_an_attestation(chain):
    call = chain.calls.mint("AAPL", WALLET, 1)
    with pytest.raises(ChainError) as refused:
        chain.prepare(call, chain.signers["supply"].address)
    assert refused.value.name == "ReserveFeedUnusable"
    with pytest.raises(ChainError) as wrong_role:
        chain.prepare(call, chain.signers["reserve"].address)
    assert wrong_role.value.name == "AccessControlUnauthorizedAccount"


# ----------------------------------------------------------------------------- a dividend


def scheduled_dividend(issuer, broker, chain, db) -> CorporateAction:
    """10 tokens backed by 10 settled shares; a $1.00 dividend (record Tue 15 Oct, paid Wed 16
    Oct) is reinvested at $200: 10.00 / 200 = 0.05 shares, so M1 = 1 * (1 + 0.05 / 10) =
    1.005 (10^18 * 1.005 = 1_005_000_000_000_000_000), which 10.05 settled shares cover
    exactly."""
    row = settled_creation(issuer, broker, db)
    creations.step(issuer, db, row)
    creations.step(issuer, db, row)
    assert row.status == "completed"
    issuer.settings.redemption_wallet, issuer.settings.ca_notice_seconds = "", 3_660
    broker.announce(Announcement(
        id="a1", corporate_action_id="ca-1", ca_type="dividend", ca_sub_type="cash",
        initiating_symbol="AAPL", ex_date=dt.date(2024, 10, 15),
        record_date=dt.date(2024, 10, 15), payable_date=dt.date(2024, 10, 16), cash=D(1),
        old_rate=D(1), new_rate=D(1)))
    [action] = discovery.discover(issuer, db)
    assert action.status == "announced"
    broker.set_time(TUESDAY + dt.timedelta(days=1))            # Wednesday: record date past
    corporate_steps.step(issuer, db, action)
    assert (action.status, action.entitled, action.m0) == ("recorded", D(10), str(ONE))
    broker._log("DIV", CUSTODY, qty=D(10), net_amount=D(10), symbol="AAPL",
                corporate_action_id="ca-1")
    corporate_steps.step(issuer, db, action)
    assert (action.status, action.net) == ("paid", D(10))
    corporate_steps.step(issuer, db, action)
    assert action.status == "reinvesting"
    broker.fill(action.order_id)                          # 10.00 / 200 = 0.05
    broker.set_time(TUESDAY + dt.timedelta(days=2))            # Thursday: the buy settled
    corporate_steps.step(issuer, db, action)
    assert (action.status, action.m1) == ("proposed", str(1_005 * 10 ** 15))
    approval = controls.request_apply(db, action, "maker")
    schedule.on_decision(db, approval, True)
    assert action.status == "approved"
    corporate_steps.step(issuer, db, action)
    # custody attested again (10.05 settled), then the change scheduled 61 minutes ahead
    # (the token asks for 60)
    assert action.status == "scheduled"
    assert chain.reserve_round("AAPL")[1] == 10_050_000_000_000_000_000
    assert chain.pending_multiplier("AAPL") == (1_005 * 10 ** 15, action.effective_at)
    return action


def test_a_reinvested_dividend_runs_from_announced_to_completed(issuer, broker, chain, db):
    action = scheduled_dividend(issuer, broker, chain, db)
    corporate_steps.step(issuer, db, action)
    assert action.status == "scheduled"               # not in force before its time
    chain.advance(3_660)
    corporate_steps.step(issuer, db, action)
    assert action.status == "completed" and chain.multiplier("AAPL") == 1_005 * 10 ** 15
    # the 10 tokens are now worth 10.05 shares, exactly what custody holds
    assert action.residue == 0


def test_a_completed_dividend_still_hashes_to_the_reference_it_was_scheduled_with(
        issuer, broker, chain, db):
    """The schedule's ``ref`` is the hash of the record's figures when it was sent; a supply
    that moved before completion (an agent's burn outside the issuer) must not rewrite them:
    the completion supply is a figure of its own."""
    action = scheduled_dividend(issuer, broker, chain, db)
    [(_, _, args, _)] = [h for h in chain.history if h[1] == "scheduleMultiplier"]
    assert schedule.reference(action) == args[4]
    chain.token("AAPL").supply -= ONE                 # burned outside the issuer
    chain.token("AAPL").balances[WALLET] -= ONE
    chain.advance(3_660)
    corporate_steps.step(issuer, db, action)
    assert action.status == "completed"
    assert schedule.reference(action) == args[4]
    assert (action.supply_raw, action.final_supply_raw) == (str(10 * ONE), str(9 * ONE))
