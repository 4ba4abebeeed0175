"""Corporate actions through the HTTP API: dividends with withholding, amendments, splits.

Every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import pytest

from custody_mock.client import BrokerRejected
from tests.custody_mock.conftest import D, open_funded

DAY = dt.date


def _dividend(broker, **overrides):
    fields = {"ca_type": "dividend", "ca_sub_type": "cash", "initiating_symbol": "AAPL",
              "declaration_date": DAY(2024, 10, 7), "ex_date": DAY(2024, 10, 9),
              "record_date": DAY(2024, 10, 9), "payable_date": DAY(2024, 10, 11),
              "cash": D("0.25")}
    return broker.announce(**{**fields, **overrides})


def _by_type(broker, account, kind):
    return list(broker.activities(account_id=account, types=[kind]))


def test_dividend_entitlement_is_the_settled_position_on_the_record_date(broker):
    us = open_funded(broker)
    uk = open_funded(broker, country="GBR")              # no treaty rate: 30 %
    treaty = open_funded(broker, country="DEU", withholding_rate=D("0.15"))
    broker.submit_order(us, symbol="AAPL", side="buy", qty=D("100"))      # Mon, settles Tue
    broker.submit_order(uk, symbol="AAPL", side="buy", qty=D("50"))
    broker.submit_order(treaty, symbol="AAPL", side="buy", qty=D("7"))
    ann = _dividend(broker)
    broker.end_of_day()                                                   # Tue 10-08
    broker.submit_order(us, symbol="AAPL", side="buy", qty=D("20"))       # settles Wed: counts
    broker.end_of_day()                                                   # Wed 10-09 (record)
    broker.submit_order(uk, symbol="AAPL", side="buy", qty=D("10"))       # settles Thu: not
    assert broker.position(uk, "AAPL").qty == D("60")
    assert broker.position(uk, "AAPL").qty_settled == D("50")
    broker.end_of_day()                                                   # Thu 10-10
    assert _by_type(broker, us, "DIV") == []                              # not payable yet
    cash_before = {a: broker.trading_account(a).cash_settled for a in (us, uk, treaty)}
    broker.end_of_day()                                                   # Fri 10-11 payable

    [div_us] = _by_type(broker, us, "DIV")
    assert (div_us.qty, div_us.net_amount) == (D("120"), D("30"))        # 120 x 0.25
    assert _by_type(broker, us, "DIVNRA") == []
    [div_uk] = _by_type(broker, uk, "DIV")
    [tax_uk] = _by_type(broker, uk, "DIVNRA")
    assert (div_uk.qty, div_uk.net_amount) == (D("50"), D("12.5"))       # 50 x 0.25
    assert tax_uk.net_amount == D("-3.75") and tax_uk.parent_id == div_uk.id  # 30 % of 12.50
    [div_de] = _by_type(broker, treaty, "DIV")
    [tax_de] = _by_type(broker, treaty, "DIVNRA")
    assert div_de.net_amount == D("1.75")                                # 7 x 0.25
    assert tax_de.net_amount == D("-0.26")                               # 15 % = 0.2625 -> 0.26
    for entry in (div_us, div_uk, tax_uk, div_de, tax_de):
        assert entry.corporate_action_id == ann.corporate_action_id
        assert entry.date == DAY(2024, 10, 11)
    assert broker.trading_account(us).cash_settled - cash_before[us] == D("30")
    assert broker.trading_account(uk).cash_settled - cash_before[uk] == D("8.75")
    assert broker.trading_account(treaty).cash_settled - cash_before[treaty] == D("1.49")
    broker.end_of_day()
    assert len(_by_type(broker, us, "DIV")) == 1                          # paid once


def test_dividend_fee_is_a_linked_activity(broker, funded):
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("33"))
    _dividend(broker, fee_per_share=D("0.005"))
    for _ in range(4):
        broker.end_of_day()
    [div] = _by_type(broker, funded, "DIV")
    [fee] = _by_type(broker, funded, "FEE")
    assert div.net_amount == D("8.25")                                   # 33 x 0.25
    assert fee.net_amount == D("-0.17") and fee.parent_id == div.id     # 33 x 0.005 = 0.165


def test_an_amendment_keeps_the_corporate_action_id_and_is_paid_at_the_amended_rate(broker,
                                                                                   funded):
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10"))
    first = _dividend(broker)
    broker.end_of_day()
    broker.end_of_day()
    broker.end_of_day()                                                   # record taken
    with pytest.raises(BrokerRejected) as late:
        broker.amend(first.corporate_action_id, record_date=DAY(2024, 10, 10))
    assert late.value.code == "corporate_action_processed"
    amended = broker.amend(first.corporate_action_id, cash=D("0.30"))
    assert amended.corporate_action_id == first.corporate_action_id
    assert (amended.version, amended.id != first.id) == (2, True)
    assert [a.version for a in broker.announcements(symbol="AAPL")] == [2]
    history = broker.announcements(symbol="AAPL", include_history=True)
    assert [(a.version, a.cash) for a in history] == [(1, D("0.25")), (2, D("0.3"))]
    broker.end_of_day()                                                   # payable
    [div] = _by_type(broker, funded, "DIV")
    assert div.net_amount == D("3")                                       # 10 x 0.30
    with pytest.raises(BrokerRejected) as paid:
        broker.amend(first.corporate_action_id, cash=D("0.5"))
    assert paid.value.code == "corporate_action_processed"


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"cash": None}, "positive cash rate"),
        ({"payable_date": DAY(2024, 10, 8)}, "declaration <= record <= payable"),
        ({"ca_sub_type": "stock_split"}, "not supported"),
        ({"ca_sub_type": "stock", "cash": None}, "0 < old_rate < new_rate"),
        ({"ca_sub_type": "stock", "old_rate": D(2), "new_rate": D(1)}, "0 < old_rate < new_rate"),
        ({"initiating_symbol": "NOPE"}, "NOPE"),
        ({"ca_type": "spin_off", "ca_sub_type": "spin_off", "cash": None, "old_rate": D(4),
          "new_rate": D(1)}, "the new company's symbol"),
        ({"ca_type": "spin_off", "ca_sub_type": "spin_off", "cash": None, "old_rate": D(4),
          "target_symbol": "APLS"}, "positive old and new rates"),
        ({"ca_type": "spin_off", "ca_sub_type": "spin_off", "cash": None, "old_rate": D(4),
          "new_rate": D(1), "target_symbol": "APLS", "record_date": None},
         "record and payable dates"),
    ],
)
def test_bad_announcements_are_refused(broker, fields, fragment):
    with pytest.raises(BrokerRejected) as refused:
        _dividend(broker, **fields)
    assert fragment in refused.value.detail
    assert broker.announcements() == []


@pytest.mark.parametrize("in_lieu", [False, True])
def test_a_stock_dividend_pays_new_shares_on_the_record_position(broker, funded, in_lieu):
    """3 new shares per 20 (old_rate 20, new_rate 23: 0.15 per share) on the 10.5 shares
    settled at the record date: 1.575 new shares. Without cash in lieu the account gets all of
    them; with it, 1 share and 0.575 * $200 = $115.00 in cash."""
    broker.set_cash_in_lieu(in_lieu)
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10.5"))  # Mon, settles Tue
    ann = _dividend(broker, ca_sub_type="stock", cash=None, old_rate=D(20), new_rate=D(23))
    broker.end_of_day()                                                   # Tue 10-08
    broker.end_of_day()                                                   # Wed 10-09 record
    cost = broker.position(funded, "AAPL").cost_basis
    cash = broker.trading_account(funded).cash_settled
    broker.end_of_day()                                                   # Thu 10-10
    broker.end_of_day()                                                   # Fri 10-11 payable
    [div] = _by_type(broker, funded, "DIV")
    assert (div.activity_sub_type, div.qty, div.per_share_amount, div.net_amount) == (
        "SDIV", D("10.5"), D("0.15"), D(0))
    assert div.corporate_action_id == ann.corporate_action_id
    position = broker.position(funded, "AAPL")
    received = D(1) if in_lieu else D("1.575")
    assert (position.qty, position.qty_settled) == (D("10.5") + received,) * 2
    assert position.cost_basis == cost                                    # spread, not grown
    if in_lieu:
        [cil] = _by_type(broker, funded, "CIL")
        assert (cil.qty, cil.net_amount, cil.parent_id) == (D("0.575"), D("115"), div.id)
        assert broker.trading_account(funded).cash_settled - cash == D("115")
    else:
        assert _by_type(broker, funded, "CIL") == []


def _split(broker, old, new, effective):
    return broker.announce(ca_type="split",
                           ca_sub_type="stock_split" if new > old else "reverse_split",
                           initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 7),
                           ex_date=effective, record_date=effective, payable_date=effective,
                           old_rate=D(old), new_rate=D(new))


def test_forward_split_scales_positions_prices_and_open_orders(broker, funded):
    other = open_funded(broker)
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10.5"))
    broker.submit_order(other, symbol="AAPL", side="buy", qty=D("7"))
    limit = broker.submit_order(other, symbol="AAPL", side="buy", qty=D("3"), type="limit",
                                limit_price=D("150"), time_in_force="gtc")
    ann = _split(broker, "2", "3", DAY(2024, 10, 9))                      # 3-for-2
    broker.end_of_day()
    broker.end_of_day()                                                   # Wed: effective
    a, b = broker.position(funded, "AAPL"), broker.position(other, "AAPL")
    assert (a.qty, a.qty_settled, a.avg_entry_price) == (D("15.75"), D("15.75"), D("133.3333"))
    assert (b.qty, b.qty_settled) == (D("10.5"), D("10.5"))              # fractions kept
    assert a.current_price == D("133.3333")                               # 200 x 2 / 3
    adjusted = broker.order(other, limit.id)
    assert (adjusted.qty, adjusted.limit_price, adjusted.status) == (D("4.5"), D("100"), "new")
    assert "3-for-2 forward split" in adjusted.status_reason
    [split] = _by_type(broker, funded, "SPLIT")
    assert split.qty == D("5.25") and split.corporate_action_id == ann.corporate_action_id


def test_forward_split_with_cash_in_lieu(broker, funded):
    broker.set_cash_in_lieu(True)
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("7"))
    _split(broker, "2", "3", DAY(2024, 10, 9))
    broker.end_of_day()
    cash = broker.trading_account(funded).cash_settled
    broker.end_of_day()
    position = broker.position(funded, "AAPL")
    assert (position.qty, position.qty_settled) == (D("10"), D("10"))    # 10.5 -> 10
    [split] = _by_type(broker, funded, "SPLIT")
    [cil] = _by_type(broker, funded, "CIL")
    # 0.5 share x 133.3333 = 66.66665 -> 66.66 (rounded down)
    assert (cil.qty, cil.net_amount, cil.parent_id) == (D("0.5"), D("66.66"), split.id)
    assert broker.trading_account(funded).cash_settled - cash == D("66.66")


def test_reverse_split_pays_fractions_in_cash_and_cancels_open_orders(broker, funded):
    broker.set_cash_in_lieu(True)
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("25"))
    sell = broker.submit_order(funded, symbol="AAPL", side="sell", qty=D("5"), type="limit",
                               limit_price=D("300"), time_in_force="gtc")
    _split(broker, "10", "1", DAY(2024, 10, 9))                           # 1-for-10
    broker.end_of_day()
    broker.end_of_day()
    position = broker.position(funded, "AAPL")
    assert (position.qty, position.avg_entry_price) == (D("2"), D("2000"))  # 2.5 -> 2
    [cil] = _by_type(broker, funded, "CIL")
    assert cil.net_amount == D("1000")                                    # 0.5 x 2,000
    canceled = broker.order(funded, sell.id)
    assert canceled.status == "canceled" and "1-for-10 reverse split" in canceled.status_reason
    assert position.qty_available == D("2")


def test_reverse_split_keeps_fractions_without_cash_in_lieu(broker, funded):
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("25"))
    _split(broker, "10", "1", DAY(2024, 10, 9))
    broker.end_of_day()
    broker.end_of_day()
    assert broker.position(funded, "AAPL").qty == D("2.5")
    assert _by_type(broker, funded, "CIL") == []


def test_a_name_change_moves_positions_orders_and_prices_to_the_new_symbol(broker, funded):
    """NVDA becomes NVDX on Thu 10-10: the 7 shares (4 settled, 3 bought Wed and settling Thu)
    and an open limit order move to NVDX, the price follows, the account shows a SC entry, and
    NVDA no longer trades."""
    broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("4"))      # Mon, settles Tue
    ann = broker.announce(ca_type="name_change", ca_sub_type="name_change",
                          initiating_symbol="NVDA", target_symbol="nvdx",
                          declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 10))
    assert ann.target_symbol == "NVDX"
    broker.end_of_day()                                                   # Tue 10-08
    broker.end_of_day()                                                   # Wed 10-09
    broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("3"))     # settles Thu
    limit = broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("1"), type="limit",
                                limit_price=D("1"), time_in_force="gtc")
    price = broker.position(funded, "NVDA").current_price
    broker.end_of_day()                                                   # Thu 10-10
    moved = broker.position(funded, "NVDX")
    assert (moved.qty, moved.qty_settled, moved.current_price) == (D(7), D(7), price)
    assert broker.position(funded, "NVDA") is None
    assert broker.order(funded, limit.id).symbol == "NVDX"
    [sc] = _by_type(broker, funded, "SC")
    assert (sc.symbol, sc.qty, sc.corporate_action_id) == ("NVDX", D(7), ann.corporate_action_id)
    assert broker.asset("NVDA").tradable is False and broker.asset("NVDX").tradable is True
    with pytest.raises(BrokerRejected) as twice:
        broker.announce(ca_type="name_change", ca_sub_type="name_change",
                        initiating_symbol="AAPL", target_symbol="NVDX",
                        declaration_date=DAY(2024, 10, 10), ex_date=DAY(2024, 10, 11))
    assert "asset already" in twice.value.detail


def test_a_cash_merger_turns_every_position_into_cash_on_its_effective_date(broker, funded):
    """NVDA is acquired for $123.45 a share on Thu 10-10: the 7.5 shares become
    7.5 * 123.45 = 925.875 -> $925.87 (rounded down), booked as MA; an open order is canceled
    and NVDA stops trading."""
    broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("7.5"))    # Mon, settles Tue
    limit = broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("1"), type="limit",
                                limit_price=D("1"), time_in_force="gtc")
    ann = broker.announce(ca_type="cash_merger", ca_sub_type="cash_merger",
                          initiating_symbol="NVDA", target_symbol="AAPL", cash=D("123.45"),
                          declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 10))
    broker.end_of_day()
    broker.end_of_day()                                                   # Wed 10-09
    cash = broker.trading_account(funded).cash_settled
    assert broker.position(funded, "NVDA").qty == D("7.5")                # not before its day
    broker.end_of_day()                                                   # Thu 10-10
    assert broker.position(funded, "NVDA") is None
    [ma] = _by_type(broker, funded, "MA")
    assert (ma.symbol, ma.qty, ma.net_amount, ma.corporate_action_id) == (
        "NVDA", D("7.5"), D("925.87"), ann.corporate_action_id)
    assert broker.trading_account(funded).cash_settled - cash == D("925.87")
    assert broker.order(funded, limit.id).status == "canceled"
    assert broker.asset("NVDA").tradable is False
    with pytest.raises(BrokerRejected) as refused:
        broker.announce(ca_type="cash_merger", ca_sub_type="cash_merger",
                        initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 10),
                        ex_date=DAY(2024, 10, 11))
    assert "positive cash rate" in refused.value.detail


def test_a_worthless_removal_takes_every_position_for_nothing(broker, funded):
    broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("3"))      # Mon, settles Tue
    ann = broker.announce(ca_type="worthless_removal", ca_sub_type="worthless_removal",
                          initiating_symbol="NVDA", declaration_date=DAY(2024, 10, 7),
                          ex_date=DAY(2024, 10, 9))
    broker.end_of_day()                                                   # Tue 10-08
    cash = broker.trading_account(funded).cash_settled
    broker.end_of_day()                                                   # Wed 10-09
    assert broker.position(funded, "NVDA") is None
    [removed] = _by_type(broker, funded, "REORG")
    assert (removed.qty, removed.net_amount, removed.corporate_action_id) == (
        D(3), D(0), ann.corporate_action_id)
    assert broker.trading_account(funded).cash_settled == cash            # for nothing
    assert broker.asset("NVDA").tradable is False


@pytest.mark.parametrize("in_lieu", [False, True])
def test_a_spin_off_delivers_the_new_companys_shares_on_the_record_position(broker, funded,
                                                                           in_lieu):
    """AAPL spins off APLS, 1 for every 4 AAPL held at the record date (Wed 10-09), delivered
    on Fri 10-11. 10.5 AAPL settled at the record -> 10.5 / 4 = 2.625 APLS. Without cash in
    lieu the account gets them all; with it, 2 shares and 0.625 * $40 = $25.00 in cash. The
    2 AAPL bought on the record date settle after it: they get nothing."""
    broker.set_cash_in_lieu(in_lieu)
    broker.set_asset("APLS", name="Apple Spinco", tradable=True, fractionable=True)
    broker.set_price("APLS", D(40))
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10.5"))  # Mon, settles Tue
    ann = broker.announce(ca_type="spin_off", ca_sub_type="spin_off", initiating_symbol="AAPL",
                          target_symbol="APLS", old_rate=D(4), new_rate=D(1),
                          declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 9),
                          record_date=DAY(2024, 10, 9), payable_date=DAY(2024, 10, 11))
    broker.end_of_day()                                                   # Tue 10-08
    broker.end_of_day()                                                   # Wed 10-09 record
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D(2))      # settles Thu: not
    broker.end_of_day()                                                   # Thu 10-10
    assert broker.position(funded, "APLS") is None                        # not before payable
    cash = broker.trading_account(funded).cash_settled
    broker.end_of_day()                                                   # Fri 10-11 payable
    received = D(2) if in_lieu else D("2.625")
    [sso] = _by_type(broker, funded, "SSO")
    assert (sso.symbol, sso.qty, sso.per_share_amount, sso.corporate_action_id) == (
        "APLS", received, D("0.25"), ann.corporate_action_id)
    position = broker.position(funded, "APLS")
    assert (position.qty, position.qty_settled) == (received, received)
    assert broker.position(funded, "AAPL").qty == D("12.5")               # the parent stays
    if in_lieu:
        [cil] = _by_type(broker, funded, "CIL")
        assert (cil.symbol, cil.qty, cil.net_amount, cil.parent_id) == (
            "APLS", D("0.625"), D(25), sso.id)
        assert broker.trading_account(funded).cash_settled - cash == D(25)
    else:
        assert _by_type(broker, funded, "CIL") == []
    broker.end_of_day()                                                   # Mon: once only
    assert len(_by_type(broker, funded, "SSO")) == 1
    with pytest.raises(BrokerRejected) as late:
        broker.amend(ann.corporate_action_id, new_rate=D(2))
    assert late.value.code == "corporate_action_processed"


@pytest.mark.parametrize("in_lieu", [False, True])
def test_a_stock_and_cash_merger_converts_every_position_on_its_effective_date(broker, funded,
                                                                              in_lieu):
    """AAPL acquires NVDA on Thu 10-10: 2 AAPL for every 5 NVDA plus $10.00 a share. 7.6 NVDA
    become 7.6 * 2 / 5 = 3.04 AAPL and 7.6 * 10 = $76.00; with cash in lieu the 0.04 AAPL is
    paid at $200: $8.00. Both sides are MA entries, the AAPL one linked to the NVDA one; the
    cost basis moves to AAPL; NVDA stops trading."""
    broker.set_cash_in_lieu(in_lieu)
    broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("7.6"))    # Mon, settles Tue
    ann = broker.announce(ca_type="stock_merger", ca_sub_type="stock_and_cash_merger",
                          initiating_symbol="NVDA", target_symbol="AAPL", old_rate=D(5),
                          new_rate=D(2), cash=D("10.00"), declaration_date=DAY(2024, 10, 7),
                          ex_date=DAY(2024, 10, 10))
    broker.end_of_day()
    broker.end_of_day()                                                   # Wed 10-09
    cost = broker.position(funded, "NVDA").cost_basis
    cash = broker.trading_account(funded).cash_settled
    broker.end_of_day()                                                   # Thu 10-10
    assert broker.position(funded, "NVDA") is None
    received = D(3) if in_lieu else D("3.04")
    gave, got = sorted(_by_type(broker, funded, "MA"), key=lambda e: e.symbol != "NVDA")
    assert (gave.symbol, gave.qty, gave.net_amount, gave.corporate_action_id) == (
        "NVDA", D("7.6"), D(76), ann.corporate_action_id)
    assert (got.symbol, got.qty, got.net_amount, got.parent_id) == (
        "AAPL", received, D(0), gave.id)
    position = broker.position(funded, "AAPL")
    assert (position.qty, position.qty_settled, position.cost_basis) == (received, received,
                                                                          cost)
    in_cash = D(8) if in_lieu else D(0)
    assert broker.trading_account(funded).cash_settled - cash == D(76) + in_cash
    assert broker.asset("NVDA").tradable is False
    with pytest.raises(BrokerRejected) as refused:
        broker.announce(ca_type="stock_merger", ca_sub_type="stock_merger",
                        initiating_symbol="AAPL", target_symbol="MSFT", old_rate=D(1),
                        new_rate=D(1), cash=D(1), declaration_date=DAY(2024, 10, 10),
                        ex_date=DAY(2024, 10, 11))
    assert "pays no cash" in refused.value.detail


def test_two_name_changes_to_one_symbol_are_refused_and_an_amendment_keeps_its_own(broker):
    first = broker.announce(ca_type="name_change", ca_sub_type="name_change",
                            initiating_symbol="NVDA", target_symbol="NEWS",
                            declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 10))
    with pytest.raises(BrokerRejected) as twice:
        broker.announce(ca_type="name_change", ca_sub_type="name_change",
                        initiating_symbol="AAPL", target_symbol="NEWS",
                        declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 11))
    assert "another name change announces NEWS" in twice.value.detail
    moved = broker.amend(first.corporate_action_id, ex_date=DAY(2024, 10, 14))
    assert (moved.version, moved.ex_date, moved.target_symbol) == (2, DAY(2024, 10, 14), "NEWS")
