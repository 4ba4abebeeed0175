"""The dividend entitlement rule over the full stack (README, "Who gets a dividend"): the
broker pays on custody's settled position at the end of the record date, and each owner of
those shares gets their dividend - the tokens, a creation whose shares had settled but which is
not minted yet, a redemption whose tokens are burned but whose shares were still in custody.
Figures by hand in the comments; the invariant is checked at every worker pass.

Calendar: Friday 2024-10-11 start, Columbus Day Monday 10/14 (no settlement), the dividend's
ex-date and record date Thursday 10/17, payable Thursday 10/24; AAPL at 200; the custody
account is German (30 % withheld)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from issuer.models import AuditEntry, DividendEntitlement, SymbolHalt
from tests.issuer.test_corporate_actions import action, approve, economic, mint_100, token
from tests.issuer.test_stablecoin_dividends import paying_stablecoin

D = Decimal
ONE = 10**18
DAY = dt.date


def dividend(stack, cash: str = "1.00"):
    stack.broker.set_account_flags(stack.custody_account, country_of_tax_residence="DEU")
    return stack.broker.announce(ca_type="dividend", ca_sub_type="cash",
                                 initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                 ex_date=DAY(2024, 10, 17), record_date=DAY(2024, 10, 17),
                                 payable_date=DAY(2024, 10, 24), cash=D(cash))


def owed(stack, action_id: str) -> list[tuple[str, str, D, str | None, D | None]]:
    with stack.issuer.session() as db:
        return [(e.kind, e.lifecycle_id, e.qty, e.raw, e.amount) for e in db.scalars(
            select(DividendEntitlement).where(DividendEntitlement.action_id == action_id)
            .order_by(DividendEntitlement.id))]


def no_halts(stack) -> bool:
    with stack.issuer.session() as db:
        return db.scalar(select(SymbolHalt)) is None


def test_a_creation_settled_by_the_record_date_earns_its_dividend_one_bought_on_the_ex_date_not(
        stack, api):
    mint_100(stack)                                   # Tue 10/15: the AP holds 100 tokens
    div = dividend(stack)
    stack.eod()                                       # Wed 10/16, the day before the ex-date
    stack.run()
    early = stack.create("10")                        # bought Wed, settles Thu = record date
    stack.to_date(DAY(2024, 10, 17))
    late = stack.create("10")                         # bought on the ex-date, settles Fri
    stack.to_date(DAY(2024, 10, 18))
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "recorded"
    # R = 100e18, M0 = 1e18, E = 100; the early creation's 10 shares were in custody at the end
    # of the record date: owed, as raw floor(10 * 1e36 / 1e18) = 10e18 at M0; the late one not
    assert (ca.raw_supply, ca.entitled, ca.owed_creations) == (str(100 * ONE), D(100), D(10))
    assert owed(stack, ca.id) == [("creation", early, D(10), str(10 * ONE), None)]

    stack.to_date(DAY(2024, 10, 25))                  # paid 10/24, reinvestment settles 10/25
    ca = action(stack, div.corporate_action_id)
    # Q = 100 + 10 = 110 shares paid on: gross 110.00, 30 % withheld 33.00, net 77.00, which
    # buys 77 / 200 = 0.385 shares; M1 = 1e18 * (110 + 0.385) / 110 = 1.0035e18 exactly
    assert (ca.custody_entitled, ca.gross, ca.withholding, ca.net, ca.filled_qty) == (
        D(110), D("110.00"), D("33.00"), D("77.00"), D("0.385"))
    assert ca.status == "proposed" and ca.m1 == "1003500000000000000" == ca.m1_uncapped
    # custody 100 + 10 + 10 + 0.385 = 120.385; the tokens 100 * 1.0035 = 100.35; residue
    # 20.035 is all owed: the early creation 10e18 raw * 1.0035 = 10.035, the late 10 at face
    assert ca.custody_settled == D("120.385") and ca.residue == D("20.035")
    assert (ca.residue_owed, ca.residue_free) == (D("20.035"), D(0))

    approve(stack, div.corporate_action_id)
    stack.run()
    stack.eod()
    stack.run()
    assert action(stack, div.corporate_action_id).status == "completed"
    # the early creation mints its 10e18 raw (worth 10.035 shares at M1: its dividend); the
    # late one floor(10e36 / 1.0035e18) = 9965122072745391131 raw (worth 10 shares, floored)
    assert stack.creation(early).mint_raw == str(10 * ONE)
    assert stack.creation(late).mint_raw == "9965122072745391131"
    # the AP: 100 * 1.0035 + 10.035 + 9965122072745391131 * 1.0035e18 / 1e36
    #       = 100.35 + 10.035 + 9.9999999999999999999585
    assert economic(stack, stack.ap_wallet) == D("120.3849999999999999999585")
    # before the rule the early creation minted 9965122072745391131 raw too: 0.035 shares
    # ($7 at 200, 10 x $1.00 less 30 %) stayed in custody as residue
    report = stack.run_report("AAPL")
    assert D(0) <= report.surplus < D("0.000000001")
    assert stack.invariant_held() and no_halts(stack)
    follow_the_figures(stack, api, action(stack, div.corporate_action_id), early)


def follow_the_figures(stack, api, ca, early: str) -> None:
    """What an auditor reads: every figure with its formula, who owned custody shares at the
    record, the broker moment the multiplier took effect, the custody account, and for the
    creation its order, executions, journals and mint transaction."""
    shown = api["view"].get(f"/v1/corporate-actions/{ca.id}/figures").json()
    values = {f["name"]: f["value"] for f in shown["figures"]}
    assert {k: values[k] for k in ("R", "M0", "E", "owed_creations", "Q", "gross",
                                   "withholding", "net", "F", "M1", "residue", "residue_owed",
                                   "residue_free")} == {
        "R": str(100 * ONE), "M0": str(ONE), "E": "100", "owed_creations": "10", "Q": "110",
        "gross": "110.00", "withholding": "33.00", "net": "77.00", "F": "0.385",
        "M1": "1003500000000000000", "residue": "20.035", "residue_owed": "20.035",
        "residue_free": "0"}
    assert all(f["formula"] for f in shown["figures"])
    assert shown["owed"] == [{"kind": "creation", "id": early, "qty": "10",
                              "raw": str(10 * ONE), "amount": None, "journal_id": None}]
    assert shown["custody_account_id"] == stack.custody_account
    # scheduled on Fri 10/25 with the notice: a broker moment beside the chain timestamp
    broker_at = dt.datetime.fromisoformat(shown["effective_broker_at"])
    assert broker_at.date() >= DAY(2024, 10, 25) and shown["effective_at"] > 0
    creation = api["view"].get(f"/v1/creations/{early}").json()
    links = creation["links"]
    assert (links["custody_account_id"], links["participant_account_id"]) == (
        stack.custody_account, stack.ap_account)
    assert links["broker_orders"] == [creation["broker_order_id"]]
    assert creation["payment_journal_id"] in links["broker_journals"]
    [execution] = links["executions"]
    # bought Wed 10/16, settled Thu 10/17 (the record date): why it earned the dividend
    assert (execution["trade_date"], execution["settle_date"], execution["status"],
            execution["qty"]) == ("2024-10-16", "2024-10-17", "settled", "10")
    mints = [t for t in links["chain"] if t["key"].startswith("mint:") and t["status"] == "mined"]
    assert len(mints) == 1 and mints[0]["block_number"] > 0
    reserves = api["view"].get("/v1/reserves/AAPL").json()
    assert reserves["custody_account_id"] == stack.custody_account
    with stack.issuer.session() as db:
        done = db.scalar(select(AuditEntry).where(AuditEntry.subject == early,
                                                  AuditEntry.action == "creation.completed"))
        assert done is not None and done.detail["tx"] == mints[0]["tx_hash"]
        assert done.detail["broker_order_id"] == creation["broker_order_id"]


def test_a_redemption_burned_before_the_record_is_paid_the_dividend_its_shares_earned(stack,
                                                                                      api):
    mint_100(stack)                                   # Tue 10/15
    div = dividend(stack)
    stack.eod()                                       # Wed 10/16 at the open
    stack.run()
    sold_before = stack.redeem("20")                  # sold Wed: settles Thu, the record date
    stack.run()
    assert stack.redemption(sold_before).status in ("filled", "ordered")
    stack.broker.advance(hours=8)                     # Wed 17:30 New York: the market is shut
    stack.advance_chain(8 * 3600)
    sold_after = stack.redeem("30")                   # burned now; sold at Thursday's open
    stack.run()
    assert stack.redemption(sold_after).status == "ordered"
    stack.to_date(DAY(2024, 10, 18))
    ca = action(stack, div.corporate_action_id)
    # R = 50e18 (100 - 20 - 30 burned), E = 50. The 30 sold on the ex-date settled Friday: at
    # the end of Thursday custody still held them, so the broker pays on them and the
    # redeemer is owed that dividend; the 20 sold Wednesday settled Thursday: the buyer's
    assert (ca.status, ca.raw_supply, ca.entitled) == ("recorded", str(50 * ONE), D(50))
    assert owed(stack, ca.id) == [("redemption", sold_after, D(30), None, None)]

    stack.to_date(DAY(2024, 10, 25))
    ca = action(stack, div.corporate_action_id)
    # Q = 80 (100 - 20): gross 80.00, withheld 24.00, net 56.00. The redeemer's share:
    # 56.00 * 30 / 80 = 21.00, paid by journal; 35.00 reinvested buys 0.175 shares;
    # Q' = 80 - 30 = 50: M1 = 1e18 * (50 + 0.175) / 50 = 1.0035e18
    assert (ca.custody_entitled, ca.net, ca.redeemers_paid, ca.filled_qty) == (
        D(80), D("56.00"), D("21.00"), D("0.175"))
    assert ca.m1 == "1003500000000000000" == ca.m1_uncapped
    assert owed(stack, ca.id) == [("redemption", sold_after, D(30), None, D("21.00"))]
    [paid] = stack.journals_for(f"ca-{ca.id}-redemption-{sold_after}")
    assert (paid.from_account, paid.to_account, paid.net_amount, paid.status) == (
        stack.custody_account, stack.ap_account, D("21.00"), "executed")
    # custody 50.175 = the tokens' 50 * 1.0035: nothing left over, nothing owed
    assert (ca.custody_settled, ca.residue, ca.residue_owed, ca.residue_free) == (
        D("50.175"), D(0), D(0), D(0))
    approve(stack, div.corporate_action_id)
    stack.run()
    stack.eod()
    stack.run()
    assert action(stack, div.corporate_action_id).status == "completed"
    assert economic(stack, stack.ap_wallet) == D("50.175")
    assert stack.invariant_held() and no_halts(stack)
    # the redemption links its burn, its sale (traded Thu 10/17, settled Fri 10/18: after
    # the record date), its proceeds journal and the dividend journal
    links = api["view"].get(f"/v1/redemptions/{sold_after}").json()["links"]
    [burn] = links["chain"]
    assert burn["key"] == f"burn:redemption:{sold_after}" and burn["status"] == "mined"
    assert [(e["trade_date"], e["settle_date"], e["qty"]) for e in links["executions"]] == [
        ("2024-10-17", "2024-10-18", "30")]
    assert paid.id in links["broker_journals"] and len(links["broker_journals"]) == 2


def test_a_stablecoin_dividend_gives_an_entitled_creation_its_claim(stack):
    from brownie import accounts

    onramp = stack.broker.create_account(given_name="Stablecoin", family_name="On-ramp").id
    paying_stablecoin(stack, onramp)
    mint_100(stack)
    investor = accounts[7].address
    token(stack).functions.transfer(investor, 40 * ONE).transact({"from": stack.ap_wallet})
    div = dividend(stack)
    stack.eod()
    stack.run()
    early = stack.create("10")                        # settles on the record date: entitled
    stack.to_date(DAY(2024, 10, 25))
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "claimable", ca.status_reason
    # Q = 110 shares paid on: gross 110.00, 30 % withheld, net 77.00 = 77,000,000 units; each
    # share earns 77e6 / 110 = 700,000: the AP 60 -> 42,000,000 plus its creation's 10 ->
    # 7,000,000; the investor 40 -> 28,000,000. (Before the rule the 77e6 went to the 100
    # tokens alone: the AP 46,200,000, the investor 30,800,000, the creator nothing.)
    assert (ca.custody_entitled, ca.net, ca.distributed) == (D(110), D("77.00"), D("77.00"))
    assert owed(stack, ca.id) == [("creation", early, D(10), None, D(7_000_000))]
    with stack.issuer.session() as db:
        from issuer.corporate.stablecoin import claims

        row = db.scalar(select(type(ca)).where(type(ca).id == ca.id))
        amounts = {c.wallet: c.amount for c in claims(db, row)}
    assert amounts == {stack.ap_wallet: 49_000_000, investor: 28_000_000}
    stack.run()
    assert stack.creation(early).status == "completed"
    assert stack.creation(early).mint_raw == str(10 * ONE)   # the multiplier never changed
    assert stack.invariant_held() and no_halts(stack)
