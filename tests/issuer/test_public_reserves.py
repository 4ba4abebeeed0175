"""The reserve for everyone: the public API without a key, its figures equal to the chain and
the reconciliation, signed snapshots anyone verifies with eth-account (the README's lines),
and the page in a real headless browser showing the same figures."""

import json
import shutil
from contextlib import contextmanager
from fractions import Fraction

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from issuer import public, reserves, units
from issuer.app import create_app
from issuer.claims import DEV_SNAPSHOT_KEY
from tests.support import serve_app

pytestmark = pytest.mark.stack

ONE = 10**18


@pytest.fixture
def minted(stack):
    """10 AAPL created and minted through the issuer (attested on the feed on the way)."""
    creation_id = stack.create("10")
    stack.until(lambda: stack.creation(creation_id).status == "completed")
    return stack


@contextmanager
def serve_issuer(issuer):
    with serve_app(create_app(issuer=issuer)) as url:
        yield url


@pytest.fixture
def site(minted):
    with serve_issuer(minted.issuer) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield minted, http


def verify(snapshot: dict) -> str:
    """What the README tells a reader to do: the body's hash is the one signed, and the
    signature recovers to the signer (returned)."""
    message = snapshot["typed_data"]
    assert message["message"]["body"] == "0x" + keccak(text=snapshot["body"]).hex()
    return Account.recover_message(encode_typed_data(full_message=message),
                                   signature=snapshot["signature"])


def test_the_figures_need_no_key_and_equal_the_chain_and_the_reconciliation(site):
    stack, http = site
    listed = http.get("/public/v1/reserves")
    assert listed.status_code == 200 and [v["symbol"] for v in listed.json()] == ["AAPL", "NVDA"]
    aapl = http.get("/public/v1/reserves/aapl").json()
    chain = stack.issuer.chain
    assert int(aapl["raw_supply"]) == chain.total_supply("AAPL", aapl["block"]) == 10 * ONE
    assert int(aapl["multiplier"]) == chain.multiplier("AAPL", aapl["block"])
    with stack.issuer.session() as db:
        report = reserves.reconcile(stack.issuer, db, "AAPL")
    assert aapl["economic_supply"] == format(report.economic_supply, "f") == "10"
    assert aapl["custody_settled"] == format(report.custody_settled, "f")
    assert aapl["holds"] is True
    round_id, settled, _, _ = chain.reserve_round("AAPL")
    assert aapl["attestation"]["round"] == round_id
    assert aapl["attestation"]["settled_shares"] == format(
        units.exact(Fraction(settled, ONE)), "f")
    receipt = chain.w3.eth.get_transaction_receipt(aapl["attestation"]["tx_hash"])
    assert receipt["to"] == chain.stock("AAPL").reserve_feed.address
    assert aapl["feeds"]["reserve"] == chain.stock("AAPL").reserve_feed.address
    assert http.get("/public/v1/reserves/ZZZZ").status_code == 404
    # no key anywhere, and the operator API still wants one
    assert http.get("/v1/reserves").status_code == 401


def test_snapshots_are_signed_and_a_tampered_one_does_not_verify(site):
    stack, http = site
    assert public.refresh(stack.issuer) == 3  # AAPL daily + attestation, NVDA daily
    assert public.refresh(stack.issuer) == 0  # nothing new is due
    history = http.get("/public/v1/reserves/AAPL/history").json()
    assert {(s["kind"]) for s in history} == {"daily", "attestation"}
    expected = Account.from_key(DEV_SNAPSHOT_KEY).address
    for snapshot in history:
        assert snapshot["signer"] == expected
        assert verify(snapshot) == expected
        assert json.loads(snapshot["body"]) == snapshot["figures"]
    forged = dict(history[0])
    figures = json.loads(forged["body"])
    figures["custody_settled"] = "1000000"
    forged["body"] = public.canonical(figures)
    with pytest.raises(AssertionError):
        verify(forged)  # the body no longer hashes to what was signed
    forged = dict(history[0])
    forged["typed_data"] = json.loads(json.dumps(forged["typed_data"]))
    forged["typed_data"]["message"]["block"] += 1
    assert verify(forged) != expected  # another message: another (unknown) signer


CHROMIUM = shutil.which("chromium")


def test_the_page_in_a_browser_shows_what_the_json_and_the_chain_say(site):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "no chromium: toolchain/setup.sh installs Debian's (as root)"
    stack, http = site
    public.refresh(stack.issuer)
    aapl = http.get("/public/v1/reserves/AAPL").json()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(java_script_enabled=False)  # the page needs no script
            requested = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(str(http.base_url) + "/reserves")
            section = page.locator("section[data-symbol=AAPL]")
            shown = {field: section.locator(f"[data-field={field}]").inner_text().strip()
                     for field in ("economic_supply", "custody_settled", "custody_pending",
                                   "surplus", "raw_supply", "multiplier", "holds")}
            assert section.locator("svg polyline").count() == 2
            # no external asset: the page alone was fetched
            assert requested == [str(http.base_url) + "/reserves"]
        finally:
            browser.close()
    assert {k: shown[k] for k in shown if k != "holds"} == {
        k: aapl[k] for k in ("economic_supply", "custody_settled", "custody_pending", "surplus",
                             "raw_supply", "multiplier")}
    assert shown["holds"] == "fully backed"
    assert int(shown["raw_supply"]) == stack.issuer.chain.total_supply("AAPL")


def test_cached_answers_are_the_routes_own_and_nothing_else_is_served_from_the_cache(site):
    stack, http = site
    public.refresh(stack.issuer)
    first = http.get("/public/v1/reserves/AAPL")   # the route computes and caches it
    again = http.get("/public/v1/reserves/AAPL")   # the fast path answers it
    assert again.content == first.content and again.headers["content-type"] == \
        first.headers["content-type"] == "application/json"
    assert "x-request-id" not in again.headers and "x-request-id" in first.headers
    # a query string, another method, another path: the app answers, as before
    assert "x-request-id" in http.get("/public/v1/reserves/AAPL", params={"x": 1}).headers
    assert http.post("/public/v1/reserves/AAPL").status_code == 405
    assert http.get("/public/v1/reserves/AAPL/history").status_code == 200
    assert http.get("/v1/reserves").status_code == 401
    metrics = http.get("/metrics").text
    assert 'route="/public/v1/reserves/{symbol}",status="200"' in metrics
