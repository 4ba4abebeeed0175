"""Inputs refused before they cost anything, with a stable code, never a 500 (issue: services
trust). Each case is an input the live attack found reaching a 500, a broker call or a mint."""

from __future__ import annotations

import base64

import httpx
import pytest

from issuer import operations
from issuer.config import Settings, dev_key
from issuer.service import Issuer
from tests.issuer.test_api import _problem, _state

BIG = 2**256


def test_unauthenticated_callers_learn_nothing_and_cost_nothing(stack, api):
    base = str(api["view"].http.base_url)
    # a body that fails validation still gets 401 first: field rules are not disclosed
    bad = httpx.post(base + "/v1/creations", json={"qty": "nope"},
                     headers={"Idempotency-Key": "k"})
    _problem(bad, 401, "unauthorized")
    assert bad.headers["www-authenticate"].startswith("APIKey")
    # a huge unauthenticated body is refused without being read
    huge = httpx.post(base + "/v1/creations", content=b"{" + b" " * (5 << 20) + b"}",
                      headers={"Idempotency-Key": "k", "Content-Type": "application/json"})
    _problem(huge, 401, "unauthorized")
    # an authenticated caller is capped too (413), by declared and by actual length
    too_big = api["ops"].http.post("/v1/creations", content=b" " * (2 << 20),
                                   headers={"Idempotency-Key": "k2",
                                            "Content-Type": "application/json"})
    _problem(too_big, 413, "body_too_large")
    assert _state(stack) == (0, 0, 0, 0)


@pytest.mark.parametrize("wallet", [
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C9",   # one digit's case flipped: bad checksum
    "0X70997970c51812dc3a010c7d01b50e0d17dc79c8",   # 0X prefix
    "70997970c51812dc3a010c7d01b50e0d17dc79c8",     # no prefix
    "0x70997970c51812dc3a010c7d01b50e0d17dc79c",    # 39 digits
])
def test_addresses_must_be_exact(stack, api, wallet):
    _problem(api["cmp"].post("/v1/tokens/AAPL/freeze", {"wallet": wallet, "frozen": True}),
             422, "invalid_address")
    _problem(api["cmp"].post("/v1/investors", {"wallet": wallet, "country": 840}), 422,
             "invalid_address")


def test_a_checksummed_or_single_case_address_passes(stack, api):
    from brownie import accounts

    wallet = accounts[7].address
    for form in (wallet, wallet.lower(), "0x" + wallet[2:].upper()):
        assert api["cmp"].post("/v1/tokens/AAPL/freeze",
                               {"wallet": form, "frozen": True}).status_code == 202


@pytest.mark.parametrize("country", [1.0, "840", 840.5, True])
def test_countries_are_json_integers(stack, api, country):
    from brownie import accounts

    _problem(api["cmp"].post("/v1/investors", {"wallet": accounts[8].address,
                                               "country": country}), 422, "invalid_country")


def test_raw_amounts_beyond_uint256_and_impossible_requests_are_refused_at_once(stack, api):
    from brownie import accounts

    creation = stack.create("2")
    stack.until(lambda: stack.creation(creation).status == "completed")
    ap, bob = stack.ap_wallet, accounts[7].address
    body = {"symbol": "AAPL", "from_wallet": ap, "to_wallet": bob}
    for amount in (BIG, str(BIG), "1e30", -1, 0, "01", True, 2**53):
        _problem(api["cmp"].post("/v1/forced-transfers", {**body, "amount": amount}), 422,
                 "invalid_amount")
    _problem(api["cmp"].post("/v1/tokens/AAPL/partial-freeze",
                             {"wallet": ap, "amount": BIG}), 422, "invalid_amount")
    held = stack.tokens()
    _problem(api["cmp"].post("/v1/forced-transfers", {**body, "amount": str(held + 1)}), 422,
             "amount_exceeds_balance")
    _problem(api["cmp"].post("/v1/forced-transfers", {**body, "to_wallet": ap, "amount": 1}),
             422, "same_wallet")
    _problem(api["cmp"].post("/v1/forced-transfers", {
        **body, "to_wallet": accounts[9].address, "amount": 1}), 422, "chain_refused")
    identity = stack.issuer.chain.registry.functions.identity(ap).call()
    recovery = {"symbol": "AAPL", "lost_wallet": ap, "identity": identity}
    _problem(api["cmp"].post("/v1/recoveries", {**recovery, "new_wallet": "0x" + "00" * 20}),
             422, "invalid_address")
    _problem(api["cmp"].post("/v1/recoveries", {**recovery, "new_wallet": ap}), 422,
             "same_wallet")
    assert api["view"].get("/v1/approvals").json() == []  # nothing was parked


def test_query_parameters_out_of_range_are_422(stack, api):
    stack.run()  # the indexer has run
    _problem(api["view"].get("/v1/audit", after=2**63), 422, "invalid_request")
    _problem(api["view"].get("/v1/reserves/AAPL/history", after=2**64), 422, "invalid_request")
    _problem(api["view"].get("/v1/holders/AAPL", block=0), 422, "block_before_deployment")
    # issue 25, item 3: after the suite's deployment but before the token's, a 500
    # (`BadFunctionCallOutput` on `uiMultiplier()`): the token had no code at that block
    chain = stack.issuer.chain
    token = chain.stock("AAPL").token.address
    first = int(chain.manifest["deploy_block"])
    before_token = next(b for b in range(first, chain.head())
                        if not chain.w3.eth.get_code(token, block_identifier=b))
    assert before_token >= first
    for path in ("/v1/holders/AAPL", "/v1/reserves/AAPL"):
        _problem(api["view"].get(path, block=before_token), 422, "block_before_deployment")
    _problem(api["view"].get("/v1/reserves/AAPL", block=2**63), 422, "invalid_request")
    _problem(api["view"].get("/v1/reserves/AAPL", broker_time="0001-01-01T00:00:00+14:00"),
             422, "invalid_broker_time")
    for crafted in (base64.urlsafe_b64encode(b"2024-01-01T00:00:00|x").decode(),  # naive
                    base64.urlsafe_b64encode(b"0001-01-01T00:00:00+00:00|x").decode(),
                    base64.urlsafe_b64encode(b"2024-01-01T00:00:00+00:00|").decode(),
                    "%%%", "////"):
        _problem(api["view"].get("/v1/creations", cursor=crafted), 422, "invalid_cursor")


def test_broker_account_ids_are_the_brokers_format(stack, api):
    """`x/../<custody id>` passed the "account exists" check against the issuer's own custody
    account; other values gave 500s quoting the broker's account list."""
    from brownie import accounts

    custody = stack.custody_account
    for bad in (f"x/../{custody}", "../accounts", "A" * 36, custody.upper()):
        _problem(api["admin"].post("/v1/participants", {
            "name": "Evil", "broker_account_id": bad, "wallet": accounts[8].address}),
            422, "invalid_broker_account")


def test_an_unexpected_error_is_a_generic_problem_with_a_correlation_id(stack, api, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("SELECT secret_column FROM private_table -- psycopg internals")

    monkeypatch.setattr(operations, "request_creation", explode)
    body = {"participant_id": stack.participant_id, "symbol": "AAPL", "qty": "1"}
    failed = api["ops"].post("/v1/creations", body)
    problem = _problem(failed, 500, "internal_error")
    assert "SELECT" not in failed.text and "psycopg" not in failed.text
    assert len(problem["correlation_id"]) == 32 and problem["correlation_id"] in problem["detail"]


def test_405_lists_every_method_the_path_serves(stack, api):
    answer = api["ops"].http.delete("/v1/creations")
    _problem(answer, 405, "method_not_allowed")
    assert {"GET", "POST"} <= {m.strip() for m in answer.headers["allow"].split(",")}


def test_development_secrets_are_refused_off_a_devnet():
    settings = Settings()
    settings.check_secrets(31337)  # a local devnet: fine
    with pytest.raises(ValueError) as refused:
        settings.check_secrets(1)
    message = str(refused.value)
    assert "ISSUER_SUPPLY_KEY" in message and "ISSUER_CLAIM_KEY" in message
    assert "ISSUER_BROKER_KEY" in message and "ISSUER_SNAPSHOT_KEY" in message
    assert dev_key(2)[2:] not in message  # names the settings, never the values
    real = Settings(supply_key="0x" + "11" * 32, registrar_key="0x" + "12" * 32,
                    corporate_action_key="0x" + "13" * 32, reserve_key="0x" + "14" * 32,
                    claim_key="0x" + "15" * 32, snapshot_key="0x" + "16" * 32,
                    broker_key="live", broker_secret="s3cret")
    real.check_secrets(1)
    shown = repr(real)
    assert "s3cret" not in shown and "11" * 32 not in shown and "15" * 32 not in shown


def test_the_chain_id_is_the_rpcs_not_the_manifests(deployed, tmp_path):
    """Issue 25, item 6: the devnet-key guard read the chain id from the manifest, so the
    development keys served against an RPC whose `eth_chainId` was 5. The issuer reads it from
    the RPC at start, refuses a manifest of another chain, and guards the RPC's chain."""
    import json
    import subprocess
    import time

    from issuer.chain import ChainMismatch
    from tests.support import free_port

    _suite, manifest = deployed
    port = free_port()
    anvil = subprocess.Popen(["anvil", "--port", str(port), "--chain-id", "5", "--silent"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rpc = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.post(rpc, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        # the devnet's manifest (31337) against chain 5: refused, whatever the keys
        with pytest.raises(ChainMismatch) as refused:
            Issuer(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", manifest=manifest,
                            rpc_url=rpc))
        assert "5" in str(refused.value) and "31337" in str(refused.value)
        # a manifest that says chain 5, with the development keys: the guard applies to 5
        five = tmp_path / "five.json"
        five.write_text(json.dumps({**json.loads(manifest.read_text()), "chain_id": 5}))
        with pytest.raises(ValueError, match="publicly known development secret"):
            Issuer(Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", manifest=five,
                            rpc_url=rpc))
    finally:
        anvil.terminate()
        anvil.wait(timeout=10)


def test_failed_authentications_are_throttled_per_source(stack, api):
    """Issue 25, item 5: 500 wrong ITN keys and 300 wrong API keys in about a second were all
    answered 401. After ISSUER_AUTH_FAILURE_LIMIT failures in the window, the source gets 429
    with Retry-After before any key is looked at (the right key too, until it ages out), on the
    operator API and the tokenization routes alike; both are counted in /metrics."""
    limit = stack.issuer.settings.auth_failure_limit
    assert limit > 0
    base = str(api["view"].http.base_url)
    answers = [httpx.get(base + "/v1/creations", headers={"X-API-Key": f"guess-{i}"})
               for i in range(limit)]
    assert {a.status_code for a in answers} == {401}
    for guess in (httpx.get(base + "/v1/creations", headers={"X-API-Key": "one-more"}),
                  httpx.post(base + "/inkind/issuance", json={}, headers={"X-API-Key": "x"}),
                  api["view"].get("/v1/creations")):   # a right key, from the same source
        _problem(guess, 429, "too_many_failed_authentications")
        assert 1 <= int(guess.headers["Retry-After"]) <= stack.issuer.settings.auth_failure_window
    metrics = httpx.get(base + "/metrics").text
    assert f'issuer_auth_failures_total{{api="operator"}} {float(limit)}' in metrics
    assert 'issuer_auth_throttled_total{api="operator",reason="failed_authentication"} 2.0' \
        in metrics
    assert 'issuer_auth_throttled_total{api="network",reason="failed_authentication"} 1.0' \
        in metrics


def test_the_throttle_forgets_a_source_after_its_window():
    from servicekit.throttle import FailureThrottle

    now = [0.0]
    throttle = FailureThrottle(3, 60, max_sources=2, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("a") is None
        throttle.failed("a")
    assert throttle.retry_after("a") == 60
    now[0] = 30
    assert throttle.retry_after("a") == 30
    now[0] = 60.5
    assert throttle.retry_after("a") is None     # the first failure aged out
    throttle.failed("b")
    throttle.failed("c")                          # at most two sources are kept
    assert throttle.retry_after("a") is None and len(throttle._failures) == 2
