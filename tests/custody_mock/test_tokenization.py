"""The mock playing Alpaca's tokenization network against a stand-in issuer (a small FastAPI
app served on loopback that records what the broker sends and answers as told): what the
broker sends, when, how often, and what it refuses before asking the issuer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from custody_mock.client import AccountTradingClient, BrokerRejected
from servicekit.tokenization import DEVNET
from tests.custody_mock.conftest import D, open_funded
from tests.support import serve_app

KEY = "issuer-key"


class StandIn:
    """Records calls; ``answers[path]`` (a status, or a list of statuses used in turn)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []
        self.answers: dict[str, list[int]] = {}
        app = FastAPI()

        @app.get("/tokenized-assets")
        def assets() -> list[dict[str, Any]]:
            return [{"underlying_symbol": "AAPL", "token_symbol": "AAPLx",
                     "networks": [DEVNET]}]

        @app.post("/{path:path}")
        async def any_post(path: str, request: Request) -> JSONResponse:
            body = await request.json()
            self.calls.append((f"/{path}", body, request.headers.get("x-api-key")))
            turns = self.answers.get(f"/{path}", [])
            status = turns.pop(0) if turns else 200
            if status >= 400:
                return JSONResponse({"code": "nope", "reason": "refused here"}, status)
            if path == "accounts/connect":
                return JSONResponse({"client_id": "client-1"})
            return JSONResponse({"issuer_request_id": "ir-" + body.get(
                "tokenization_request_id", "")[:8], "status": "created"})

        self.app = app

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.calls]


@pytest.fixture
def network(broker) -> Iterator[tuple[Any, StandIn, str, str]]:
    issuer_side = StandIn()
    with serve_app(issuer_side.app) as url:
        issuer_account = open_funded(broker, cash="0")
        ap = open_funded(broker)
        broker.submit_order(ap, symbol="AAPL", side="buy", qty=D(10))
        broker.end_of_day()                    # Tuesday: the AP's 10 AAPL have settled
        set_up = broker.set_tokenization_issuer("stockstack", account_id=issuer_account,
                                                base_url=url, api_key=KEY, networks=[DEVNET])
        assert set_up.assets[0]["token_symbol"] == "AAPLx"
        link = broker.link_tokenization(ap, "stockstack", "desk@ap.example")
        assert link.client_id == "client-1"
        assert issuer_side.calls[-1] == ("/accounts/connect", {
            "email": "desk@ap.example",
            "account": broker.account(ap).account_number}, KEY)
        yield broker, issuer_side, issuer_account, ap


def until(done: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.02)


def mint(broker, ap: str, qty: str = "4", **extra: Any):  # noqa: ANN001, ANN201
    return broker.tokenization_mint(ap, underlying_symbol="AAPL", qty=D(qty),
                                    issuer="stockstack", network=DEVNET,
                                    wallet_address="0x" + "1" * 40, **extra)


def test_a_mint_asks_the_issuer_journals_the_shares_and_confirms(network):
    broker, issuer_side, issuer_account, ap = network
    request = mint(broker, ap, client_request_id="c-1")
    assert (request.status, request.token_symbol, request.client_external_account_id) == (
        "pending", "AAPLx", "client-1")
    until(lambda: issuer_side.paths()[-1:] == ["/inkind/issuance/confirm"])
    issuance, confirmation = issuer_side.calls[-2], issuer_side.calls[-1]
    assert issuance[1] == {"tokenization_request_id": request.tokenization_request_id,
                           "qty": "4", "underlying_symbol": "AAPL", "token_symbol": "AAPLx",
                           "network": DEVNET, "client_id": "client-1",
                           "wallet_address": "0x" + "1" * 40}
    assert confirmation[1]["status"] == "completed" and confirmation[2] == KEY
    # the shares moved at once, settled: out of the AP's position into the issuer's
    assert broker.position(ap, "AAPL").qty_settled == D(6)
    assert broker.position(issuer_account, "AAPL").qty_settled == D(4)
    seen = broker.tokenization_request(ap, request.tokenization_request_id)
    assert (seen.status, seen.transfer_status, seen.tx_hash) == ("pending", "completed", "")
    # the issuer reports its mint: completed; the same report again is fine, another is not
    path = f"/v1/accounts/{issuer_account}/tokenization/callback/mint"
    body = {"tokenization_request_id": request.tokenization_request_id,
            "wallet_address": "0x" + "1" * 40, "tx_hash": "0xabc", "network": DEVNET}
    http = httpx.Client(base_url=broker._http.base_url, auth=("mock-key", "mock-secret"))
    assert http.post(path, json=body).json()["status"] == "completed"
    assert http.post(path, json=body).status_code == 200
    assert http.post(path, json={**body, "tx_hash": "0xdef"}).json()["code"] == \
        "tx_hash_mismatch"
    # the AP's own reads, on the Trading API with its own key pair
    pair = broker.create_trading_key(ap)
    mine = httpx.get(f"{broker._http.base_url}/v2/tokenization/requests",
                     headers={"APCA-API-KEY-ID": pair.key_id, "APCA-API-SECRET-KEY": pair.secret})
    assert [r["tx_hash"] for r in mine.json()] == ["0xabc"]
    # issue 25, item 10: client_request_id is the AP's label, as at Alpaca: reused, it makes a
    # second request (the mock used to answer 409, so an AP relying on it would double-mint
    # against Alpaca), and a lookup by it answers the most recent, on both APIs
    second = mint(broker, ap, "1", client_request_id="c-1")
    assert second.tokenization_request_id != request.tokenization_request_id
    found = broker._http.get(f"/v1/accounts/{ap}/tokenization/requests:by_client_request_id",
                             params={"client_request_id": "c-1"}).json()
    assert found["tokenization_request_id"] == second.tokenization_request_id
    with AccountTradingClient(str(broker._http.base_url), key_id=pair.key_id,
                              secret=pair.secret) as own:
        latest = own._call(   # the Trading API keyed lookup
            "GET", "/v2/tokenization/requests:by_client_request_id",
            params={"client_request_id": "c-1"}, idempotent=True).json()
    assert latest["tokenization_request_id"] == second.tokenization_request_id


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"qty": "7"}, 403, "insufficient_qty"),   # 10 held, 4 promised to a sale: 6 free
    ({"network": "mainnet"}, 422, "invalid_network"),
    ({"issuer": "someone"}, 403, "not_linked"),
])
def test_refused_by_the_broker_and_the_issuer_is_never_asked(network, change, status, code):
    broker, issuer_side, _, ap = network
    broker.submit_order(ap, symbol="AAPL", side="sell", qty=D(4))   # 6 left free
    before = len(issuer_side.calls)
    body = {"underlying_symbol": "AAPL", "qty": D("4"), "issuer": "stockstack",
            "network": DEVNET, "wallet_address": "0x" + "1" * 40}
    body.update({k: (D(v) if k == "qty" else v) for k, v in change.items()})
    with pytest.raises(BrokerRejected) as refused:
        broker.tokenization_mint(ap, **body)
    assert (refused.value.status, refused.value.code) == (status, code)
    broker.dispatch_tokenization()
    assert len(issuer_side.calls) == before
    assert broker.tokenization_requests(ap) == []


def test_an_unlinked_account_is_refused(network):
    broker, issuer_side, _, _ = network
    other = open_funded(broker)
    with pytest.raises(BrokerRejected) as refused:
        mint(broker, other)
    assert (refused.value.status, refused.value.code) == (403, "not_linked")


def test_an_issuer_that_refuses_rejects_the_request_and_nothing_moves(network):
    broker, issuer_side, _, ap = network
    issuer_side.answers["/inkind/issuance"] = [400]
    request = mint(broker, ap)
    until(lambda: broker.tokenization_request(ap, request.tokenization_request_id).status
          == "rejected")
    seen = broker.tokenization_request(ap, request.tokenization_request_id)
    assert "nope" in seen.status_reason and seen.transfer_status is None
    assert broker.position(ap, "AAPL").qty_settled == D(10)


def test_an_issuer_down_for_a_while_is_retried_and_a_delivery_can_come_twice(network):
    broker, issuer_side, _, ap = network
    issuer_side.answers["/inkind/issuance"] = [503, 503]
    broker.add_fault("itn_callback_twice", account_id=ap)
    request = mint(broker, ap)
    until(lambda: "/inkind/issuance/confirm" in issuer_side.paths())
    issuances = [b for p, b, _ in issuer_side.calls if p == "/inkind/issuance"]
    # two 503s, then accepted and (the fault) delivered once more: the same request each time
    assert len(issuances) == 4
    assert {b["tokenization_request_id"] for b in issuances} == {request.tokenization_request_id}
    assert broker.position(ap, "AAPL").qty_settled == D(6)   # journaled once


def test_a_redeem_callback_is_one_request_per_issuer_id_and_completes_with_the_journal(network):
    broker, issuer_side, issuer_account, ap = network
    mint(broker, ap, "4")
    until(lambda: broker.position(issuer_account, "AAPL") is not None)
    http = httpx.Client(base_url=broker._http.base_url, auth=("mock-key", "mock-secret"))
    body = {"issuer_request_id": "0xdeposit:0", "underlying_symbol": "AAPL",
            "token_symbol": "AAPLx", "client_id": "client-1", "qty": "3", "network": DEVNET,
            "wallet_address": "0x" + "1" * 40, "tx_hash": "0xdeposit"}
    path = f"/v1/accounts/{issuer_account}/tokenization/callback/redeem"
    first = http.post(path, json=body).json()
    assert (first["type"], first["status"], first["tx_hash"]) == ("redeem", "pending", "")
    assert http.post(path, json=body).json()["tokenization_request_id"] == \
        first["tokenization_request_id"]
    until(lambda: broker.tokenization_request(issuer_account, first[
        "tokenization_request_id"]).status == "completed")
    done = broker.tokenization_request(issuer_account, first["tokenization_request_id"])
    assert (done.tx_hash, done.transfer_status) == ("0xdeposit", "completed")
    assert broker.position(ap, "AAPL").qty_settled == D(9)
    found = http.get(f"/v1/accounts/{issuer_account}/tokenization/requests:by_issuer_request_id",
                     params={"issuer_request_id": "0xdeposit:0"}).json()
    assert found["tokenization_request_id"] == first["tokenization_request_id"]
    # an AP's account cannot report for the issuer
    refused = http.post(f"/v1/accounts/{ap}/tokenization/callback/redeem", json=body)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_an_issuer")


def test_a_second_participant_can_neither_act_for_the_issuer_nor_read_another_participant(
        network):
    """Issue 25, item 8: one credential pair served the issuer and every AP. A second AP called
    the issuer's `callback/redeem` with no tokens sent and the broker journaled 2 AAPL out of the
    issuer's custody to it; the Trading API took an account id (shown in answers) with the
    shared secret, so one AP read another's requests. Now each account has its own key pair,
    the Broker API credentials are the partner's (the issuer's) and the control API has its own.
    """
    broker, _issuer_side, issuer_account, ap = network
    request = mint(broker, ap, "4")
    until(lambda: broker.position(issuer_account, "AAPL") is not None)
    custody = broker.position(issuer_account, "AAPL").qty_settled
    second = open_funded(broker)
    second_pair = broker.create_trading_key(second)
    first_pair = broker.create_trading_key(ap)
    base = str(broker._http.base_url)
    # the old Trading API scheme: an account id with the shared secret is no key
    for key_id, secret in ((ap, "mock-secret"), (first_pair.key_id, second_pair.secret),
                           (first_pair.key_id, "")):
        answer = httpx.get(f"{base}/v2/tokenization/requests",
                           headers={"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret})
        assert answer.status_code == 401, (key_id, answer.text)
    # the second AP's pair reads its own requests only
    with AccountTradingClient(base, key_id=second_pair.key_id, secret=second_pair.secret) as own:
        assert own.tokenization_requests() == []
        with pytest.raises(BrokerRejected) as hidden:
            own.tokenization_request(request.tokenization_request_id)
        assert hidden.value.status == 404
    # a Trading API pair is no Broker API credential: the issuer's redeem callback refuses it
    body = {"issuer_request_id": "0xstolen:0", "underlying_symbol": "AAPL",
            "token_symbol": "AAPLx", "client_id": "client-1", "qty": "2", "network": DEVNET,
            "wallet_address": "0x" + "2" * 40, "tx_hash": "0xstolen"}
    for auth in ((second_pair.key_id, second_pair.secret), (second, "mock-secret")):
        stolen = httpx.post(f"{base}/v1/accounts/{issuer_account}/tokenization/callback/redeem",
                            json=body, auth=auth)
        assert stolen.status_code == 401, stolen.text
        assert httpx.get(f"{base}/_mock/clock", auth=auth).status_code == 401
    broker.dispatch_tokenization()
    assert broker.position(issuer_account, "AAPL").qty_settled == custody
    assert broker.position(second, "AAPL") is None
    # the control API takes its own credentials, not the partner's
    assert httpx.get(f"{base}/_mock/clock", auth=("mock-key", "mock-secret")).status_code == 401
    assert broker.clock().date is not None


def test_a_redeem_callback_takes_client_account_id_and_refuses_a_reused_idempotency_key(network):
    """Issue 25, item 10: the redeem callback ignored Idempotency-Key (Alpaca answers 422 for one
    key with another body) and did not accept client_account_id."""
    broker, _issuer_side, issuer_account, ap = network
    mint(broker, ap, "4")
    until(lambda: broker.position(issuer_account, "AAPL") is not None)
    path = f"/v1/accounts/{issuer_account}/tokenization/callback/redeem"
    body = {"issuer_request_id": "0xdeposit:7", "underlying_symbol": "AAPL",
            "token_symbol": "AAPLx", "client_account_id": ap, "qty": "1", "network": DEVNET,
            "wallet_address": "0x" + "1" * 40, "tx_hash": "0xdeposit7"}
    http = httpx.Client(base_url=broker._http.base_url, auth=("mock-key", "mock-secret"))
    first = http.post(path, json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 200, first.text
    assert first.json()["client_account_id"] == ap
    again = http.post(path, json=body, headers={"Idempotency-Key": "k-1"})
    assert again.json()["tokenization_request_id"] == first.json()["tokenization_request_id"]
    other = http.post(path, json={**body, "issuer_request_id": "0xdeposit:8", "qty": "2"},
                      headers={"Idempotency-Key": "k-1"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    nobody = http.post(path, json={k: v for k, v in body.items() if k != "client_account_id"}
                       | {"issuer_request_id": "0xdeposit:9"})
    assert (nobody.status_code, nobody.json()["code"]) == (422, "invalid_client")
    assert len(broker.tokenization_requests(issuer_account, type="redeem")) == 1


def test_networks_are_alpacas_enum_and_a_devnet_is_announced_under_one(network):
    """Issue 25, item 10: the mock took `anvil`, a value outside Alpaca's TokenizationNetwork
    enum, so an AP's tooling tested here would send what Alpaca refuses. Every network is an
    enum value (the OpenAPI document lists them); another is refused 422 `invalid_network`,
    when an issuer is set up and when an AP asks."""
    from servicekit.tokenization import NETWORKS

    broker, issuer_side, issuer_account, ap = network
    with pytest.raises(BrokerRejected) as refused:
        broker.tokenization_mint(ap, underlying_symbol="AAPL", qty=D(1), issuer="stockstack",
                                 network="anvil", wallet_address="0x" + "1" * 40)
    assert (refused.value.status, refused.value.code) == (422, "invalid_network")
    with pytest.raises(BrokerRejected) as refused:
        broker.set_tokenization_issuer("other", account_id=issuer_account,
                                       base_url="http://127.0.0.1:9", api_key="k",
                                       networks=["anvil"])
    assert refused.value.status == 422
    spec = httpx.get(f"{broker._http.base_url}/openapi.json").json()
    enums = [p["enum"] for p in _walk(spec) if isinstance(p, dict) and "enum" in p
             and "hyperevm" in p["enum"]]
    assert enums and all(sorted(e) == sorted(NETWORKS) for e in enums)
    assert DEVNET in NETWORKS


def _walk(node: Any):  # noqa: ANN202
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_fee_schedule_is_quoted_on_the_request_and_charged_when_it_completes(broker):
    """Issue 25, item 10: `fees` was always "0". An issuer's schedule (1.00 USD a request plus
    5 bps of the notional at the last price) is quoted on the request and charged to the AP's
    account as FEE when the request completes; a rejected request costs nothing.

    By hand: 4 AAPL at 200 = 800 USD notional; 5 bps = 0.40; fee 1.40."""
    issuer_side = StandIn()
    with serve_app(issuer_side.app) as url:
        issuer_account = open_funded(broker, cash="0")
        ap = open_funded(broker)
        broker.submit_order(ap, symbol="AAPL", side="buy", qty=D(10))
        broker.end_of_day()
        set_up = broker.set_tokenization_issuer("stockstack", account_id=issuer_account,
                                                base_url=url, api_key=KEY, networks=[DEVNET],
                                                fee_flat=D("1.00"), fee_bps=5)
        assert (set_up.fee_flat, set_up.fee_bps) == (D("1.00"), 5)
        broker.link_tokenization(ap, "stockstack", "desk@ap.example")
        cash_before = broker.trading_account(ap).cash
        request = mint(broker, ap)
        assert request.fees == D("1.40")
        until(lambda: issuer_side.paths()[-1:] == ["/inkind/issuance/confirm"])
        assert broker.trading_account(ap).cash == cash_before      # not charged before it completes
        http = httpx.Client(base_url=broker._http.base_url, auth=("mock-key", "mock-secret"))
        path = f"/v1/accounts/{issuer_account}/tokenization/callback/mint"
        body = {"tokenization_request_id": request.tokenization_request_id,
                "wallet_address": "0x" + "1" * 40, "tx_hash": "0xabc", "network": DEVNET}
        assert D(http.post(path, json=body).json()["fees"]) == D("1.40")
        assert http.post(path, json=body).status_code == 200        # reported twice: charged once
        assert broker.trading_account(ap).cash == cash_before - D("1.40")
        fees = broker.activities(account_id=ap, types=["FEE"])
        assert [(f.net_amount, f.symbol) for f in fees] == [(D("-1.40"), "AAPL")]
        issuer_side.answers["/inkind/issuance"] = [400]
        refused = mint(broker, ap, qty="1")
        until(lambda: broker.tokenization_request(
            ap, refused.tokenization_request_id).status == "rejected")
        assert broker.trading_account(ap).cash == cash_before - D("1.40")
        with pytest.raises(BrokerRejected) as bad:
            broker.set_tokenization_issuer("stockstack", account_id=issuer_account,
                                           base_url=url, api_key=KEY, networks=[DEVNET],
                                           fee_flat=D("0.001"))
        assert (bad.value.status, bad.value.code) == (422, "invalid_fee")
