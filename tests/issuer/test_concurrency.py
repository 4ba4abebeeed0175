"""Every maker-checker path and every idempotent write under real concurrent HTTP requests, and
the optimistic lock that keeps an operator's request from overwriting the worker's step.

Each race sends its requests at once from one thread each. Requests with *different*
Idempotency-Keys must still change a record once (one 2xx, the others a stable 409); requests
with the *same* key must have one effect and give every caller the same answer. Runs on SQLite
and on PostgreSQL (``ISSUER_TEST_DATABASE=postgresql``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from issuer import operations
from issuer.db import utcnow
from issuer.lifecycle.common import move
from issuer.models import (
    ApiKey,
    Approval,
    AuditEntry,
    ChainTx,
    Creation,
    Investor,
    Participant,
    SymbolHalt,
)
from tests.issuer.test_corporate_actions import DAY, action, mint_100
from tests.issuer.test_dual_control import audit_count, race

RACERS = 8


def codes(answers) -> list[int]:
    return sorted(a.status_code for a in answers)


def losers_say(answers, *allowed: str) -> None:
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] in allowed, answer.text


def count(stack, model, *where) -> int:
    with stack.issuer.session() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def proposed_split(stack) -> str:
    """A 2:1 split picked up by the worker: proposed, waiting for an operator."""
    mint_100(stack)
    split = stack.broker.announce(ca_type="split", ca_sub_type="stock_split",
                                  initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                  ex_date=DAY(2024, 10, 18), old_rate=1, new_rate=2)
    stack.run()
    row = action(stack, split.corporate_action_id)
    assert row.status == "proposed"
    return row.id


# --- maker-checker: the multiplier change ------------------------------------------------------

def test_parallel_applies_open_one_approval(stack, api):
    action_id = proposed_split(stack)
    answers = race([lambda: api["ops"].post(f"/v1/corporate-actions/{action_id}/apply")]
                   * RACERS)
    assert codes(answers) == [202] + [409] * (RACERS - 1), [a.text for a in answers]
    losers_say(answers, "corporate_action_not_proposed", "concurrent_update")
    assert count(stack, Approval, Approval.action == "multiplier_change") == 1


def test_parallel_approvals_schedule_a_multiplier_change_once(stack, api):
    action_id = proposed_split(stack)
    asked = api["ops"].post(f"/v1/corporate-actions/{action_id}/apply")
    assert asked.status_code == 202, asked.text
    approval_id = asked.json()["id"]
    calls = [lambda: api["ops2"].post(f"/v1/approvals/{approval_id}/approve"),
             lambda: api["ops2"].post(f"/v1/approvals/{approval_id}/reject")] * (RACERS // 2)
    answers = race(calls)
    assert codes(answers) == [200] + [409] * (RACERS - 1), [a.text for a in answers]
    losers_say(answers, "approval_decided")
    final = next(a for a in answers if a.status_code == 200).json()["status"]
    stack.run()
    row = action(stack, stack_ca_id(stack, action_id))
    decided = count(stack, AuditEntry, AuditEntry.subject == approval_id,
                    AuditEntry.action.like("approval.%.multiplier_change"),
                    AuditEntry.action != "approval.request.multiplier_change")
    assert decided == 1
    schedules = count(stack, ChainTx, ChainTx.key.like(f"ca:{action_id}:%"))
    if final == "approved":
        assert row.status in ("scheduled", "completed") and schedules >= 1
    else:
        assert row.status != "scheduled" and schedules == 0


def stack_ca_id(stack, action_id: str) -> str:
    from issuer.models import CorporateAction

    with stack.issuer.session() as db:
        return db.get(CorporateAction, action_id).corporate_action_id


# --- state changes asked for with different keys: one wins -------------------------------------

def test_parallel_cancels_cancel_a_creation_once(stack, api):
    body = {"participant_id": stack.participant_id, "symbol": "AAPL", "qty": "2"}
    creation_id = api["ops"].post("/v1/creations", body).json()["id"]
    answers = race([lambda: api["ops"].post(f"/v1/creations/{creation_id}/cancel")] * RACERS)
    assert codes(answers) == [200] + [409] * (RACERS - 1), [a.text for a in answers]
    losers_say(answers, "not_cancelable", "concurrent_update")
    assert audit_count(stack, "creation.cancel", creation_id) == 1
    assert stack.creation(creation_id).status == "canceled"


def test_a_cancel_from_a_stale_read_cannot_overwrite_the_workers_step(stack):
    """The operator's request read the creation as ``requested``; the worker then sent it to
    the broker. Without the row version the cancel overwrote ``ordered`` and the order stayed
    live at the broker with nobody to mint for it."""
    creation_id = stack.create("1")
    with stack.issuer.session() as request_db:
        seen = request_db.get(Creation, creation_id)  # the request's read, held (stale soon)
        assert seen.status == "requested"
        with stack.issuer.session() as worker_db:
            move(worker_db, worker_db.get(Creation, creation_id), "ordered", "worker step")
        with pytest.raises(StaleDataError):
            operations.cancel_creation(request_db, creation_id, "operator")
            request_db.flush()
        request_db.rollback()  # as the API's transaction does
    assert stack.creation(creation_id).status == "ordered"
    assert audit_count(stack, "creation.cancel", creation_id) == 0


def test_a_worker_step_from_a_stale_read_is_dropped_and_retried(stack, monkeypatch):
    """The other way round: the worker read a creation, an operator canceled it, the worker's
    step must not revive it (it rolls back; the next pass sees ``canceled``)."""
    from issuer import worker
    from issuer.lifecycle import creations

    creation_id = stack.create("1")
    real_step = creations.step

    def step_after_a_cancel(issuer, db, row):
        if row.id == creation_id and row.status == "requested":
            with issuer.session() as other:
                operations.cancel_creation(other, creation_id, "operator")
        real_step(issuer, db, row)

    monkeypatch.setattr(creations, "step", step_after_a_cancel)
    worker.run_once(stack.issuer)
    assert stack.creation(creation_id).status == "canceled"
    assert all(o.client_order_id != creation_id
               for o in stack.broker.orders(stack.custody_account))


def test_parallel_offboards_offboard_once(stack, api):
    from brownie import accounts

    carol = accounts[8].address
    assert api["cmp"].post("/v1/investors", {"wallet": carol, "country": 276}).status_code == 202
    stack.run()
    answers = race([lambda: api["cmp"].post(f"/v1/investors/{carol}/offboard")] * RACERS)
    assert codes(answers) == [202] + [409] * (RACERS - 1), [a.text for a in answers]
    losers_say(answers, "not_active", "concurrent_update")
    assert audit_count(stack, "investor.offboard", carol) == 1
    stack.run()
    assert count(stack, Investor, Investor.wallet == carol,
                 Investor.status == "offboarded") == 1


def test_parallel_clearances_clear_a_halt_once(stack, api):
    with stack.issuer.session() as db:
        db.add(SymbolHalt(symbol="AAPL", reason="test halt", opened_at=utcnow()))
    answers = race([lambda: api["admin"].post("/v1/halts/AAPL/clear")] * RACERS)
    assert codes(answers) == [200] + [409] * (RACERS - 1), [a.text for a in answers]
    losers_say(answers, "not_halted", "concurrent_update")
    assert audit_count(stack, "halt.clear", "AAPL") == 1


def test_parallel_revocations_revoke_once(stack, api):
    created = api["admin"].post("/v1/api-keys", {"name": "short-lived", "role": "viewer",
                                                 "operator": "Sam Short"}).json()
    answers = race([lambda: api["admin"].post(f"/v1/api-keys/{created['id']}/revoke")]
                   * RACERS)
    assert codes(answers) == [200] + [409] * (RACERS - 1), [a.text for a in answers]
    losers_say(answers, "api_key_revoked", "concurrent_update")
    assert audit_count(stack, "api_key.revoke", created["id"]) == 1


# --- the same Idempotency-Key at once: one effect, one answer ----------------------------------

def _writes(stack) -> dict:
    """path, caller, body, and how to count the write's effect."""
    from brownie import accounts

    def rows(model, *where):
        return lambda: count(stack, model, *where)

    return {
        "creation": ("/v1/creations", "ops",
                     {"participant_id": stack.participant_id, "symbol": "AAPL", "qty": "1"},
                     rows(Creation)),
        "participant": ("/v1/participants", "admin",
                        {"name": "AP Two", "broker_account_id": stack.broker.create_account(
                            given_name="Authorized", family_name="Two").id,
                         "wallet": accounts[7].address},
                        rows(Participant, Participant.name == "AP Two")),
        "investor": ("/v1/investors", "cmp", {"wallet": accounts[8].address, "country": 276},
                     rows(Investor, Investor.wallet == accounts[8].address)),
        "api_key": ("/v1/api-keys", "admin",
                    {"name": "twin", "role": "viewer", "operator": "Tina Twin"},
                    rows(ApiKey, ApiKey.name == "twin")),
        "freeze": ("/v1/tokens/AAPL/freeze", "cmp",
                   {"wallet": accounts[7].address, "frozen": True},
                   rows(ChainTx, ChainTx.key.like("%:same-freeze"))),
        "forced_transfer": ("/v1/forced-transfers", "cmp",
                            {"symbol": "AAPL", "from_wallet": stack.ap_wallet,
                             "to_wallet": accounts[7].address, "amount": "1"},
                            rows(Approval, Approval.action == "forced_transfer")),
    }


@pytest.mark.parametrize("write", ["creation", "participant", "investor", "api_key", "freeze",
                                   "forced_transfer"])
def test_one_idempotency_key_sent_at_once_has_one_effect(stack, api, write):
    if write == "forced_transfer":
        mint_100(stack)
    path, caller, body, effects = _writes(stack)[write]
    before = effects()
    key = f"same-{write}"
    answers = race([lambda: api[caller].post(path, body, key=key)] * RACERS)
    assert effects() == before + 1, [a.text for a in answers]
    done = [a for a in answers if a.status_code < 300]
    assert done, [a.text for a in answers]
    assert len({a.status_code for a in done}) == 1
    ids = {a.json().get("id") or a.json().get("key") for a in done}
    assert len(ids) == 1, ids
    losers_say(answers, "concurrent_request")
    replayed = api[caller].post(path, body, key=key)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
