"""The operator API over HTTP: keys and roles, idempotency, validation, lifecycles, controls,
maker-checker, reserves, audit. Every refusal is problem JSON and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import httpx
import pytest

from tests.issuer.conftest import Api, D

ONE = 10**18


def _problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["detail"]
    return body


def _mined(api: dict[str, Api], key: str) -> dict:
    """Poll a chain write until it leaves the node's queue."""
    for _ in range(100):
        tx = api["view"].get(f"/v1/transactions/{key}").json()
        if tx["status"] not in ("signed", "sent"):
            return tx
        time.sleep(0.05)
    raise AssertionError(f"{key} still {tx['status']}")


def _state(stack) -> tuple:
    with stack.issuer.session() as db:
        from sqlalchemy import func, select

        from issuer.models import Approval, ChainTx, Creation, Redemption
        return tuple(db.scalar(select(func.count()).select_from(m))
                     for m in (Creation, Redemption, ChainTx, Approval))


def test_creation_through_the_api_is_idempotent(stack, api):
    body = {"participant_id": stack.participant_id, "symbol": "aapl", "qty": "5"}
    first = api["ops"].post("/v1/creations", body, key="k-1")
    assert first.status_code == 201, first.text
    again = api["ops"].post("/v1/creations", body, key="k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    reused = api["ops"].post("/v1/creations", {**body, "qty": "6"}, key="k-1")
    _problem(reused, 409, "idempotency_key_reused")
    listed = api["view"].get("/v1/creations").json()
    assert [c["id"] for c in listed["items"]] == [first.json()["id"]]
    stack.until(lambda: stack.creation(first.json()["id"]).status == "completed")
    done = api["view"].get(f"/v1/creations/{first.json()['id']}").json()
    assert (done["status"], done["settled_qty"], done["symbol"]) == ("completed", "5", "AAPL")
    assert stack.tokens() == 5 * ONE


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"symbol": "TSLA"}, 404, "unknown_symbol"),
        ({"qty": "0"}, 422, "invalid_qty"),
        ({"qty": "-1"}, 422, "invalid_qty"),
        ({"qty": "1.0000000001"}, 422, "invalid_qty"),
        ({"qty": "abc"}, 422, "invalid_qty"),
        # the review's inputs that reached a 500 or were minted: exactly the pattern passes
        ({"qty": "1e30"}, 422, "invalid_qty"),
        ({"qty": "1e400"}, 422, "invalid_qty"),
        ({"qty": "1_000"}, 422, "invalid_qty"),
        ({"qty": "\uff11\uff10"}, 422, "invalid_qty"),  # full-width digits
        ({"qty": "\u0661\u0660"}, 422, "invalid_qty"),  # Arabic-Indic digits
        ({"qty": " 5 "}, 422, "invalid_qty"),
        ({"qty": 5}, 422, "invalid_qty"),
        ({"qty": "1000000000000"}, 422, "invalid_qty"),
        ({"participant_id": "nobody"}, 404, "participant_not_found"),
        ({"kind": "barter"}, 422, "invalid_request"),
        ({"extra": 1}, 422, "invalid_request"),
    ],
)
def test_bad_creations_are_refused_and_change_nothing(stack, api, change, status, code):
    before = _state(stack)
    body = {"participant_id": stack.participant_id, "symbol": "AAPL", "qty": "5", **change}
    _problem(api["ops"].post("/v1/creations", body), status, code)
    assert _state(stack) == before


def test_auth_roles_and_idempotency_key(stack, api, keys):
    body = {"participant_id": stack.participant_id, "symbol": "AAPL", "qty": "1"}
    _problem(api["view"].post("/v1/creations", body), 403, "forbidden")
    anonymous = httpx.get(str(api["view"].http.base_url) + "/v1/creations")
    _problem(anonymous, 401, "unauthorized")
    wrong = httpx.get(str(api["view"].http.base_url) + "/v1/creations",
                      headers={"X-API-Key": "nope"})
    _problem(wrong, 401, "unauthorized")
    no_key = api["ops"].http.post("/v1/creations", json=body)
    _problem(no_key, 400, "idempotency_key_required")
    _problem(api["ops"].post("/v1/api-keys", {"name": "x", "role": "admin", "operator": "x"}),
             403, "forbidden")
    # issue 25, item 4: a key without the role got 422 with the body's field list
    for path, body in (("/v1/api-keys", {}), ("/v1/api-keys", {"name": 5}),
                       ("/v1/participants", {"wallet": "nope"})):
        refused = api["ops"].post(path, body)
        _problem(refused, 403, "forbidden")
        assert "name" not in refused.text.replace("the key", "")
    _problem(api["view"].post("/v1/creations", {"symbol": 7}), 403, "forbidden")
    created = api["admin"].post("/v1/api-keys", {"name": "new-viewer", "role": "viewer",
                                                 "operator": "Vera Viewer"})
    assert created.status_code == 201 and created.json()["key"].startswith("isk_")
    assert created.json()["operator"] == "Vera Viewer"
    listed = api["admin"].get("/v1/api-keys").json()
    assert "new-viewer" in [k["name"] for k in listed]
    assert all("key" not in k and "key_hash" not in k for k in listed)
    assert _state(stack) == (0, 0, 0, 0)


def test_large_creation_needs_a_second_approver(stack, api):
    stack.issuer.settings = stack.issuer.settings.__class__(
        **{**stack.issuer.settings.__dict__, "large_mint_shares": D("8")})
    body = {"participant_id": stack.participant_id, "symbol": "AAPL", "qty": "9"}
    creation = api["ops"].post("/v1/creations", body).json()
    assert creation["status"] == "awaiting_approval"
    stack.run()
    assert stack.creation(creation["id"]).status == "awaiting_approval"
    [approval] = api["view"].get("/v1/approvals", status="pending").json()
    _problem(api["cmp"].post(f"/v1/approvals/{approval['id']}/approve"), 403, "forbidden")
    approved = api["admin"].post(f"/v1/approvals/{approval['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    stack.until(lambda: stack.creation(creation["id"]).status == "completed")
    assert stack.tokens() == 9 * ONE


def test_freeze_pause_and_forced_transfer_with_maker_checker(stack, api):
    creation = stack.create("10")
    stack.until(lambda: stack.creation(creation).status == "completed")
    from brownie import accounts

    bob = accounts[7].address  # a verified investor
    freeze = api["cmp"].post("/v1/tokens/AAPL/freeze", {"wallet": stack.ap_wallet,
                                                         "frozen": True})
    assert freeze.status_code == 202, freeze.text
    assert _mined(api, freeze.json()["key"])["status"] == "mined"
    token = stack.issuer.chain.stock("AAPL").token
    assert token.functions.isFrozen(stack.ap_wallet).call() is True
    _problem(api["ops"].post("/v1/tokens/AAPL/freeze", {"wallet": bob, "frozen": True}),
             403, "forbidden")
    _problem(api["cmp"].post("/v1/tokens/AAPL/freeze", {"wallet": "0x123", "frozen": True}),
             422, "invalid_address")

    request = api["cmp"].post("/v1/forced-transfers", {
        "symbol": "AAPL", "from_wallet": stack.ap_wallet, "to_wallet": bob,
        "amount": str(3 * ONE)})
    assert request.status_code == 202 and request.json()["status"] == "pending"
    approval_id = request.json()["id"]
    _problem(api["cmp"].post(f"/v1/approvals/{approval_id}/approve"), 403, "same_approver")
    assert stack.tokens(bob) == 0
    approved = api["cmp2"].post(f"/v1/approvals/{approval_id}/approve")
    assert approved.status_code == 200, approved.text
    assert _mined(api, approved.json()["result"]["tx_key"])["status"] == "mined"
    assert stack.tokens(bob) == 3 * ONE and stack.tokens() == 7 * ONE
    _problem(api["cmp2"].post(f"/v1/approvals/{approval_id}/approve"), 409,
             "approval_decided")

    paused = api["cmp"].post("/v1/tokens/AAPL/pause", {"paused": True})
    assert paused.status_code == 202
    assert _mined(api, paused.json()["key"])["status"] == "mined"
    assert stack.issuer.chain.is_paused("AAPL")
    _problem(api["cmp"].post("/v1/tokens/AAPL/pause", {"paused": True}), 409, "already_paused")
    actions = [e["action"] for e in api["view"].get("/v1/audit", limit=200).json()]
    for expected in ("token.freeze", "approval.request.forced_transfer",
                     "approval.approve.forced_transfer", "token.pause"):
        assert expected in actions


def test_chain_refusals_are_4xx(stack, api):
    # partial freeze of more than the wallet holds: the token refuses; nothing is stored
    before = _state(stack)
    response = api["cmp"].post("/v1/tokens/AAPL/partial-freeze",
                               {"wallet": stack.ap_wallet, "amount": str(ONE)})
    body = _problem(response, 422, "chain_refused")
    assert body["error"] != "reverted"
    assert _state(stack) == before


def test_reserves_and_redemption_through_the_api(stack, api):
    creation = stack.create("10")
    stack.until(lambda: stack.creation(creation).status == "completed")
    report = api["view"].get("/v1/reserves/AAPL").json()
    assert (report["economic_supply"], report["custody_settled"], report["holds"]) == (
        "10", "10", True)
    redemption = api["ops"].post("/v1/redemptions", {
        "participant_id": stack.participant_id, "symbol": "AAPL", "qty": "4"})
    assert redemption.status_code == 201, redemption.text
    stack.until(lambda: stack.redemption(redemption.json()["id"]).status == "completed")
    report = api["view"].get("/v1/reserves/AAPL").json()
    assert (report["economic_supply"], report["custody_settled"]) == ("6", "6")
    _problem(api["view"].get("/v1/reserves/TSLA"), 404, "unknown_symbol")
    _problem(api["ops"].post("/v1/redemptions", {
        "participant_id": stack.participant_id, "symbol": "AAPL", "qty": "7"}),
        422, "insufficient_tokens")
    page = api["view"].get("/v1/redemptions", limit=1).json()
    assert len(page["items"]) == 1 and page["next_cursor"] is None
    _problem(api["view"].get("/v1/creations", cursor="garbage!"), 422, "invalid_cursor")


def test_operator_cli_over_the_api(stack, api, keys):
    url = str(api["ops"].http.base_url)

    def cli(*args: str, key: str = keys["ops"]) -> subprocess.CompletedProcess:
        # the API and the key once, before the command (one callback, not in every command)
        return subprocess.run([sys.executable, "-m", "issuer.cli", "--url", url, "--key", key,
                               *args], capture_output=True, text=True, timeout=60)

    first = cli("creations", "create", stack.participant_id, "AAPL", "2",
                "--idempotency-key", "cli-1")
    assert first.returncode == 0, first.stderr
    again = cli("creations", "create", stack.participant_id, "AAPL", "2",
                "--idempotency-key", "cli-1")
    assert json.loads(again.stdout)["id"] == json.loads(first.stdout)["id"]
    refused = cli("creations", "create", stack.participant_id, "AAPL", "0")
    assert refused.returncode == 1 and json.loads(refused.stdout)["code"] == "invalid_qty"
    report = cli("reserves", "AAPL", key=keys["view"])
    assert json.loads(report.stdout)["symbol"] == "AAPL"
    forbidden = cli("pause", "AAPL", key=keys["view"])
    assert forbidden.returncode == 1 and json.loads(forbidden.stdout)["code"] == "forbidden"
    stack.broker.announce(ca_type="split", ca_sub_type="stock_split", initiating_symbol="AAPL",
                          declaration_date=dt.date(2024, 10, 11), ex_date=dt.date(2024, 10, 18),
                          old_rate="1", new_rate="2")
    stack.run()
    listed = json.loads(cli("corporate-actions", "list", key=keys["view"]).stdout)["items"]
    assert [(a["kind"], a["status"], a["m1"]) for a in listed] == \
        [("forward_split", "proposed", str(2 * 10**18))]
    asked = cli("corporate-actions", "apply", listed[0]["id"])
    assert asked.returncode == 0 and json.loads(asked.stdout)["action"] == "multiplier_change"
    again = cli("approvals", "approve", json.loads(asked.stdout)["id"])
    assert again.returncode == 1 and json.loads(again.stdout)["code"] == "same_approver"


def test_onboard_an_investor_through_the_api_and_offboard(stack, api):
    from brownie import accounts

    carol = accounts[8].address  # not in the registry yet
    registry = stack.issuer.chain.registry
    assert registry.functions.isVerified(carol).call() is False
    _problem(api["cmp"].post("/v1/investors", {"wallet": "0xnope", "country": 840}), 422,
             "invalid_address")
    _problem(api["cmp"].post("/v1/investors", {"wallet": carol, "country": 0}), 422,
             "invalid_country")
    _problem(api["ops"].post("/v1/investors", {"wallet": carol, "country": 840}), 403,
             "forbidden")
    _problem(api["cmp"].post("/v1/investors", {"wallet": stack.ap_wallet, "country": 840}),
             409, "investor_exists")
    started = api["cmp"].post("/v1/investors", {"wallet": carol, "country": 276})
    assert started.status_code == 202 and started.json()["status"] == "requested"
    _problem(api["cmp"].post("/v1/investors", {"wallet": carol, "country": 276}), 409,
             "investor_exists")
    stack.run()
    investor = api["view"].get(f"/v1/investors/{carol}").json()
    assert investor["status"] == "active", investor
    assert investor["mode"] == "deploy" and investor["identity"]
    assert registry.functions.isVerified(carol).call() is True
    assert registry.functions.investorCountry(carol).call() == 276
    assert registry.functions.identity(carol).call() == investor["identity"]

    moved = api["cmp"].post(f"/v1/investors/{carol}/country", {"country": 250})
    assert moved.status_code == 202
    assert _mined(api, moved.json()["key"])["status"] == "mined"
    assert registry.functions.investorCountry(carol).call() == 250

    # a linked identity: the same ONCHAINID, for a second wallet of the same investor
    dave = accounts[9].address
    linked = api["cmp"].post("/v1/investors", {"wallet": dave, "country": 250,
                                               "identity": investor["identity"]})
    assert linked.status_code == 202
    stack.run()
    assert api["view"].get(f"/v1/investors/{dave}").json()["status"] == "active"
    assert registry.functions.isVerified(dave).call() is True

    off = api["cmp"].post(f"/v1/investors/{carol}/offboard")
    assert off.status_code == 202
    stack.run()
    assert api["view"].get(f"/v1/investors/{carol}").json()["status"] == "offboarded"
    assert registry.functions.isVerified(carol).call() is False
    # removing one wallet of an investor leaves the identity and its other wallet in place
    assert registry.functions.isVerified(dave).call() is True
    assert registry.functions.identity(dave).call() == investor["identity"]
    steps = [e["action"] for e in api["view"].get("/v1/audit", limit=200).json()
             if e["subject"] == carol]
    assert steps == ["investor.onboard", "investor.deploying", "investor.claiming",
                     "investor.registering", "investor.active", "investor.country",
                     "investor.offboard", "investor.offboarding", "investor.offboarded"]


def test_recovery_of_a_lost_wallet_needs_a_second_approver(stack, api):
    from brownie import accounts

    creation = stack.create("10")
    stack.until(lambda: stack.creation(creation).status == "completed")
    registry = stack.issuer.chain.registry
    identity = registry.functions.identity(stack.ap_wallet).call()
    new_wallet = accounts[8]
    stack.suite.registry.registerIdentity(new_wallet, identity, 840,
                                          {"from": stack.suite.roles.registrar})
    body = {"symbol": "AAPL", "lost_wallet": stack.ap_wallet, "new_wallet": new_wallet.address,
            "identity": identity}
    _problem(api["ops"].post("/v1/recoveries", body), 403, "forbidden")
    requested = api["cmp"].post("/v1/recoveries", body)
    assert requested.status_code == 202 and requested.json()["status"] == "pending"
    assert stack.tokens(new_wallet.address) == 0
    approved = api["cmp2"].post(f"/v1/approvals/{requested.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert _mined(api, approved.json()["result"]["tx_key"])["status"] == "mined"
    assert stack.tokens(new_wallet.address) == 10 * ONE and stack.tokens() == 0
    # the lost wallet is frozen and out of the registry (it holds no other guarded token)
    token = stack.issuer.chain.stock("AAPL").token
    assert token.functions.isFrozen(stack.ap_wallet).call() is True
    assert registry.functions.contains(stack.ap_wallet).call() is False
    spare = accounts[9]
    stack.suite.registry.registerIdentity(spare, identity, 840,
                                          {"from": stack.suite.roles.registrar})
    rejected_body = {**body, "lost_wallet": new_wallet.address, "new_wallet": spare.address}
    second = api["cmp"].post("/v1/recoveries", rejected_body).json()
    declined = api["cmp2"].post(f"/v1/approvals/{second['id']}/reject")
    assert declined.json()["status"] == "rejected"
    assert stack.tokens(new_wallet.address) == 10 * ONE


def test_a_wallet_that_holds_tokens_is_not_offboarded(stack, api):
    """Offboarding a holder would orphan its identity-keyed compliance records (review finding
    5): the issuer refuses it at request time, and the chain would refuse it too."""
    from brownie import accounts

    carol = accounts[8].address
    assert api["cmp"].post("/v1/investors", {"wallet": carol, "country": 276}).status_code == 202
    creation = stack.create("3")
    stack.until(lambda: stack.creation(creation).status == "completed"
                and api["view"].get(f"/v1/investors/{carol}").json()["status"] == "active")
    token = stack.suite.stocks["AAPL"][0]
    token.transfer(carol, 7, {"from": accounts[6]})
    body = _problem(api["cmp"].post(f"/v1/investors/{carol}/offboard"), 409,
                    "wallet_holds_tokens")
    assert "7 raw AAPL" in body["detail"]
    assert api["view"].get(f"/v1/investors/{carol}").json()["status"] == "active"
    assert stack.issuer.chain.registry.functions.contains(carol).call() is True
    # once its tokens are gone, it is offboarded
    token.transfer(accounts[6], 7, {"from": carol})
    assert api["cmp"].post(f"/v1/investors/{carol}/offboard").status_code == 202
    stack.run()
    assert api["view"].get(f"/v1/investors/{carol}").json()["status"] == "offboarded"


def test_nul_characters_are_refused_before_the_database(stack, api):
    body = {"participant_id": stack.participant_id + "\u0000", "symbol": "AAPL", "qty": "1"}
    _problem(api["ops"].post("/v1/creations", body), 422, "invalid_characters")
    _problem(api["view"].get("/v1/creations/%00"), 422, "invalid_characters")
    _problem(api["view"].get("/v1/creations", status="a\u0000"), 422, "invalid_characters")
    assert _state(stack) == (0, 0, 0, 0)
