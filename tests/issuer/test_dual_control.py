"""Dual control that holds under concurrency, and compares people, not keys (DESIGN.md §7).

The review's attacks, with real concurrent HTTP requests against the running API (each request
with a fresh Idempotency-Key, so idempotency does not hide anything): parallel approvals of one
forced transfer mined it twice; approve raced against reject ended `rejected` with the transfer
mined; parallel rejects wrote two audit rows; an admin approved its own large creation; one person
satisfied dual control with a second key. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

from sqlalchemy import func, select

from issuer.models import AuditEntry, ChainTx
from tests.issuer.conftest import Api
from tests.issuer.test_api import _mined, _problem

ONE = 10**18


def race(calls):
    """Run the calls at once (one thread each) and return their responses."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [f.result() for f in futures]


def audit_count(stack, action: str, subject: str) -> int:
    with stack.issuer.session() as db:
        return db.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.subject == subject)) or 0


def chain_txs(stack, approval_id: str) -> int:
    with stack.issuer.session() as db:
        return db.scalar(select(func.count()).select_from(ChainTx).where(
            ChainTx.key.like(f"approval:{approval_id}%"))) or 0


def forced_transfer_request(stack, api) -> tuple[str, str]:
    from brownie import accounts

    creation = stack.create("3")
    stack.until(lambda: stack.creation(creation).status == "completed")
    bob = accounts[7].address
    request = api["cmp"].post("/v1/forced-transfers", {
        "symbol": "AAPL", "from_wallet": stack.ap_wallet, "to_wallet": bob, "amount": "1"})
    assert request.status_code == 202, request.text
    return request.json()["id"], bob


def test_parallel_approvals_execute_a_forced_transfer_once(stack, api):
    approval_id, bob = forced_transfer_request(stack, api)
    before = stack.tokens()
    answers = race([lambda: api["cmp2"].post(f"/v1/approvals/{approval_id}/approve")] * 8)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 7, [a.text for a in answers]
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["code"] == "approval_decided"
    winner = next(a for a in answers if a.status_code == 200).json()
    assert _mined(api, winner["result"]["tx_key"])["status"] == "mined"
    stack.run()
    assert stack.tokens() == before - 1 and stack.tokens(bob) == 1
    assert chain_txs(stack, approval_id) == 1
    assert audit_count(stack, "approval.approve.forced_transfer", approval_id) == 1


def test_approve_raced_against_reject_decides_once_and_a_rejection_never_executes(stack, api):
    approval_id, bob = forced_transfer_request(stack, api)
    before = stack.tokens()
    calls = [lambda: api["cmp2"].post(f"/v1/approvals/{approval_id}/approve"),
             lambda: api["cmp2"].post(f"/v1/approvals/{approval_id}/reject")] * 4
    answers = race(calls)
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    final = next(a for a in answers if a.status_code == 200).json()["status"]
    stack.run()
    decided = [a for a in api["view"].get("/v1/approvals").json() if a["id"] == approval_id]
    assert decided[0]["status"] == final
    if final == "rejected":
        assert stack.tokens() == before and chain_txs(stack, approval_id) == 0
    else:
        assert stack.tokens() == before - 1 and chain_txs(stack, approval_id) == 1


def test_parallel_rejects_write_one_audit_row(stack, api):
    approval_id, _ = forced_transfer_request(stack, api)
    answers = race([lambda: api["cmp2"].post(f"/v1/approvals/{approval_id}/reject")] * 20)
    assert sorted(a.status_code for a in answers) == [200] + [409] * 19
    assert audit_count(stack, "approval.reject.forced_transfer", approval_id) == 1


def large_creation(stack, api, maker: str = "ops") -> tuple[str, str]:
    stack.issuer.settings = stack.issuer.settings.__class__(
        **{**stack.issuer.settings.__dict__, "large_mint_shares": D("8")})
    body = {"participant_id": stack.participant_id, "symbol": "AAPL", "qty": "9"}
    creation = api[maker].post("/v1/creations", body)
    assert creation.status_code == 201, creation.text
    [approval] = api["view"].get("/v1/approvals", status="pending").json()
    return creation.json()["id"], approval["id"]


def test_parallel_approvals_release_a_large_creation_once(stack, api):
    creation_id, approval_id = large_creation(stack, api)
    answers = race([lambda: api["admin"].post(f"/v1/approvals/{approval_id}/approve")] * 8)
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    stack.until(lambda: stack.creation(creation_id).status == "completed")
    assert stack.tokens() == 9 * ONE
    assert audit_count(stack, "approval.approve.creation", approval_id) == 1


def test_an_admin_cannot_approve_its_own_large_creation(stack, api):
    """The request used to record the key's name and the check compared key ids."""
    _, approval_id = large_creation(stack, api, maker="admin")
    _problem(api["admin"].post(f"/v1/approvals/{approval_id}/approve"), 403, "same_approver")
    assert api["view"].get("/v1/approvals", status="pending").json()[0]["id"] == approval_id


def test_one_person_cannot_satisfy_dual_control_with_a_second_key(stack, api):
    """An admin mints itself a second key (or a key for a made-up person, or a key that mints
    another) and approves its own request with it: refused, since every key records the key
    that issued it and the checker may not descend from the maker."""
    _, approval_id = large_creation(stack, api, maker="admin")
    base = str(api["admin"].http.base_url)
    mine = api["admin"].post("/v1/api-keys", {"name": "admin-again", "role": "admin",
                                              "operator": "admin"}).json()["key"]
    puppet = api["admin"].post("/v1/api-keys", {"name": "puppet", "role": "admin",
                                                "operator": "Not A Person"}).json()["key"]
    grandchild = Api(base, puppet).post("/v1/api-keys", {
        "name": "puppet-2", "role": "admin", "operator": "Another Fiction"}).json()["key"]
    for key in (mine, puppet, grandchild):
        _problem(Api(base, key).post(f"/v1/approvals/{approval_id}/approve"), 403,
                 "same_approver")
    assert api["view"].get("/v1/approvals", status="pending").json()[0]["id"] == approval_id


def test_a_revoked_key_fails_at_once(stack, api):
    base = str(api["admin"].http.base_url)
    created = api["admin"].post("/v1/api-keys", {"name": "temp", "role": "operator",
                                                 "operator": "Tess Temp"}).json()
    temp = Api(base, created["key"])
    assert temp.get("/v1/creations").status_code == 200
    _problem(api["ops"].post(f"/v1/api-keys/{created['id']}/revoke"), 403, "forbidden")
    revoked = api["admin"].post(f"/v1/api-keys/{created['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    _problem(temp.get("/v1/creations"), 401, "unauthorized")
    _problem(api["admin"].post(f"/v1/api-keys/{created['id']}/revoke"), 409, "api_key_revoked")
    _problem(api["admin"].post("/v1/api-keys/no-such-key/revoke"), 404, "not_found")


def test_a_new_keys_secret_is_neither_stored_nor_replayed(stack, api):
    """The review found new keys stored in clear in the idempotency table and handed out again
    on replay."""
    body = {"name": "replayed", "role": "viewer", "operator": "Rita Replay"}
    first = api["admin"].post("/v1/api-keys", body, key="same-key")
    secret = first.json()["key"]
    assert first.status_code == 201 and secret.startswith("isk_")
    again = api["admin"].post("/v1/api-keys", body, key="same-key")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["key"] is None and again.json()["id"] == first.json()["id"]
    from issuer.models import IdempotencyRecord

    with stack.issuer.session() as db:
        stored = [str(r.body) for r in db.scalars(select(IdempotencyRecord))]
    assert stored and not any(secret in body for body in stored)


def test_an_admin_cannot_approve_a_request_made_with_a_key_it_issued(stack, api):
    """Issue 25, item 1: the lineage rule walked the checker's chain only. An admin issued a
    compliance key, asked for a forced transfer with it and approved it with its own key (200,
    1 raw moved). Dual control needs neither party to have issued the other's key, both ways."""
    base = str(api["admin"].http.base_url)
    issued = api["admin"].post("/v1/api-keys", {"name": "cmp-by-admin", "role": "compliance",
                                                "operator": "Carl Compliance"}).json()["key"]
    approval_id, bob = forced_transfer_request(stack, {"cmp": Api(base, issued)})
    before = stack.tokens(bob)
    refused = api["admin"].post(f"/v1/approvals/{approval_id}/approve")
    _problem(refused, 403, "same_approver")
    assert "issued" in refused.json()["detail"]
    # up the chain too: a key issued by a key the admin issued
    deputy = api["admin"].post("/v1/api-keys", {"name": "deputy", "role": "admin",
                                                "operator": "Dana Deputy"}).json()["key"]
    grand = Api(base, deputy).post("/v1/api-keys", {"name": "cmp-by-deputy", "role": "compliance",
                                                    "operator": "Cora Compliance"}).json()["key"]
    second, _ = forced_transfer_request(stack, {"cmp": Api(base, grand)})
    _problem(api["admin"].post(f"/v1/approvals/{second}/approve"), 403, "same_approver")
    # an unrelated checker decides both
    for pending in (approval_id, second):
        assert api["cmp2"].post(f"/v1/approvals/{pending}/approve").status_code == 200
    stack.run()
    assert stack.tokens(bob) == before + 2


def test_a_key_in_another_existing_persons_name_needs_their_consent(stack, api):
    """Issue 25, item 2: an admin issued a key in the name of an existing operator ("cmp2",
    whose key it did not issue) and acted as them. A name belongs to one person: refused 409."""
    answer = api["admin"].post("/v1/api-keys", {"name": "cmp2-by-admin", "role": "compliance",
                                                "operator": "cmp2"})
    _problem(answer, 409, "operator_exists")
    # the person themself may take a second key (an admin issuing to their own name) ...
    mine = api["admin"].post("/v1/api-keys", {"name": "admin-laptop", "role": "viewer",
                                              "operator": "admin"})
    assert mine.status_code == 201, mine.text
    # ... and a new person's name is free
    fresh = api["admin"].post("/v1/api-keys", {"name": "newbie", "role": "viewer",
                                               "operator": "Nina New"})
    assert fresh.status_code == 201, fresh.text
