"""A spin-off over the full stack (issue 30, item 5): the broker delivers the new company's
shares to custody; the factory's owner lists it; the issuer attests them and mints the parent's
holders of record their part of the new token. Figures by hand here."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from issuer.models import ChainTx
from tests.issuer.test_corporate_actions import action, approve, no_halts, send
from tests.issuer.test_restart import _crash_then_finish

D = Decimal
ONE = 10**18
DAY = dt.date


def with_own_manifest(stack, tmp_path: Path) -> Path:
    """The stack's issuer, restarted on a copy of the manifest (the listing adds to it; the
    session's shared one must not learn of a token the next test's chain will not have)."""
    copy = tmp_path / "manifest.json"
    copy.write_text(Path(stack.issuer.settings.manifest).read_text())
    stack.restart(manifest=copy)
    return copy


def list_new_company(stack, manifest: Path, symbol: str, name: str) -> None:
    """What ``deploy.list_stock`` does, as the factory's owner: list through the factory, hand
    out the roles, replace the manifest whole."""
    from deploy.suite import StockConfig, list_through, stock_entry

    suite = stack.suite
    token, compliance, feeds = list_through(suite.factory, suite.registry, suite.libraries,
                                            suite.roles, StockConfig(symbol, name))
    body = json.loads(manifest.read_text())
    body["stocks"][symbol] = stock_entry(token, compliance, feeds)
    written = manifest.with_name(".manifest.new")
    written.write_text(json.dumps(body))
    written.replace(manifest)


def spin_off_to_listing(stack, tmp_path: Path):  # noqa: ANN201
    """100 AAPL tokens (the AP 70, an investor 30) against 100 custody shares; AAPL spins off
    APLS, 1 for every 3 held at the record date (Wed 10/16), delivered Fri 10/18; the broker
    pays fractions as cash in lieu, APLS at $30."""
    from brownie import accounts

    manifest = with_own_manifest(stack, tmp_path)
    stack.broker.set_cash_in_lieu(True)
    stack.broker.set_asset("APLS", name="Apple Spinco", tradable=True, fractionable=True)
    stack.broker.set_price("APLS", D(30))
    t = stack.issuer.chain.stock("AAPL").token
    investor = accounts[7].address
    creation = stack.create("100")
    stack.until(lambda: stack.creation(creation).status == "completed")   # Tue 10/15
    send(stack, t.functions.transfer(investor, 30 * ONE), stack.ap_wallet)
    spin = stack.broker.announce(ca_type="spin_off", ca_sub_type="spin_off",
                                 initiating_symbol="AAPL", target_symbol="APLS",
                                 old_rate=D(3), new_rate=D(1),
                                 declaration_date=DAY(2024, 10, 15), ex_date=DAY(2024, 10, 16),
                                 record_date=DAY(2024, 10, 16), payable_date=DAY(2024, 10, 18))
    return manifest, investor, spin


def test_a_spin_off_lists_the_new_company_and_mints_the_holders_of_record_their_part(
        stack, tmp_path, api):
    """Custody's 100 AAPL at the record give 100 / 3 = 33.333333333 APLS: the broker delivers
    33 (SSO) and pays 0.333333333 * $30 = $9.99 in lieu (CIL). The holders are owed
    floor(100e18 * 1e18 * (1/3) / 1e18) = 33,333,333,333,333,333,333 raw, more than the 33e18
    custody holds, so D = 33e18: the AP gets floor(70e18 * 33e18 / 100e18) = 23.1e18 raw,
    the investor floor(30e18 * 33e18 / 100e18) = 9.9e18; nothing is left (residue 0)."""
    manifest, investor, spin = spin_off_to_listing(stack, tmp_path)
    stack.run()
    ca = action(stack, spin.corporate_action_id)
    assert (ca.kind, ca.status, ca.new_symbol, ca.old_rate, ca.new_rate) == (
        "spin_off", "announced", "APLS", D(3), D(1))
    stack.to_date(DAY(2024, 10, 17))                  # the record is taken after 10/16
    ca = action(stack, spin.corporate_action_id)
    assert ca.status == "recorded", ca.status_reason
    assert (ca.raw_supply, ca.m0, ca.entitled) == (str(100 * ONE), str(ONE), D(100))
    # the parent's mints and burns go on once the holders of record are fixed
    more = stack.create("1")
    stack.to_date(DAY(2024, 10, 18))                  # payable: custody gets its APLS
    ca = action(stack, spin.corporate_action_id)
    assert ca.status == "proposed", ca.status_reason
    assert (ca.filled_qty, ca.cash_in_lieu, ca.custody_entitled) == (
        D(33), D("9.99"), D(100))
    assert (ca.supply_raw, ca.residue, ca.token_symbol) == (str(33 * ONE), D(0), "APLS")
    assert ca.token_name == "Apple Spinco tokenized share"
    figures = {f["name"]: f["value"] for f in
               api["view"].get(f"/v1/corporate-actions/{ca.id}/figures").json()["figures"]}
    assert (figures["N"], figures["D"], figures["residue"]) == ("33", str(33 * ONE), "0")
    stack.until(lambda: stack.creation(more).status == "completed")
    approve(stack, spin.corporate_action_id)
    stack.run()
    ca = action(stack, spin.corporate_action_id)
    assert ca.status == "listing"
    assert ca.owner_calls[0]["symbol"] == "APLS"
    assert ca.owner_calls[0]["to"] == stack.issuer.chain.factory_address
    stack.run()
    assert action(stack, spin.corporate_action_id).status == "listing"   # waits for the owner
    list_new_company(stack, manifest, "APLS", ca.token_name)
    stack.run()
    ca = action(stack, spin.corporate_action_id)
    assert ca.status == "completed", ca.status_reason
    chain = stack.issuer.chain
    assert chain.balance("APLS", stack.ap_wallet) == 23_100_000_000_000_000_000
    assert chain.balance("APLS", investor) == 9_900_000_000_000_000_000
    assert chain.total_supply("APLS") == 33 * ONE == int(ca.final_supply_raw)
    assert chain.reserve_round("APLS")[1] == 33 * ONE      # attested before the first mint
    report = stack.run_report("APLS")
    assert (report.economic_supply, report.custody_settled, report.holds) == (D(33), D(33), True)
    assert stack.run_report("AAPL").holds and no_halts(stack)
    # the new listing is open to creations like any other
    late = stack.create("2", symbol="APLS")
    stack.until(lambda: stack.creation(late).status == "completed")
    assert chain.balance("APLS", stack.ap_wallet) == 25_100_000_000_000_000_000
    assert stack.invariant_held() and no_halts(stack)


@pytest.mark.parametrize("point", ["corporate_action.before_distributing",
                                   "corporate_action.after_tx_sent",
                                   "corporate_action.before_completed"])
def test_a_spin_off_killed_at_each_step_attests_and_mints_once(stack, tmp_path, point):
    """The worker process killed (SIGKILL) from the listing on, then a fresh issuer finishes:
    one attestation, one batchMint of 33e18 raw."""
    manifest, investor, spin = spin_off_to_listing(stack, tmp_path)
    stack.to_date(DAY(2024, 10, 18))
    approve(stack, spin.corporate_action_id)
    stack.run()
    assert action(stack, spin.corporate_action_id).status == "listing"
    list_new_company(stack, manifest, "APLS", "Apple Spinco tokenized share")
    _crash_then_finish(stack, point, lambda: action(
        stack, spin.corporate_action_id).status == "completed")
    ca = action(stack, spin.corporate_action_id)
    chain = stack.issuer.chain
    assert chain.total_supply("APLS") == 33 * ONE
    assert chain.balance("APLS", investor) == 9_900_000_000_000_000_000
    with stack.issuer.session() as db:
        sent = {(tx.key.split(":")[2], tx.attempt, tx.status) for tx in db.scalars(
            select(ChainTx).where(ChainTx.key.like(f"ca:{ca.id}:%")))}
    assert sent == {("attest", 1, "mined"), ("mint-0", 1, "mined")}
    assert stack.run_report("APLS").holds and no_halts(stack)


def test_a_creation_in_flight_at_the_record_gets_its_part_of_the_new_company(stack, tmp_path):
    """Besides the 100 tokens, the AP buys 5 AAPL on Tue 10/15: they settle on the record date
    (Wed 10/16), while the spin-off holds mints, so custody holds 105 AAPL at the record and
    the creation is minted after it. Custody gets 105 / 3 = 35 APLS; the creation counts at
    the AP's wallet for 5e18 raw: R' = 105e18, D = min(floor(105e18 / 3), 35e18) = 35e18; the
    AP gets floor(75e18 * 35e18 / 105e18) = 25e18, the investor 10e18; nothing stays."""
    manifest, investor, spin = spin_off_to_listing(stack, tmp_path)
    late = stack.create("5")                                          # Tue 10/15
    stack.to_date(DAY(2024, 10, 17))
    ca = action(stack, spin.corporate_action_id)
    assert (ca.status, ca.owed_creations, ca.entitled) == ("recorded", D(5), D(100))
    stack.until(lambda: stack.creation(late).status == "completed")   # minted after it
    stack.to_date(DAY(2024, 10, 18))
    ca = action(stack, spin.corporate_action_id)
    assert ca.status == "proposed", ca.status_reason
    assert (ca.filled_qty, ca.supply_raw, ca.residue) == (D(35), str(35 * ONE), D(0))
    approve(stack, spin.corporate_action_id)
    stack.run()
    list_new_company(stack, manifest, "APLS", ca.token_name)
    stack.run()
    assert action(stack, spin.corporate_action_id).status == "completed"
    chain = stack.issuer.chain
    assert chain.balance("APLS", stack.ap_wallet) == 25 * ONE
    assert chain.balance("APLS", investor) == 10 * ONE
    assert chain.balance("AAPL", stack.ap_wallet) == 75 * ONE        # its own 5 AAPL minted
    assert stack.run_report("APLS").holds and stack.run_report("AAPL").holds
    assert no_halts(stack)
