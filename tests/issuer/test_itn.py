"""Mints and redemptions over the tokenization network (ITN), end to end: the mock broker plays
Alpaca's part over HTTP (its dispatcher thread calls the issuer's ITN endpoints, served here by
uvicorn), the issuer mints and burns on anvil. The AP holds 20 settled AAPL at the broker."""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from custody_mock.client import BrokerRejected
from issuer.app import create_app
from issuer.broker import AlpacaBroker
from issuer.models import AuditEntry, ItnRequest, Participant
from issuer.service import Issuer
from servicekit.tokenization import DEVNET
from tests.support import serve_app

D = Decimal
ONE = 10**18
KEY = "itn-key-given-to-the-broker"
EMAIL = "desk@ap-one.example"


@dataclasses.dataclass
class Network:
    stack: object
    url: str
    http: httpx.Client

    def mint(self, qty: str, **overrides: object):  # noqa: ANN201
        stack = self.stack
        body = {"underlying_symbol": "AAPL", "qty": D(qty), "issuer": "stockstack",
                "network": DEVNET, "wallet_address": stack.ap_wallet, **overrides}
        return stack.broker.tokenization_mint(stack.ap_account, **body)

    def request(self, broker_id: str):  # noqa: ANN201
        return self.stack.broker.tokenization_request(self.stack.ap_account, broker_id)

    def rows(self) -> list[ItnRequest]:
        with self.stack.issuer.session() as db:
            found = list(db.scalars(select(ItnRequest).order_by(ItnRequest.created_at)))
            for row in found:
                db.expunge(row)
            return found


def wait_for(done: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("not done in time")
        time.sleep(0.02)


@pytest.fixture
def itn(stack) -> Iterator[Network]:
    settings = stack.issuer.settings.replace(itn_api_key=KEY)
    stack.issuer.close()
    stack.issuer = Issuer(settings)
    stack.issuer.broker = AlpacaBroker(settings.broker_url, backoff=0.01)
    with stack.issuer.session() as db:
        db.get(Participant, stack.participant_id).email = EMAIL
    stack.broker.submit_order(stack.ap_account, symbol="AAPL", side="buy", qty=D(20))
    stack.broker.end_of_day()
    stack.broker.end_of_day()            # Tue 10/15: the AP's 20 AAPL have settled
    with serve_app(create_app(issuer=stack.issuer)) as url, \
            httpx.Client(base_url=url, headers={"X-API-Key": KEY}) as http:
        stack.broker.set_tokenization_issuer("stockstack", account_id=stack.custody_account,
                                             base_url=url, api_key=KEY, networks=[DEVNET])
        link = stack.broker.link_tokenization(stack.ap_account, "stockstack", EMAIL)
        assert link.client_id == stack.participant_id
        yield Network(stack, url, http)


def minted(network: Network, broker_id: str) -> None:
    """The broker confirmed the journal; the worker mints and reports it."""
    wait_for(lambda: any(r.tokenization_request_id == broker_id and r.status != "created"
                         for r in network.rows()))
    network.stack.run()


def test_an_itn_mint_from_the_aps_request_to_tokens_and_the_callback(itn):
    stack = itn.stack
    request = itn.mint("5")
    assert (request.status, request.transfer_status) == ("pending", None)
    minted(itn, request.tokenization_request_id)
    [row] = itn.rows()
    done = itn.request(request.tokenization_request_id)
    # the AP's 5 settled shares moved into custody by the network's journal, settled at once;
    # 5 tokens minted to the AP's wallet; the broker holds the mint's hash
    assert (row.status, row.qty, row.raw) == ("completed", D(5), str(5 * ONE))
    assert (done.status, done.transfer_status, done.tx_hash) == ("completed", "completed",
                                                                  row.tx_hash)
    assert stack.tokens() == 5 * ONE
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(15)
    assert stack.issuer.broker.position(stack.custody_account, "AAPL").qty_settled == D(5)
    assert stack.invariant_held() and stack.run_report("AAPL").holds
    # asked again with the same payload, the issuer answers the same request: no second mint
    replay = itn.http.post("/inkind/issuance", json=row.payload)
    assert (replay.status_code, replay.json()["issuer_request_id"]) == (200, row.id)
    assert itn.http.post("/inkind/issuance", json={**row.payload, "qty": "6"}).status_code == 409
    stack.run()
    assert stack.tokens() == 5 * ONE and len(itn.rows()) == 1
    # the operator's view: the request with its broker id and mint transaction
    detail = stack_api_get(stack, f"/v1/itn/requests/{request.tokenization_request_id}")
    assert detail["tokenization_request_id"] == request.tokenization_request_id
    assert [t["key"] for t in detail["chain"] if t["status"] == "mined"] == [
        f"attest:itn:{row.id}", f"mint:itn:{request.tokenization_request_id}"]


def stack_api_get(stack, path: str) -> dict:
    from issuer.api.auth import create_key

    with stack.issuer.session() as db:
        key = create_key(db, f"viewer-{time.monotonic_ns()}", "viewer")[1]
    with serve_app(create_app(issuer=stack.issuer)) as url:
        answer = httpx.get(url + path, headers={"X-API-Key": key})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_an_ap_without_the_shares_is_refused_by_the_broker_and_the_issuer_never_asked(itn):
    with pytest.raises(BrokerRejected) as refused:
        itn.mint("21")
    assert (refused.value.status, refused.value.code) == (403, "insufficient_qty")
    assert itn.rows() == []


@pytest.mark.parametrize(("change", "code"), [
    ({"wallet_address": "0x" + "2" * 40}, "wallet_not_client"),
    ({"token_symbol": "NOPE"}, "token_not_on_network"),
    ({"network": "mainnet"}, "token_not_on_network"),
    ({"underlying_symbol": "TSLA"}, "token_not_on_network"),
    ({"client_id": "someone-else"}, "client_not_eligible"),
    ({"qty": "-1"}, "invalid_payload"),
    ({"qty": "1.0000000001"}, "invalid_payload"),
    ({"qty": "NaN"}, "invalid_payload"),
    # issue 25, item 11: accepted before (the last stored as 10): the rule of /v1/creations
    ({"qty": "1e3"}, "invalid_payload"),
    ({"qty": "1_0"}, "invalid_payload"),
    ({"qty": " 1 "}, "invalid_payload"),
    ({"qty": "\uff11"}, "invalid_payload"),
    ({"qty": "+1"}, "invalid_payload"),
    ({"qty": "01"}, "invalid_payload"),
])
def test_the_issuer_refuses_a_mint_request_with_its_reason_and_stores_nothing(itn, change,
                                                                              code):
    stack = itn.stack
    body = {"tokenization_request_id": "tr-1", "qty": "1", "underlying_symbol": "AAPL",
            "token_symbol": token_symbol(stack), "network": DEVNET,
            "client_id": stack.participant_id, "wallet_address": stack.ap_wallet, **change}
    answer = itn.http.post("/inkind/issuance", json=body)
    assert (answer.status_code, answer.json()["code"]) == (400, code), answer.text
    assert answer.json()["reason"]
    assert itn.rows() == []


def token_symbol(stack) -> str:
    return stack.issuer.chain.stock("AAPL").token.functions.symbol().call()


def test_the_itn_endpoints_take_only_the_key_given_to_the_broker(itn):
    for key in (None, "wrong", "x" * 300):
        headers = {} if key is None else {"X-API-Key": key}
        answer = httpx.get(itn.url + "/tokenized-assets", headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (401, "unauthorized")
    assets = itn.http.get("/tokenized-assets").json()
    assert {a["underlying_symbol"] for a in assets} == {"AAPL", "NVDA"}
    assert all(a["networks"] == [DEVNET] for a in assets)
    # an unknown email, an account linked elsewhere
    assert itn.http.post("/accounts/connect", json={"email": "no@x.example",
                                                     "account": "1"}).status_code == 404
    assert itn.http.post("/accounts/connect", json={"email": EMAIL,
                                                     "account": "other"}).status_code == 409


def test_a_paused_token_is_refused_as_frozen(itn):
    from brownie import accounts

    stack = itn.stack
    token = stack.issuer.chain.stock("AAPL").token
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(
        token.functions.pause().transact({"from": accounts[2].address}))
    request = itn.mint("1")
    wait_for(lambda: itn.request(request.tokenization_request_id).status == "rejected")
    assert "asset_frozen" in (itn.request(request.tokenization_request_id).status_reason or "")
    assert itn.rows() == []
    # the AP kept its shares: nothing was journaled
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(20)


def test_an_itn_redemption_delivers_the_shares_then_burns(itn):
    stack = itn.stack
    request = itn.mint("5")
    minted(itn, request.tokenization_request_id)
    token = stack.issuer.chain.stock("AAPL").token
    wallet = stack.issuer.settings.redemption_wallet
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(
        token.functions.transfer(wallet, 2 * ONE).transact({"from": stack.ap_wallet}))
    stack.run()           # indexed: callback/redeem; the broker journals the shares back
    [_, redeem] = itn.rows()
    assert redeem.type == "redeem" and redeem.status in ("pending", "completed")
    wait_for(lambda: stack.broker.tokenization_requests(
        stack.custody_account, type="redeem")[0].status == "completed")
    stack.run()
    [_, redeem] = itn.rows()
    assert (redeem.status, redeem.qty, redeem.raw) == ("completed", D(2), str(2 * ONE))
    assert stack.tokens() == 3 * ONE
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(17)
    assert stack.invariant_held() and stack.run_report("AAPL").holds
    # the broker's request carries the deposit's transfer hash once completed
    [broker_side] = stack.broker.tokenization_requests(stack.custody_account, type="redeem")
    assert broker_side.tx_hash == redeem.tx_hash and broker_side.issuer_request_id == \
        redeem.issuer_request_id


def test_a_rejected_redemption_leaves_the_tokens_in_the_redemption_wallet(itn):
    stack = itn.stack
    request = itn.mint("5")
    minted(itn, request.tokenization_request_id)
    stack.broker.add_fault("itn_journal_fail", account_id=stack.custody_account)
    token = stack.issuer.chain.stock("AAPL").token
    wallet = stack.issuer.settings.redemption_wallet
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(
        token.functions.transfer(wallet, 2 * ONE).transact({"from": stack.ap_wallet}))
    stack.run()
    wait_for(lambda: stack.broker.tokenization_requests(
        stack.custody_account, type="redeem")[0].status == "rejected")
    stack.run()
    [_, redeem] = itn.rows()
    assert redeem.status == "rejected" and "tokens stay" in redeem.status_reason
    assert token.functions.balanceOf(wallet).call() == 2 * ONE
    assert token.functions.totalSupply().call() == 5 * ONE
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(15)
    with stack.issuer.session() as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "itn_redeem.rejected"))
    assert stack.invariant_held() and stack.run_report("AAPL").holds


def test_a_rejected_confirmation_never_mints(itn):
    stack = itn.stack
    stack.broker.add_fault("itn_confirm_rejected", account_id=stack.ap_account)
    request = itn.mint("5")
    wait_for(lambda: [r.status for r in itn.rows()] == ["rejected"])
    stack.run()
    assert stack.tokens() == 0
    assert itn.request(request.tokenization_request_id).status == "rejected"
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(20)


def test_a_request_delivered_twice_and_an_issuer_down_for_a_while_mint_once(itn):
    stack = itn.stack
    stack.broker.add_fault("itn_callback_twice", account_id=stack.ap_account)
    stack.broker.add_fault("itn_issuer_unreachable", count=3,
                           account_id=stack.custody_account)
    request = itn.mint("4")
    minted(itn, request.tokenization_request_id)
    assert [r.status for r in itn.rows()] == ["completed"]
    assert stack.tokens() == 4 * ONE
    assert itn.request(request.tokenization_request_id).status == "completed"


def test_a_lookup_that_misses_a_new_request_and_an_aged_out_one_are_found_by_id(itn):
    stack = itn.stack
    stack.broker.add_fault("itn_aged_out", account_id=stack.ap_account)
    request = itn.mint("5")
    minted(itn, request.tokenization_request_id)
    assert stack.broker.tokenization_requests(stack.ap_account) == []   # aged out of the list
    assert itn.request(request.tokenization_request_id).status == "completed"
    stack.broker.add_fault("itn_lookup_404", count=2, account_id=stack.custody_account)
    token = stack.issuer.chain.stock("AAPL").token
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(token.functions.transfer(
        stack.issuer.settings.redemption_wallet, ONE).transact({"from": stack.ap_wallet}))
    stack.run()
    wait_for(lambda: any(r.type == "redeem" and r.broker_status is not None
                         for r in itn.rows()))
    time.sleep(0.3)
    stack.run()
    stack.run()
    assert [r.status for r in itn.rows() if r.type == "redeem"] == ["completed"]
    assert stack.tokens() == 4 * ONE


def test_mints_confirmed_together_are_minted_by_one_batch_and_each_reported(itn):
    stack = itn.stack
    ids = [itn.mint(q).tokenization_request_id for q in ("1", "2", "3.5")]
    wait_for(lambda: sorted(r.status for r in itn.rows()) == ["confirmed"] * 3)
    stack.run()
    rows = itn.rows()
    assert {r.status for r in rows} == {"completed"} and len({r.mint_batch for r in rows}) == 1
    assert len({r.tx_hash for r in rows}) == 1          # one batchMint
    assert stack.tokens() == int(D("6.5") * ONE)
    assert [itn.request(i).tx_hash for i in ids] == [rows[0].tx_hash] * 3
    batch = rows[0].mint_batch
    assert sorted(_chain_rows(stack, "mint:itnbatch:")) == [(f"mint:itnbatch:{batch}", 1,
                                                            "mined")]
    assert stack.invariant_held() and stack.run_report("AAPL").holds


# ----------------------------------------------------------------------------- crashes


def _worker(stack, crash_at: str) -> int:
    from tests.issuer import worker_process

    settings = stack.issuer.settings
    env = {**os.environ, "ISSUER_DATABASE_URL": settings.database_url,
           "ISSUER_MANIFEST": str(settings.manifest), "ISSUER_RPC_URL": settings.rpc_url,
           "ISSUER_BROKER_URL": settings.broker_url,
           "ISSUER_BROKER_ACCOUNT_ID": settings.broker_account_id,
           "ISSUER_REDEMPTION_WALLET": settings.redemption_wallet,
           "ISSUER_ITN_API_KEY": KEY, "ISSUER_CRASH_AT": crash_at}
    code = worker_process.run(env, passes=4)
    assert code in (0, -signal.SIGKILL), f"the worker failed with exit code {code}"
    return code


def _restart(stack) -> None:
    """A fresh issuer from the settings alone: nothing of the killed process but what it
    stored, sent to the chain or told the broker."""
    settings = stack.issuer.settings
    stack.issuer.close()
    stack.issuer = Issuer(settings)
    stack.issuer.broker = AlpacaBroker(settings.broker_url, backoff=0.01)


def _chain_rows(stack, prefix: str) -> list[tuple[str, int, str]]:
    from issuer.models import ChainTx

    with stack.issuer.session() as db:
        return [(t.key, t.attempt, t.status) for t in db.scalars(
            select(ChainTx).where(ChainTx.key.startswith(prefix)))]


@pytest.mark.parametrize("point", ["itn_mint.after_mint_sent", "itn_mint.before_minted",
                                   "itn_mint.after_callback", "itn_mint.before_completed",
                                   "itn_mint.before_minting"])
def test_an_itn_mint_killed_at_each_step_mints_once_and_reports_once(itn, point):
    stack = itn.stack
    request = itn.mint("5")
    broker_id = request.tokenization_request_id
    wait_for(lambda: [r.status for r in itn.rows()] == ["confirmed"])
    assert _worker(stack, point) == -signal.SIGKILL
    _restart(stack)
    stack.run()
    [row] = itn.rows()
    assert (row.status, row.callback_acknowledged) == ("completed", True)
    assert _chain_rows(stack, "mint:itn:") == [(f"mint:itn:{broker_id}", 1, "mined")]
    assert token_supply(stack) == 5 * ONE
    done = itn.request(broker_id)
    assert (done.status, done.tx_hash) == ("completed", row.tx_hash)
    assert stack.run_report("AAPL").holds


@pytest.mark.parametrize("point", ["itn_redeem.before_pending", "itn_redeem.before_burning",
                                   "itn_redeem.after_burn_sent", "itn_redeem.before_completed"])
def test_an_itn_redemption_killed_at_each_step_burns_once(itn, point):
    stack = itn.stack
    minted(itn, itn.mint("5").tokenization_request_id)
    token = stack.issuer.chain.stock("AAPL").token
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(token.functions.transfer(
        stack.issuer.settings.redemption_wallet, 2 * ONE).transact({"from": stack.ap_wallet}))
    for _ in range(3):   # the broker journals between passes: run until the crash point
        if _worker(stack, point) == -signal.SIGKILL:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"never reached {point}")
    _restart(stack)
    wait_for(lambda: stack.broker.tokenization_requests(
        stack.custody_account, type="redeem")[0].status == "completed")
    stack.run()
    redeems = [r for r in itn.rows() if r.type == "redeem"]
    assert [r.status for r in redeems] == ["completed"]
    assert len(stack.broker.tokenization_requests(stack.custody_account, type="redeem")) == 1
    assert [(k.split(":")[0], a, s) for k, a, s in _chain_rows(stack, "burn:itn:")] == [
        ("burn", 1, "mined")]
    assert token_supply(stack) == 3 * ONE
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(17)
    assert stack.run_report("AAPL").holds


def token_supply(stack) -> int:
    return stack.issuer.chain.stock("AAPL").token.functions.totalSupply().call()


def test_two_linked_aps_each_mint_to_their_own_wallet_only(itn):
    from brownie import accounts

    from issuer import operations

    stack = itn.stack
    second_wallet = accounts[7].address            # verified by the suite's deployment
    assert stack.issuer.chain.is_verified(second_wallet)
    second_account = stack.broker.create_account(given_name="AP", family_name="Two").id
    stack.broker.deposit(second_account, D(100_000))
    with stack.issuer.session() as db:
        second = operations.register_participant(
            stack.issuer, db, name="AP Two", broker_account_id=second_account,
            wallet=second_wallet, actor="test", email="desk@ap-two.example").id
    stack.broker.submit_order(second_account, symbol="AAPL", side="buy", qty=D(5))
    stack.broker.end_of_day()             # Wednesday: AP two's 5 AAPL have settled
    stack.run()
    assert stack.broker.link_tokenization(second_account, "stockstack",
                                          "desk@ap-two.example").client_id == second
    one = itn.mint("2")
    two = stack.broker.tokenization_mint(second_account, underlying_symbol="AAPL", qty=D(3),
                                         issuer="stockstack", network=DEVNET,
                                         wallet_address=second_wallet)
    # AP two asks for tokens into AP one's wallet: the issuer refuses, nothing moves
    wrong = stack.broker.tokenization_mint(second_account, underlying_symbol="AAPL", qty=D(1),
                                           issuer="stockstack", network=DEVNET,
                                           wallet_address=stack.ap_wallet)
    wait_for(lambda: stack.broker.tokenization_request(
        second_account, wrong.tokenization_request_id).status == "rejected")
    assert "wallet_not_client" in stack.broker.tokenization_request(
        second_account, wrong.tokenization_request_id).status_reason
    wait_for(lambda: sorted(r.status for r in itn.rows()) == ["confirmed", "confirmed"])
    stack.run()
    assert {(r.participant_id, r.qty, r.status) for r in itn.rows()} == {
        (stack.participant_id, D(2), "completed"), (second, D(3), "completed")}
    assert stack.tokens() == 2 * ONE and stack.tokens(second_wallet) == 3 * ONE
    assert stack.broker.position(second_account, "AAPL").qty_settled == D(2)
    assert itn.request(one.tokenization_request_id).status == "completed"
    assert stack.broker.tokenization_request(second_account,
                                             two.tokenization_request_id).status == "completed"
    assert stack.invariant_held() and stack.run_report("AAPL").holds


def test_a_mint_request_in_a_corporate_action_window_is_refused(itn):
    import datetime as dt

    stack = itn.stack
    today = stack.broker.clock().date
    stack.broker.announce(ca_type="dividend", ca_sub_type="cash", initiating_symbol="AAPL",
                          declaration_date=today, ex_date=today, record_date=today,
                          payable_date=today + dt.timedelta(days=7), cash=D("0.25"))
    stack.run()                        # the issuer picks the dividend up: the window is open
    request = itn.mint("1")
    wait_for(lambda: itn.request(request.tokenization_request_id).status == "rejected")
    reason = itn.request(request.tokenization_request_id).status_reason
    assert "corporate_action_window" in reason and "is announced" in reason
    assert itn.rows() == []
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(20)


def _dividend_completed(stack, div):  # noqa: ANN001, ANN202
    """The test dividend (paid 10/24) to its end: the reinvestment settled by 10/25, approved
    by a second operator, scheduled and active; its record."""
    import datetime as dt

    from tests.issuer.test_corporate_actions import action, approve

    stack.to_date(dt.date(2024, 10, 25))
    approve(stack, div.corporate_action_id)
    stack.run()
    stack.eod()
    stack.run()
    return action(stack, div.corporate_action_id)


def test_an_itn_redemption_after_the_record_date_waits_for_the_dividend_and_delivers_it(itn):
    """Issue 25, item 9: 5 tokens redeemed over the network after the record date and before the
    dividend completed burned at once at the old multiplier; the participant's dividend on those
    shares (0.004375 shares, 0.875 USD net) stayed in custody owed to nobody. An ITN redemption
    follows the cash redemption's window and rule: nothing is asked of the broker until the
    action completes, then the deposit is worth what the dividend made of it.

    By hand: R = 5e18 raw at the record date (the participant's), M0 = 1e18, custody 5 AAPL;
    0.25 USD a share: gross 1.25, 30 % withheld 0.38 (cents, the broker rounds it up), net 0.87,
    buys 0.87 / 200 = 0.00435 shares; M1 = 1e18 * 5.00435 / 5 = 1.00087e18; the deposit's 5e18
    raw are 5.00435 shares.
    """
    import datetime as dt

    from tests.issuer.test_entitlement import dividend

    stack = itn.stack
    request = itn.mint("5")
    minted(itn, request.tokenization_request_id)
    div = dividend(stack, "0.25")
    stack.run()
    stack.to_date(dt.date(2024, 10, 18))               # the day after the record date
    token = stack.issuer.chain.stock("AAPL").token
    wallet = stack.issuer.settings.redemption_wallet
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(
        token.functions.transfer(wallet, 5 * ONE).transact({"from": stack.ap_wallet}))
    stack.run()
    [_, redeem] = itn.rows()
    assert redeem.status == "detected" and redeem.status_reason.startswith("waiting: ")
    assert stack.broker.tokenization_requests(stack.custody_account, type="redeem") == []
    ca = _dividend_completed(stack, div)
    assert (ca.status, ca.net, ca.filled_qty, ca.m1) == (
        "completed", D("0.87"), D("0.00435"), "1000870000000000000")
    stack.run()
    wait_for(lambda: [r.status for r in stack.broker.tokenization_requests(
        stack.custody_account, type="redeem")] == ["completed"])
    stack.run()
    [_, redeem] = itn.rows()
    assert (redeem.status, redeem.qty, redeem.raw) == ("completed", D("5.00435"), str(5 * ONE))
    assert stack.tokens(wallet) == 0
    # 20 bought - 5 tokenized + 5.00435 delivered back
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D("20.00435")
    assert stack.invariant_held() and stack.run_report("AAPL").holds


def test_an_itn_mint_held_across_the_record_date_earns_its_dividend(itn):
    """Issue 25, item 9 (the mint side): the entitlement's in-flight set knew cash creations and
    redemptions only. An ITN mint whose shares the network journaled into custody on Wed 10/16
    and which is not minted at the record date (the token paused until Fri 10/18) earned the
    dividend the broker paid on them: it mints in pre-dividend units, as a creation does.

    By hand: R = 5e18 raw at the record date (the AP's first mint), M0 = 1e18, custody 8 AAPL
    (5 + the held mint's 3); 0.25 USD a share: gross 2.00, 30 % withheld 0.60, net 1.40 buys
    1.40 / 200 = 0.007 shares; M1 = 1e18 * 8.007 / 8 = 1.000875e18. The held mint's raw is
    floor(3 * 1e36 / M0) = 3e18, worth 3.002625 shares at M1 (before: 3 shares, raw
    2,997,377,... at M1, and 0.002625 shares of residue owed to nobody).
    """
    import datetime as dt

    from brownie import accounts

    from tests.issuer.test_corporate_actions import action
    from tests.issuer.test_entitlement import dividend, owed

    stack = itn.stack
    first = itn.mint("5")
    minted(itn, first.tokenization_request_id)
    div = dividend(stack, "0.25")
    stack.run()
    stack.eod()                                        # Wed 10/16, the day before the ex-date
    stack.run()
    token = stack.issuer.chain.stock("AAPL").token
    w3 = stack.issuer.chain.w3
    held = itn.mint("3")
    wait_for(lambda: any(r.tokenization_request_id == held.tokenization_request_id
                         and r.status == "confirmed" for r in itn.rows()))
    w3.eth.wait_for_transaction_receipt(
        token.functions.pause().transact({"from": accounts[2].address}))
    stack.to_date(dt.date(2024, 10, 18))               # the day after the record date
    [_, row] = itn.rows()
    assert row.status == "confirmed" and row.raw is None
    assert row.arrived_on == dt.date(2024, 10, 16)
    assert owed(stack, action(stack, div.corporate_action_id).id) == [
        ("itn_mint", row.id, D(3), str(3 * ONE), None)]
    w3.eth.wait_for_transaction_receipt(
        token.functions.unpause().transact({"from": accounts[2].address}))
    stack.run()
    [_, row] = itn.rows()
    assert row.status == "confirmed" and row.raw is None   # the window holds it
    ca = _dividend_completed(stack, div)
    assert (ca.status, ca.net, ca.filled_qty, ca.m1) == (
        "completed", D("1.40"), D("0.007"), "1000875000000000000")
    stack.run()
    [_, row] = itn.rows()
    assert (row.status, row.raw) == ("completed", str(3 * ONE))
    assert stack.tokens(stack.ap_wallet) == 8 * ONE
    # at completion the held mint's shares were custody's only residue, and owed to it
    assert (ca.residue, ca.residue_owed, ca.residue_free) == (D("3.002625"), D("3.002625"), 0)
    assert stack.invariant_held() and stack.run_report("AAPL").holds


def test_concurrent_first_mint_requests_of_one_id_store_one_and_never_answer_500(itn):
    """Issue 25, item 11: sixteen concurrent first requests with one tokenization_request_id and
    different payloads gave 8 x 500 (IntegrityError). The stored payload is answered 200, the
    others 409, never a 500, and one request is stored."""
    from concurrent.futures import ThreadPoolExecutor

    stack = itn.stack
    base = {"tokenization_request_id": "tr-race", "underlying_symbol": "AAPL",
            "token_symbol": token_symbol(stack), "network": DEVNET,
            "client_id": stack.participant_id, "wallet_address": stack.ap_wallet}
    bodies = [{**base, "qty": "1" if i % 2 else "2"} for i in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda b: httpx.post(itn.url + "/inkind/issuance", json=b,
                                                     headers={"X-API-Key": KEY}), bodies))
    [row] = itn.rows()
    for body, answer in zip(bodies, answers, strict=True):
        if body["qty"] == str(row.qty):
            assert answer.status_code == 200, answer.text
            assert answer.json()["issuer_request_id"] == row.issuer_request_id
        else:
            assert (answer.status_code, answer.json()["code"]) == (
                409, "request_replayed_differently"), answer.text


# --------------------------------------------------------- issue 25, item 12: operator tools


def _redeemed(itn, raw: int):  # noqa: ANN202
    """The AP sends ``raw`` units to the redemption wallet; the issuer indexes the deposit."""
    stack = itn.stack
    token = stack.issuer.chain.stock("AAPL").token
    wallet = stack.issuer.settings.redemption_wallet
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(
        token.functions.transfer(wallet, raw).transact({"from": stack.ap_wallet}))
    stack.run()
    return next(r for r in itn.rows() if r.type == "redeem")


def _agent_tx(stack, call, role: str = "supply") -> str:  # noqa: ANN001
    """A transaction an issuer key signs outside the issuer's outbox (a crashed worker's, a
    script's): the chain has it, the issuer's records do not."""
    from eth_account import Account

    chain = stack.issuer.chain
    signer = chain.signers[role]
    tx = call.build_transaction({"from": signer.address,
                                 "nonce": chain.w3.eth.get_transaction_count(signer.address),
                                 "gas": 500_000, "gasPrice": chain.w3.eth.gas_price})
    signed = Account.sign_transaction(tx, signer.key)
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_raw_transaction(signed.raw_transaction))
    assert receipt["status"] == 1
    return "0x" + receipt["transactionHash"].hex().removeprefix("0x")


def _with_timeout(itn, seconds: float) -> None:
    stack = itn.stack
    stack.issuer.settings = stack.issuer.settings.replace(itn_redeem_timeout=seconds)


def test_a_redemption_the_broker_never_delivers_goes_to_review_and_is_still_polled(itn):
    """The broker holds the redemption's journal: past ISSUER_ITN_REDEEM_TIMEOUT the request is
    in the operators' queue (`review`), its tokens still counted as delivering; when the broker
    delivers at last, it burns and completes without anyone's hand."""
    stack = itn.stack
    _with_timeout(itn, 0.3)
    minted(itn, itn.mint("5").tokenization_request_id)
    stack.broker.add_fault("itn_redeem_held", count=100_000)
    row = _redeemed(itn, 2 * ONE)
    assert row.status == "pending"
    time.sleep(0.5)
    stack.run()
    row = next(r for r in itn.rows() if r.type == "redeem")
    assert row.status == "review" and "ISSUER_ITN_REDEEM_TIMEOUT" in row.status_reason
    answer = httpx.get(itn.url + "/v1/itn/requests", params={"status": "review"},
                       headers={"X-API-Key": _admin_key(stack)})
    assert [r["id"] for r in answer.json()["items"]] == [row.id]
    assert stack.invariant_held()
    stack.broker.clear_faults()
    wait_for(lambda: stack.broker.tokenization_requests(
        stack.custody_account, type="redeem")[0].status == "completed")
    stack.run()
    row = next(r for r in itn.rows() if r.type == "redeem")
    assert row.status == "completed" and stack.tokens() == 3 * ONE
    assert stack.invariant_held() and stack.run_report("AAPL").holds


def _admin_key(stack) -> str:
    from issuer.api.auth import create_key

    with stack.issuer.session() as db:
        return create_key(db, f"viewer-{time.monotonic_ns()}", "viewer")[1]


def test_force_complete_a_redemption_whose_burn_landed_under_dual_control(itn, api):
    """A redemption in review whose burn is on chain (signed outside the outbox: the issuer's
    records missed it) is completed by an operator's request and an admin's approval; the
    evidence is checked both times, the wrong evidence and the requester's own approval are
    refused, and nothing moves on chain."""
    stack = itn.stack
    _with_timeout(itn, 0.2)
    minted(itn, itn.mint("5").tokenization_request_id)
    stack.broker.add_fault("itn_redeem_held", count=100_000)
    row = _redeemed(itn, 2 * ONE)
    time.sleep(0.3)
    stack.run()
    assert next(r for r in itn.rows() if r.type == "redeem").status == "review"
    path = f"/v1/itn/requests/{row.id}/force-complete"
    # no burn yet: a transfer of the deposit is not the burn, a made-up hash is not found
    refused = api["ops"].post(path, {"tx_hash": row.tx_hash, "reason": "r"})
    assert (refused.status_code, refused.json()["code"]) == (422, "not_the_burn"), refused.text
    refused = api["ops"].post(path, {"tx_hash": "0x" + "ab" * 32, "reason": "r"})
    assert (refused.status_code, refused.json()["code"]) == (422, "tx_not_found")
    refused = api["ops"].post(path, {"tx_hash": "0x12", "reason": "r"})
    assert refused.status_code == 422
    token = stack.issuer.chain.stock("AAPL").token
    wallet = stack.issuer.settings.redemption_wallet
    burn = _agent_tx(stack, token.functions.burn(wallet, 2 * ONE))
    asked = api["ops"].post(path, {"tx_hash": burn, "reason": "the burn landed, the row missed"})
    assert asked.status_code == 202, asked.text
    approval = asked.json()["id"]
    again = api["ops"].post(path, {"tx_hash": burn, "reason": "twice"})
    assert (again.status_code, again.json()["code"]) == (409, "approval_open")
    own = api["ops"].post(f"/v1/approvals/{approval}/approve")
    assert own.status_code == 403
    done = api["admin"].post(f"/v1/approvals/{approval}/approve")
    assert done.status_code == 200, done.text
    row = next(r for r in itn.rows() if r.type == "redeem")
    assert row.status == "completed" and approval in row.status_reason
    with stack.issuer.session() as db:
        actions = [a.action for a in db.scalars(select(AuditEntry).where(
            AuditEntry.subject.in_((row.id, approval))).order_by(AuditEntry.id))]
    assert actions[-3:] == ["approval.request.itn_force_complete", "itn_redeem.completed",
                            "approval.approve.itn_force_complete"]
    assert api["ops"].post(path, {"tx_hash": burn, "reason": "r"}).status_code == 409


def test_close_a_stuck_mint_returns_its_shares_to_the_ap(itn, api):
    """A mint the network journaled in but which will not be minted (the token paused; the AP
    gave up) is closed on an admin's approval: its shares go back to the AP's account by one
    journal, the request ends `closed`, nothing is minted. A minted request is refused."""
    from brownie import accounts

    stack = itn.stack
    done = itn.mint("2")
    minted(itn, done.tokenization_request_id)
    token = stack.issuer.chain.stock("AAPL").token
    stuck = itn.mint("3")
    wait_for(lambda: any(r.tokenization_request_id == stuck.tokenization_request_id
                         and r.status == "confirmed" for r in itn.rows()))
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(
        token.functions.pause().transact({"from": accounts[2].address}))
    stack.run()
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(15)
    rows = {r.tokenization_request_id: r for r in itn.rows()}
    refused = api["ops"].post(f"/v1/itn/requests/{rows[done.tokenization_request_id].id}/close",
                              {"reason": "r"})
    assert (refused.status_code, refused.json()["code"]) == (409, "itn_request_not_stuck")
    row = rows[stuck.tokenization_request_id]
    asked = api["ops"].post(f"/v1/itn/requests/{row.id}/close", {"reason": "the AP withdrew"})
    assert asked.status_code == 202, asked.text
    done_approval = api["admin"].post(f"/v1/approvals/{asked.json()['id']}/approve")
    assert done_approval.status_code == 200, done_approval.text
    journal = done_approval.json()["result"]["journal_id"]
    assert journal
    closed = next(r for r in itn.rows() if r.id == row.id)
    assert closed.status == "closed" and closed.tx_hash is None
    assert stack.broker.journal(journal).qty == D(3)
    stack.eod()                                            # the journal executes at its end
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D(18)
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(
        token.functions.unpause().transact({"from": accounts[2].address}))
    stack.run()
    assert stack.tokens() == 2 * ONE                       # nothing minted for the closed one
    assert stack.invariant_held() and stack.run_report("AAPL").holds


def test_an_excess_mint_is_burned_under_dual_control_once(itn, api):
    """A duplicate mint of a request (signed outside the outbox) breaks the reserve; an operator
    names that transaction and an admin approves its burn from the AP's wallet: at most what it
    minted, never the mint the request counted, one approval per transaction."""
    stack = itn.stack
    request = itn.mint("4")
    minted(itn, request.tokenization_request_id)
    [row] = itn.rows()
    token = stack.issuer.chain.stock("AAPL").token
    feed = stack.issuer.chain.stock("AAPL").reserve_feed
    # the reserve was attested too high (counted the 4 shares twice), so the guard let it pass
    _agent_tx(stack, feed.functions.attest(8 * ONE, 0, stack.issuer.chain.block_time()),
              "reserve")
    duplicate = _agent_tx(stack, token.functions.mint(stack.ap_wallet, 4 * ONE))
    assert stack.tokens() == 8 * ONE
    path = f"/v1/itn/requests/{row.id}/excess-burn"
    counted = api["ops"].post(path, {"tx_hash": row.tx_hash, "amount": "1", "reason": "r"})
    assert (counted.status_code, counted.json()["code"]) == (409, "counted_mint")
    too_much = api["ops"].post(path, {"tx_hash": duplicate, "amount": str(4 * ONE + 1),
                                      "reason": "r"})
    assert (too_much.status_code, too_much.json()["code"]) == (422, "amount_exceeds_excess")
    asked = api["ops"].post(path, {"tx_hash": duplicate, "amount": str(4 * ONE),
                                   "reason": "a duplicate mint after an uncertain confirmation"})
    assert asked.status_code == 202, asked.text
    again = api["ops"].post(path, {"tx_hash": duplicate, "amount": "1", "reason": "r"})
    assert (again.status_code, again.json()["code"]) == (409, "approval_open")
    assert api["ops"].post(f"/v1/approvals/{asked.json()['id']}/approve").status_code == 403
    approved = api["admin"].post(f"/v1/approvals/{asked.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    stack.run()
    assert stack.tokens() == 4 * ONE
    assert stack.run_report("AAPL").holds


def test_redemption_dust_below_nine_decimals_goes_back_to_the_ap(itn):
    """A deposit of 2e18 + 123 raw at M = 1e18 is 2.000000000000000123 shares; the broker
    delivers 2.000000000 (its 9 decimals). The issuer burned all 2e18 + 123 raw and kept the
    123 raw's value; now it burns 2e18 and returns the 123 raw to the AP's wallet."""
    stack = itn.stack
    minted(itn, itn.mint("5").tokenization_request_id)
    row = _redeemed(itn, 2 * ONE + 123)
    wait_for(lambda: stack.broker.tokenization_requests(
        stack.custody_account, type="redeem")[0].status == "completed")
    stack.run()
    row = next(r for r in itn.rows() if r.type == "redeem")
    assert (row.status, row.qty, row.raw, row.dust_raw) == (
        "completed", D(2), str(2 * ONE + 123), "123")
    assert stack.tokens(stack.ap_wallet) == 3 * ONE - 123 + 123
    assert stack.tokens(stack.issuer.settings.redemption_wallet) == 0
    assert stack.issuer.chain.total_supply("AAPL") == 3 * ONE
    assert stack.invariant_held() and stack.run_report("AAPL").holds


def test_the_networks_fee_is_carried_into_the_issuers_records(itn):
    """Issue 25, item 10: the broker's fee for a request (its schedule: 0.50 USD a request
    plus 10 bps; 5 AAPL at 200 = 1000 USD, so 1.50) reaches the issuer's record of the mint
    and of the redemption, and the operator API shows it."""
    stack = itn.stack
    stack.broker.set_tokenization_issuer("stockstack", account_id=stack.custody_account,
                                         base_url=itn.url, api_key=KEY, networks=[DEVNET],
                                         fee_flat=D("0.50"), fee_bps=10)
    minted(itn, itn.mint("5").tokenization_request_id)
    [row] = itn.rows()
    assert (row.status, row.fees) == ("completed", D("1.50"))
    _redeemed(itn, 2 * ONE)

    def redeemed_fees():  # noqa: ANN202
        stack.run()
        return next(r for r in itn.rows() if r.type == "redeem").fees

    wait_for(lambda: redeemed_fees() is not None)
    assert redeemed_fees() == D("0.90")                  # 0.50 + 10 bps of 400
    answer = httpx.get(f"{itn.url}/v1/itn/requests/{row.id}",
                       headers={"X-API-Key": _admin_key(stack)})
    assert D(answer.json()["fees"]) == D("1.50")


def test_the_tokenized_assets_answer_under_a_renamed_ticker_too(itn):
    """Issue 30, item 2: once NVDA's name change to NVDX is recorded, the broker finds the same
    token under both tickers."""
    import datetime as dt

    from issuer.db import utcnow
    from issuer.models import CorporateAction

    with itn.stack.issuer.session() as db:
        db.add(CorporateAction(corporate_action_id="rename-nvda", version=1, symbol="NVDA",
                               kind="name_change", new_symbol="NVDX", status="announced",
                               ex_date=dt.date(2024, 10, 17), created_at=utcnow(),
                               updated_at=utcnow()))
    assets = {a["underlying_symbol"]: a for a in itn.http.get("/tokenized-assets").json()}
    assert set(assets) == {"AAPL", "NVDA", "NVDX"}
    assert assets["NVDX"]["token_address"] == assets["NVDA"]["token_address"] == \
        itn.stack.issuer.chain.stock("NVDA").token.address
    assert assets["NVDX"]["token_symbol"] == assets["NVDA"]["token_symbol"]
