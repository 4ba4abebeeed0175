"""Corporate actions over the full stack: the broker's announcements, through the issuer, onto
the token's multiplier, each checked against figures computed by hand here, with the invariant
checked at every worker pass (``stack.reports``).

The broker starts on Friday 2024-10-11 (Columbus Day on the Monday after), AAPL at 200.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from issuer import controls, operations
from issuer.api.auth import Principal
from issuer.corporate.schedule import reference
from issuer.models import AuditEntry, CorporateAction, SymbolHalt
from servicekit.calendar import NEW_YORK

D = Decimal
ONE = 10**18
DAY = dt.date


def action(stack, corporate_action_id: str) -> CorporateAction:
    with stack.issuer.session() as db:
        row = db.scalar(select(CorporateAction).where(
            CorporateAction.corporate_action_id == corporate_action_id))
        assert row is not None, "the issuer did not pick up the announcement"
        db.expunge(row)
        return row


#: The second operator of the maker-checker pairs below (no stored key: no issuing chain).
OPERATOR_B = Principal("key-of-operator-b", "operator-b", "operator", "operator-b")


def approve(stack, corporate_action_id: str) -> None:
    """Maker-checker with two operators, as the API does it."""
    with stack.issuer.session() as db:
        row = db.scalar(select(CorporateAction).where(
            CorporateAction.corporate_action_id == corporate_action_id))
        approval = controls.request_apply(db, row, "operator-a")
        controls.decide(stack.issuer, db, approval.id, approve=True, principal=OPERATOR_B,
                        actor_role_ok=True)


def send(stack, fn, sender: str) -> None:
    w3 = stack.issuer.chain.w3
    w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))


def token(stack, symbol: str = "AAPL"):
    return stack.issuer.chain.stock(symbol).token


def economic(stack, wallet: str, symbol: str = "AAPL") -> D:
    t = token(stack, symbol)
    return D(t.functions.balanceOf(wallet).call() * t.functions.uiMultiplier().call()) \
        / D(ONE * ONE)


def mint_100(stack) -> None:
    creation = stack.create("100")
    stack.until(lambda: stack.creation(creation).status == "completed")
    assert stack.tokens() == 100 * ONE


def no_halts(stack) -> bool:
    with stack.issuer.session() as db:
        return db.scalar(select(SymbolHalt)) is None


def test_dividend_with_three_holders_one_frozen_one_minting_after_the_record_date(stack):
    from brownie import accounts
    from eth_account import Account

    investor, frozen = accounts[7].address, Account.create().address
    with stack.issuer.session() as db:                # onboarded by the issuer itself
        operations.onboard_investor(stack.issuer, db, wallet=frozen, country=840,
                                    identity=None, actor="test")
    stack.broker.set_account_flags(stack.custody_account, country_of_tax_residence="DEU")
    mint_100(stack)                                  # Tue 10/15: AP wallet holds 100
    t = token(stack)
    send(stack, t.functions.transfer(investor, 30 * ONE), stack.ap_wallet)
    send(stack, t.functions.transfer(frozen, 20 * ONE), stack.ap_wallet)
    send(stack, t.functions.setAddressFrozen(frozen, True), accounts[2].address)
    div = stack.broker.announce(ca_type="dividend", ca_sub_type="cash",
                                initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                ex_date=DAY(2024, 10, 17), record_date=DAY(2024, 10, 17),
                                payable_date=DAY(2024, 10, 24), cash=D("1.00"))
    stack.run()
    assert action(stack, div.corporate_action_id).status == "announced"

    stack.to_date(DAY(2024, 10, 17))                 # the ex-date: the window opens
    late = stack.create("10")                        # bought on the ex-date: not entitled
    stack.to_date(DAY(2024, 10, 18))
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "recorded"
    # R = 100 raw shares (the 10 bought on the ex-date are not minted), M0 = 1, E = 100
    assert (ca.raw_supply, ca.m0, ca.entitled) == (str(100 * ONE), str(ONE), D(100))
    assert stack.creation(late).status == "settled"
    assert "corporate action" in stack.creation(late).status_reason

    stack.to_date(DAY(2024, 10, 25))                 # paid 10/24, reinvestment settles 10/25
    ca = action(stack, div.corporate_action_id)
    # gross 100 * 1.00 = 100.00; 30 % withheld = 30.00; net 70.00 buys 70 / 200 = 0.35 shares
    assert (ca.custody_entitled, ca.gross, ca.withholding, ca.fees, ca.net) == \
        (D(100), D("100.00"), D("30.00"), D(0), D("70.00"))
    assert ca.filled_qty == D("0.35")
    # M1 = 1e18 * (100 + 0.35) / 100; custody settled 100 + 10 + 0.35, R * M1 = 100.35
    assert ca.status == "proposed"
    assert ca.m1 == "1003500000000000000" == ca.m1_uncapped
    assert ca.custody_settled == D("110.35") and ca.residue == D("10")
    assert t.functions.uiMultiplier().call() == ONE   # nothing applied before approval

    approve(stack, div.corporate_action_id)
    stack.run()
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "scheduled"
    assert t.functions.newUIMultiplier().call() == 1003500000000000000
    assert stack.creation(late).status == "settled"  # mints wait for the activation
    stack.eod()
    stack.run()
    assert action(stack, div.corporate_action_id).status == "completed"
    assert stack.creation(late).status == "completed"

    # raw balances never moved; economic shares grew by 0.35 %
    assert t.functions.balanceOf(investor).call() == 30 * ONE
    assert t.functions.balanceOf(frozen).call() == 20 * ONE
    assert t.functions.isFrozen(frozen).call()
    assert economic(stack, investor) == D("30.105")
    assert economic(stack, frozen) == D("20.07")
    # the AP: 50 * 1.0035 plus the late creation minted at M1, floor(10e36 / 1.0035e18) raw
    late_raw = 9965122072745391131
    assert stack.tokens() == 50 * ONE + late_raw
    assert economic(stack, stack.ap_wallet) == D("50.175") + D(late_raw * 1003500000000000000) \
        / D(ONE * ONE)
    # at activation custody held the 10 unminted shares beyond R * M1; once they are minted
    # only the floors of M1 and of the mint are left over
    assert action(stack, div.corporate_action_id).residue == D(10)
    # the record still hashes to the schedule's ref on chain (the supply M1 was computed
    # from stays as it was hashed; the supply at completion is a figure of its own)
    completed = action(stack, div.corporate_action_id)
    scheduled = t.events.MultiplierScheduled().get_logs(from_block=0)
    assert [e.args.ref for e in scheduled] == [reference(completed)]
    assert completed.supply_raw == str(100 * ONE)
    assert D(0) <= stack.run_report("AAPL").surplus < D("0.000000001")
    assert stack.invariant_held() and no_halts(stack)

    # redeeming 20 shares at M1 burns 20e36 / 1.0035e18 = 19930244145490782262.08... raw,
    # rounded up: the tokens burned are worth at least the 20 shares sold
    redemption = stack.redeem("20")
    stack.until(lambda: stack.redemption(redemption).status == "completed")
    assert stack.redemption(redemption).burn_raw == "19930244145490782263"
    assert D(0) <= stack.run_report("AAPL").surplus < D("0.000000001")
    assert stack.invariant_held() and no_halts(stack)


def test_amended_dividend_is_reinvested_at_the_amended_rate_and_approved_by_two_operators(
        stack, api):
    stack.broker.set_account_flags(stack.custody_account, country_of_tax_residence="DEU")
    mint_100(stack)
    div = stack.broker.announce(ca_type="dividend", ca_sub_type="cash",
                                initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                ex_date=DAY(2024, 10, 17), record_date=DAY(2024, 10, 17),
                                payable_date=DAY(2024, 10, 22), cash=D("0.50"))
    stack.run()
    stack.broker.amend(div.corporate_action_id, cash="0.80", payable_date="2024-10-23")
    stack.run()
    ca = action(stack, div.corporate_action_id)
    assert (ca.version, ca.cash_rate, ca.payable_date) == (2, D("0.80"), DAY(2024, 10, 23))
    stack.to_date(DAY(2024, 10, 24))
    ca = action(stack, div.corporate_action_id)
    # 100 * 0.80 = 80.00 gross, 24.00 withheld, 56.00 buys 0.28 shares: M1 = 1.0028
    assert (ca.gross, ca.withholding, ca.net, ca.filled_qty) == \
        (D("80.00"), D("24.00"), D("56.00"), D("0.28"))
    assert ca.status == "proposed" and ca.m1 == "1002800000000000000"

    shown = api["view"].get(f"/v1/corporate-actions/{ca.id}").json()
    assert (shown["m1"], shown["net"], shown["entitled"]) == ("1002800000000000000", "56",
                                                             "100")
    assert api["view"].post(f"/v1/corporate-actions/{ca.id}/apply").status_code == 403
    asked = api["ops"].post(f"/v1/corporate-actions/{ca.id}/apply")
    assert asked.status_code == 202, asked.text
    approval = asked.json()["id"]
    same = api["ops"].post(f"/v1/approvals/{approval}/approve")
    assert (same.status_code, same.json()["code"]) == (403, "same_approver")
    assert api["ops2"].post(f"/v1/approvals/{approval}/approve").status_code == 200
    stack.run()
    stack.eod()
    stack.run()
    assert action(stack, div.corporate_action_id).status == "completed"
    assert token(stack).functions.uiMultiplier().call() == 1002800000000000000
    assert economic(stack, stack.ap_wallet) == D("100.28")
    with stack.issuer.session() as db:
        actions = set(db.scalars(select(AuditEntry.action)))
    assert {"corporate_action.announced", "corporate_action.amended",
            "approval.request.multiplier_change", "approval.approve.multiplier_change",
            "corporate_action.scheduled", "corporate_action.completed"} <= actions
    assert stack.invariant_held() and no_halts(stack)


def test_forward_split_4_for_1_with_the_window_and_a_creation_across_it(stack):
    mint_100(stack)                                            # Tue 10/15
    split = stack.broker.announce(ca_type="split", ca_sub_type="stock_split",
                                  initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                  ex_date=DAY(2024, 10, 18), old_rate=D(1), new_rate=D(4))
    stack.run()
    ca = action(stack, split.corporate_action_id)
    assert (ca.status, ca.m0, ca.m1) == ("proposed", str(ONE), str(4 * ONE))
    approve(stack, split.corporate_action_id)
    stack.run()
    ca = action(stack, split.corporate_action_id)
    assert ca.status == "scheduled"
    t = token(stack)
    assert t.functions.marketDataPaused().call()
    # takes effect at the chain time of the broker's 10/18 00:00 New York
    assert ca.effective_at == t.functions.effectiveAt().call()
    across = stack.create("10")                                # bought 10/15, settles 10/16
    stack.to_date(DAY(2024, 10, 17))
    assert stack.creation(across).status == "settled"         # the mint waits for the split
    stack.to_date(DAY(2024, 10, 18))
    ca = action(stack, split.corporate_action_id)
    assert ca.status == "completed", ca.status_reason
    assert not t.functions.marketDataPaused().call()
    assert (ca.price_before, ca.price_after) == (D(200), D(50))  # 50 * 4 = 200 * 1
    assert t.functions.uiMultiplier().call() == 4 * ONE
    # the 10 pre-split shares became 40; minted at M1 = 4 they are 10 raw units
    assert stack.creation(across).status == "completed"
    assert stack.tokens() == 110 * ONE
    assert economic(stack, stack.ap_wallet) == D(440)
    # at completion the creation's 40 shares were not minted yet: residue 40, then none
    assert stack.broker.position(stack.custody_account, "AAPL").qty == D(440)
    assert ca.residue == D(40) and stack.run_report("AAPL").surplus == D(0)
    assert stack.invariant_held() and no_halts(stack)


def test_reverse_split_1_for_10_with_cash_in_lieu_reinvested_and_fractional_residue(stack):
    stack.broker.set_cash_in_lieu(True)
    creation = stack.create("105.5")
    stack.until(lambda: stack.creation(creation).status == "completed")   # Tue 10/15
    split = stack.broker.announce(ca_type="split", ca_sub_type="reverse_split",
                                  initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                  ex_date=DAY(2024, 10, 18), old_rate=D(10), new_rate=D(1))
    stack.run()
    ca = action(stack, split.corporate_action_id)
    # M1 = 1e18 / 10; custody 105.5 -> 10.55, of which 0.55 would be paid in lieu: warned
    assert ca.m1 == str(ONE // 10)
    assert "0.55" in ca.warning and "top up" in ca.warning
    # the issuer's treasury tops custody up by 4.5 shares (surplus collateral)
    stack.broker.submit_order(stack.custody_account, symbol="AAPL", side="buy", qty=D("4.5"),
                              client_order_id="treasury-top-up")
    approve(stack, split.corporate_action_id)
    stack.to_date(DAY(2024, 10, 18))
    ca = action(stack, split.corporate_action_id)
    # custody 110 -> 11 whole shares, no fraction; supply 105.5 raw * 0.1 = 10.55 shares
    assert ca.status == "completed", ca.status_reason
    assert ca.cash_in_lieu == D(0)
    assert ca.residue == D("0.45")
    assert economic(stack, stack.ap_wallet) == D("10.55")
    assert stack.invariant_held() and no_halts(stack)


def test_reverse_split_cash_in_lieu_is_reinvested(stack):
    stack.broker.set_cash_in_lieu(True)
    creation = stack.create("100")
    stack.until(lambda: stack.creation(creation).status == "completed")
    # 5.5 shares of surplus collateral: custody 105.5 -> 10.55, 0.55 paid in lieu at 2,000
    stack.broker.submit_order(stack.custody_account, symbol="AAPL", side="buy", qty=D("5.5"),
                              client_order_id="treasury-surplus")
    split = stack.broker.announce(ca_type="split", ca_sub_type="reverse_split",
                                  initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                  ex_date=DAY(2024, 10, 18), old_rate=D(10), new_rate=D(1))
    stack.run()
    approve(stack, split.corporate_action_id)
    stack.to_date(DAY(2024, 10, 18))
    ca = action(stack, split.corporate_action_id)
    assert ca.status == "completed", ca.status_reason
    # 0.55 * 2,000 = 1,100.00 in lieu, reinvested: 0.55 shares bought back
    assert ca.cash_in_lieu == D("1100.00") and ca.filled_qty == D("0.55")
    # settled custody 10 whole shares against 100 raw * 0.1 = 10 shares
    assert ca.residue == D(0) and economic(stack, stack.ap_wallet) == D(10)
    assert stack.broker.position(stack.custody_account, "AAPL").qty == D("10.55")
    assert stack.invariant_held() and no_halts(stack)


def test_dividend_and_split_in_the_same_week(stack):
    stack.broker.set_account_flags(stack.custody_account, country_of_tax_residence="DEU")
    mint_100(stack)                                            # Tue 10/15
    div = stack.broker.announce(ca_type="dividend", ca_sub_type="cash",
                                initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                ex_date=DAY(2024, 10, 21), record_date=DAY(2024, 10, 21),
                                payable_date=DAY(2024, 10, 22), cash=D("2.00"))
    split = stack.broker.announce(ca_type="split", ca_sub_type="stock_split",
                                  initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                  ex_date=DAY(2024, 10, 25), old_rate=D(1), new_rate=D(2))
    stack.run()
    # the split waits for the dividend before it computes from M0
    assert action(stack, split.corporate_action_id).status == "announced"
    stack.to_date(DAY(2024, 10, 23))                           # reinvestment settled
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "proposed", ca.status_reason
    # 200.00 gross, 60.00 withheld, 140.00 buys 0.7 shares: M1 = 1.007
    assert (ca.net, ca.filled_qty, ca.m1) == (D("140.00"), D("0.7"), "1007000000000000000")
    approve(stack, div.corporate_action_id)
    stack.run()
    stack.eod()                                                # Thu 10/24
    stack.run()
    assert action(stack, div.corporate_action_id).status == "completed"
    sp = action(stack, split.corporate_action_id)
    assert (sp.status, sp.m0, sp.m1) == ("proposed", "1007000000000000000",
                                         "2014000000000000000")
    approve(stack, split.corporate_action_id)
    stack.to_date(DAY(2024, 10, 25))
    assert action(stack, split.corporate_action_id).status == "completed"
    assert economic(stack, stack.ap_wallet) == D("201.4")     # 100 * 1.007 * 2
    assert stack.broker.position(stack.custody_account, "AAPL").qty == D("201.4")
    assert stack.invariant_held() and no_halts(stack)


def test_a_split_not_continuous_in_price_stays_in_its_window(stack):
    mint_100(stack)
    split = stack.broker.announce(ca_type="split", ca_sub_type="stock_split",
                                  initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                  ex_date=DAY(2024, 10, 17), old_rate=D(1), new_rate=D(2))
    stack.run()
    approve(stack, split.corporate_action_id)
    stack.run()
    stack.eod()                                                # Wed 10/16
    # a price point a second after the split that does not follow it: 200 * 2 vs 200 * 1
    stack.broker.set_price("AAPL", D(200), dt.datetime(2024, 10, 17, 0, 0, 1, tzinfo=NEW_YORK))
    stack.to_date(DAY(2024, 10, 17))
    ca = action(stack, split.corporate_action_id)
    assert ca.status == "checking"
    assert "not continuous" in ca.status_reason
    late = stack.create("1")
    stack.to_date(DAY(2024, 10, 18))
    assert stack.creation(late).status == "settled"            # still held in the window
    stack.broker.set_price("AAPL", D("100.5"))                 # 100.5 * 2 vs 200: 0.5 %
    stack.run()
    assert action(stack, split.corporate_action_id).status == "completed"
    assert stack.creation(late).status == "completed"


@pytest.mark.parametrize("figure", ["m1", "version", "supply_raw", "net"])
def test_an_approval_for_other_figures_is_refused(stack, figure):
    """Each figure the second operator approves (the multiplier, a spin-off's or merger's raw
    to mint, a merger's cash, the announcement's version), changed after the request: the
    approval is stale and nothing is scheduled."""
    mint_100(stack)
    stack.broker.announce(ca_type="split", ca_sub_type="stock_split", initiating_symbol="AAPL",
                          declaration_date=DAY(2024, 10, 15), ex_date=DAY(2024, 10, 18),
                          old_rate=D(1), new_rate=D(3))
    stack.run()
    with stack.issuer.session() as db:
        row = db.scalar(select(CorporateAction))
        approval = controls.request_apply(db, row, "operator-a")
        approval_id = approval.id
        setattr(row, figure, {"m1": "1", "version": 7, "supply_raw": "1", "net": D(1)}[figure])
    with stack.issuer.session() as db, pytest.raises(Exception) as refused:
        controls.decide(stack.issuer, db, approval_id, approve=True, principal=OPERATOR_B,
                        actor_role_ok=True)
    assert getattr(refused.value, "code", None) == "approval_stale"
    assert token(stack).functions.effectiveAt().call() == 0


def test_a_stock_dividend_of_one_share_per_forty_with_cash_in_lieu(stack):
    """Issue 30, item 1: a stock dividend folded into the multiplier, bounded by custody.

    Custody holds 100 settled shares for 100 tokens (M0 = 1). One new share per 40 held
    (old_rate 40, new_rate 41: 41 / 40 - 1 = 0.025 per share): the broker owes 100 * 0.025 =
    2.5 shares, delivers 2 and pays the half share in cash at $200: $100.00 (CIL). M1 =
    floor(1e18 * (100 + 2) / 100) = 1.02e18; the supply at M1 is 100 * 1.02 = 102 shares, what
    custody holds: residue 0. The half share's cash stays in custody as cash."""
    stack.broker.set_cash_in_lieu(True)
    mint_100(stack)                                   # Tue 10/15: the AP holds 100 tokens
    t = token(stack)
    div = stack.broker.announce(ca_type="dividend", ca_sub_type="stock",
                                initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                ex_date=DAY(2024, 10, 17), record_date=DAY(2024, 10, 17),
                                payable_date=DAY(2024, 10, 22), old_rate=D(40),
                                new_rate=D(41))
    stack.run()
    ca = action(stack, div.corporate_action_id)
    assert (ca.kind, ca.status, ca.cash_rate) == ("stock_dividend", "announced", None)
    assert (ca.old_rate, ca.new_rate) == (D(40), D(41))
    stack.to_date(DAY(2024, 10, 18))
    ca = action(stack, div.corporate_action_id)
    assert (ca.status, ca.raw_supply, ca.m0, ca.entitled) == (
        "recorded", str(100 * ONE), str(ONE), D(100))
    late = stack.create("1")                          # after the ex-date: held by the window
    stack.to_date(DAY(2024, 10, 22))                  # the new shares are paid
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "proposed", ca.status_reason
    assert (ca.custody_entitled, ca.filled_qty, ca.cash_in_lieu) == (D(100), D(2), D("100.00"))
    assert ca.m1 == ca.m1_uncapped == "1020000000000000000"
    # custody: 100 + 2 new + the 1 bought for the late creation, which is owed at face value
    assert ca.custody_settled == D(103) and ca.residue == D(1) and ca.residue_free == D(0)
    assert stack.creation(late).status != "completed"
    assert t.functions.uiMultiplier().call() == ONE   # nothing applied before approval

    approve(stack, div.corporate_action_id)
    stack.run()
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "scheduled"
    assert t.functions.newUIMultiplier().call() == 1020000000000000000
    stack.eod()
    stack.run()
    assert action(stack, div.corporate_action_id).status == "completed"
    stack.until(lambda: stack.creation(late).status == "completed")
    # the AP's 100 tokens are now worth 102 shares; the late share minted at M1:
    # floor(1e36 / 1.02e18) = 980392156862745098 raw
    assert stack.tokens() == 100 * ONE + 980392156862745098
    assert economic(stack, stack.ap_wallet) == D(102) + D(980392156862745098 * 102) / D(10**20)
    scheduled = t.events.MultiplierScheduled().get_logs(from_block=0)
    assert [e.args.ref for e in scheduled] == [reference(action(stack, div.corporate_action_id))]
    assert [e.args.kind for e in scheduled] == [0]    # Other: bounded by custody
    assert D(0) <= stack.run_report("AAPL").surplus < D("0.000000001")
    assert stack.invariant_held() and no_halts(stack)


def test_the_calendar_shows_every_kind_with_its_window_to_operators_and_the_public(stack, api):
    """Issue 30, item 7: one calendar (operator API, console, public page) with each action's
    dates, its window (held mints and burns from the ex-date until it ends) and its state."""
    mint_100(stack)                                              # Tue 10/15
    split = stack.broker.announce(ca_type="split", ca_sub_type="stock_split",
                                  initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                  ex_date=DAY(2024, 10, 21), old_rate=D(1), new_rate=D(2))
    div = stack.broker.announce(ca_type="dividend", ca_sub_type="stock",
                                initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                ex_date=DAY(2024, 10, 16), record_date=DAY(2024, 10, 16),
                                payable_date=DAY(2024, 10, 18), old_rate=D(40),
                                new_rate=D(41))
    stack.run()
    shown = api["view"].get("/v1/corporate-actions/calendar")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["broker_date"] == "2024-10-15"
    # by ex-date: the stock dividend (10/16) before the split (10/21); neither holds yet
    assert [(e["corporate_action_id"], e["kind"], e["ex_date"]) for e in body["entries"]] == [
        (div.corporate_action_id, "stock_dividend", "2024-10-16"),
        (split.corporate_action_id, "forward_split", "2024-10-21")]
    assert [e["window"] for e in body["entries"]] == [
        {"opens_on": "2024-10-16", "closed_at": None, "holds_mints_and_burns": False},
        {"opens_on": "2024-10-21", "closed_at": None, "holds_mints_and_burns": False}]
    assert body["entries"][0]["payable_date"] == "2024-10-18"

    stack.to_date(DAY(2024, 10, 16))                             # the dividend's ex-date
    entries = api["view"].get("/v1/corporate-actions/calendar").json()["entries"]
    assert [e["window"]["holds_mints_and_burns"] for e in entries] == [True, False]
    public = stack_public(stack)
    assert [(a["id"], a["window"]["holds_mints_and_burns"]) for a in public] == [
        (div.corporate_action_id, True), (split.corporate_action_id, False)]

    only = api["view"].get("/v1/corporate-actions/calendar",
                           since="2024-10-17", until="2024-10-31").json()["entries"]
    assert [e["corporate_action_id"] for e in only] == [split.corporate_action_id]
    assert api["view"].get("/v1/corporate-actions/calendar", symbol="MSFT").json()[
        "entries"] == []
    empty = api["view"].get("/v1/corporate-actions/calendar", since="2024-10-31",
                            until="2024-10-01")
    assert (empty.status_code, empty.json()["entries"]) == (200, [])     # an empty interval
    for malformed in ("yesterday", "0", "1729000000", "2024-10-1"):
        refused = api["view"].get("/v1/corporate-actions/calendar", since=malformed)
        assert refused.status_code == 422, malformed
    assert api["view"].get("/v1/corporate-actions/calendar", open_only="true").status_code \
        == 200


def stack_public(stack) -> list[dict]:
    """The public figures' corporate actions for AAPL, as the reserve page reads them."""
    from issuer import public

    with stack.issuer.session() as db:
        return public.figures(stack.issuer, db, "AAPL")["corporate_actions"]


def test_a_name_change_moves_the_broker_symbol_and_the_token_follows_through_its_owner(
        stack, api):
    """Issue 30, item 2: AAPL becomes APLE on Thu 10/17. The supply does not change (100
    tokens, M0 = 1, 100 custody shares, under APLE from the process date); the records keep
    the listing AAPL and answer to both symbols; the token's name and symbol follow through
    its owner (the issuer holds no owner key); creations go on under the new symbol."""
    mint_100(stack)                                               # Tue 10/15
    t = token(stack)
    old_name, old_symbol = t.functions.name().call(), t.functions.symbol().call()
    change = stack.broker.announce(ca_type="name_change", ca_sub_type="name_change",
                                   initiating_symbol="AAPL", target_symbol="APLE",
                                   declaration_date=DAY(2024, 10, 15),
                                   ex_date=DAY(2024, 10, 17))
    stack.run()
    ca = action(stack, change.corporate_action_id)
    assert (ca.kind, ca.status, ca.new_symbol, ca.ex_date) == (
        "name_change", "announced", "APLE", DAY(2024, 10, 17))
    stack.to_date(DAY(2024, 10, 17))
    ca = action(stack, change.corporate_action_id)
    assert ca.status == "proposed", ca.status_reason
    # nothing changes in figures: M0 = 1, supply 100 raw shares, 100 custody shares (now APLE)
    assert (ca.m0, ca.supply_raw, ca.custody_settled) == (str(ONE), str(100 * ONE), D(100))
    assert (ca.token_name, ca.token_symbol) == (old_name.replace("AAPL", "APLE")
                                                if "AAPL" in old_name else f"APLE {old_name}",
                                                old_symbol.replace("AAPL", "APLE")
                                                if "AAPL" in old_symbol else f"APLE {old_symbol}")
    assert stack.invariant_held() and no_halts(stack)
    assert stack.broker.position(stack.custody_account, "AAPL") is None
    assert stack.broker.position(stack.custody_account, "APLE").qty == D(100)
    # the operator API answers under both symbols
    both = [api["view"].get(f"/v1/reserves/{s}").json() for s in ("AAPL", "aple")]
    assert both[0]["economic_supply"] == both[1]["economic_supply"] == "100"
    window = [e for e in api["view"].get("/v1/corporate-actions/calendar").json()["entries"]
              if e["corporate_action_id"] == change.corporate_action_id]
    assert window[0]["window"]["holds_mints_and_burns"] is True
    held = stack.create("1", symbol="APLE")                     # bought under the new symbol
    approve(stack, change.corporate_action_id)
    stack.run()
    ca = action(stack, change.corporate_action_id)
    assert ca.status == "renaming"
    assert [c["function"].split("(")[0] for c in ca.owner_calls] == ["setName", "setSymbol"]
    stack.run()
    assert action(stack, change.corporate_action_id).status == "renaming"   # waits for owner
    assert stack.creation(held).status != "completed"
    # the token's owner (governance) sends the two calls the issuer prepared
    w3, owner = stack.issuer.chain.w3, stack.issuer.chain.manifest["roles"]["owner"]
    for call in ca.owner_calls:
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
            {"from": owner, "to": call["to"], "data": call["data"]}))
    stack.run()
    ca = action(stack, change.corporate_action_id)
    assert ca.status == "completed", ca.status_reason
    assert (t.functions.name().call(), t.functions.symbol().call()) == (ca.token_name,
                                                                        ca.token_symbol)
    assert t.functions.totalSupply().call() == 100 * ONE          # no supply change
    stack.until(lambda: stack.creation(held).status == "completed")
    assert stack.creation(held).symbol == "AAPL"                  # the listing's records
    assert stack.broker.position(stack.custody_account, "APLE").qty == D(101)
    assert stack.tokens() == 101 * ONE
    assert stack.invariant_held() and no_halts(stack)


def test_a_worthless_removal_gives_a_final_redemption_window_then_freezes_the_token(stack):
    """Issue 30, item 6: AAPL is to be removed as worthless on Mon 10/21 (announced Tue
    10/15). From the announcement nothing is minted (a new creation is refused); redemptions
    go on until the process date (20 of the 100 redeemed); on it the broker removes custody's
    80 shares for nothing, the token is paused and the 80 tokens stay as the record, backed in
    the reconciliation by the 80 shares written off."""
    from issuer.errors import IssuerError

    mint_100(stack)                                               # Tue 10/15
    t = token(stack)
    removal = stack.broker.announce(ca_type="worthless_removal",
                                    ca_sub_type="worthless_removal", initiating_symbol="AAPL",
                                    declaration_date=DAY(2024, 10, 15),
                                    ex_date=DAY(2024, 10, 21))
    stack.run()
    ca = action(stack, removal.corporate_action_id)
    assert (ca.kind, ca.status) == ("worthless_removal", "announced")
    assert "final redemption window until 2024-10-21" in ca.status_reason
    with pytest.raises(IssuerError) as refused:
        stack.create("1")
    assert (refused.value.status, refused.value.code) == (409, "symbol_removed")
    redemption = stack.redeem("20")                               # within the window
    stack.until(lambda: stack.redemption(redemption).status == "completed")
    assert stack.tokens() == 80 * ONE
    stack.to_date(DAY(2024, 10, 21))
    ca = action(stack, removal.corporate_action_id)
    assert ca.status == "completed", ca.status_reason
    assert (ca.raw_supply, ca.entitled, ca.custody_entitled) == (str(80 * ONE), D(80), D(80))
    assert t.functions.paused().call() and t.functions.totalSupply().call() == 80 * ONE
    assert stack.broker.position(stack.custody_account, "AAPL") is None
    report = stack.run_report("AAPL")
    assert (report.custody_settled, report.converted, report.holds) == (D(0), D(80), True)
    assert stack.invariant_held() and no_halts(stack)
    with pytest.raises(IssuerError) as late:
        stack.redeem("1")
    assert (late.value.status, late.value.code) == (409, "symbol_removed")
