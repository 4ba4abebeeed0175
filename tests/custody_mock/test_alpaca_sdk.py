"""The mock broker driven by Alpaca's official SDK, unchanged: ``alpaca-py`` with
``url_override`` pointing at the mock. Each endpoint the README's table marks "driven by
alpaca-py" is exercised here: the SDK's own request models are accepted, the answers parse into
its models, filters and paging are honoured to the end, and errors carry Alpaca's ``message``.

Before this suite about half of these calls failed (the review ran the same SDK): the full KYC
body was refused, accounts lacked ``currency``/``last_equity``, the trading account 9 fields,
transfer ids were not UUIDs and ``offset`` was ignored (the SDK's paging never ended), JNLS and
SPLIT activities had a null ``net_amount``, announcements lacked a CUSIP and numbers, the clock
and assets did not parse, ``side=sell`` returned buys, and errors had no ``message``.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alpaca.broker.client import BrokerClient as AlpacaBroker
from alpaca.broker.enums import (
    AgreementType,
    FundingSource,
    JournalEntryType,
    TaxIdType,
    TransferDirection,
    TransferTiming,
)
from alpaca.broker.models import Agreement, Contact, Disclosures, Identity
from alpaca.broker.requests import (
    CreateAccountRequest,
    CreateACHTransferRequest,
    CreateJournalRequest,
    GetAccountActivitiesRequest,
    GetJournalsRequest,
    GetTransfersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    StopLimitOrderRequest,
    StopOrderRequest,
    TrailingStopOrderRequest,
)
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import (
    ActivityType,
    CorporateActionType,
    OrderSide,
    OrderStatus,
    QueryOrderStatus,
    TimeInForce,
)
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetCorporateAnnouncementsRequest,
    GetOrdersRequest,
    ReplaceOrderRequest,
)

from tests.custody_mock.conftest import START, D, open_funded

DAY = dt.date


@pytest.fixture
def sdk(broker, broker_url: str) -> AlpacaBroker:
    """The SDK against the mock (``broker`` reset it and listed AAPL and NVDA)."""
    return AlpacaBroker("mock-key", "mock-secret", sandbox=False, url_override=broker_url)


def kyc_request(given: str = "John", family: str = "Doe") -> CreateAccountRequest:
    return CreateAccountRequest(
        contact=Contact(email_address=f"{given.lower()}@example.com",
                        phone_number="555-666-7788", street_address=["20 N San Mateo Dr"],
                        city="San Mateo", state="CA", postal_code="94401", country="USA"),
        identity=Identity(given_name=given, family_name=family, date_of_birth="1990-01-01",
                          tax_id="666-55-4321", tax_id_type=TaxIdType.USA_SSN,
                          country_of_citizenship="USA", country_of_birth="USA",
                          country_of_tax_residence="USA",
                          funding_source=[FundingSource.EMPLOYMENT_INCOME]),
        disclosures=Disclosures(is_control_person=False, is_affiliated_exchange_or_finra=False,
                                is_politically_exposed=False, immediate_family_exposed=False),
        agreements=[Agreement(agreement=kind, signed_at="2024-10-01T18:09:33Z",
                              ip_address="185.13.21.99")
                    for kind in (AgreementType.MARGIN, AgreementType.ACCOUNT,
                                 AgreementType.CUSTOMER)],
    )


def funded_by_sdk(sdk: AlpacaBroker, amount: str = "10000") -> str:
    account = sdk.create_account(kyc_request())
    sdk.create_transfer_for_account(account.id, CreateACHTransferRequest(
        amount=amount, direction=TransferDirection.INCOMING, timing=TransferTiming.IMMEDIATE,
        relationship_id=str(uuid.uuid4())))
    return str(account.id)


def test_an_account_opened_with_the_sdks_kyc_body_reads_back_through_the_sdk(sdk, broker):
    made = sdk.create_account(kyc_request("Ada", "Lovelace"))
    assert made.status == "ACTIVE" and made.currency == "USD"
    read = sdk.get_account_by_id(made.id)
    assert read.identity.given_name == "Ada" and read.identity.tax_id_type == TaxIdType.USA_SSN
    assert read.contact.city == "San Mateo" and read.contact.street_address == [
        "20 N San Mateo Dr"]
    assert read.disclosures.is_control_person is False
    assert {a.agreement for a in read.agreements} == {
        AgreementType.MARGIN, AgreementType.ACCOUNT, AgreementType.CUSTOMER}
    # an account opened with names only (the mock's shortcut) lists beside it
    bare = open_funded(broker)
    listed = {str(a.id) for a in sdk.list_accounts()}
    assert {str(made.id), bare} <= listed


def test_the_trading_account_parses_and_adds_up(sdk, broker):
    account = funded_by_sdk(sdk, "10000")
    sdk.submit_order_for_account(account, MarketOrderRequest(
        symbol="AAPL", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    trade = sdk.get_trade_account_by_id(account)
    assert D(trade.cash) == D("9600")                     # 2 x 200
    assert D(trade.cash_transferable) == D(trade.cash_withdrawable)
    assert D(trade.equity) == D("10000") and trade.clearing_broker
    assert D(sdk.get_account_by_id(account).last_equity) == D("10000")


def test_transfers_page_to_the_end_and_filter_by_direction(sdk, broker):
    account = funded_by_sdk(sdk, "1000")
    for amount, direction in (("1", "INCOMING"), ("2", "INCOMING"), ("3", "INCOMING"),
                              ("4", "INCOMING"), ("5", "OUTGOING"), ("6", "OUTGOING")):
        sdk.create_transfer_for_account(account, CreateACHTransferRequest(
            amount=amount, direction=TransferDirection(direction),
            timing=TransferTiming.IMMEDIATE, relationship_id=str(uuid.uuid4())))
    every = sdk.get_transfers_for_account(account, GetTransfersRequest(limit=2))
    assert len(every) == 7 and len({t.id for t in every}) == 7   # paged 2 at a time, ended
    assert all(isinstance(t.id, uuid.UUID) for t in every)
    outgoing = sdk.get_transfers_for_account(account, GetTransfersRequest(
        direction=TransferDirection.OUTGOING))
    assert sorted(D(t.amount) for t in outgoing) == [D(5), D(6)]


def test_orders_are_found_and_filtered_as_asked(sdk, broker):
    account = funded_by_sdk(sdk)
    bought = sdk.submit_order_for_account(account, MarketOrderRequest(
        symbol="AAPL", qty=1.5, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        client_order_id="first-buy"))
    broker.advance(hours=1)
    sdk.submit_order_for_account(account, LimitOrderRequest(
        symbol="NVDA", qty=3, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        limit_price=50))
    assert D(sdk.get_order_for_account_by_id(account, bought.id).filled_qty) == D("1.5")
    assert sdk.get_order_for_account_by_client_id(account, "first-buy").id == bought.id
    every = sdk.get_orders_for_account(account, GetOrdersRequest(status=QueryOrderStatus.ALL))
    assert len(every) == 2
    assert sdk.get_orders_for_account(account, GetOrdersRequest(
        status=QueryOrderStatus.ALL, side=OrderSide.SELL)) == []
    later = sdk.get_orders_for_account(account, GetOrdersRequest(
        status=QueryOrderStatus.ALL, after=START + dt.timedelta(minutes=30)))
    assert [o.symbol for o in later] == ["NVDA"]
    earlier = sdk.get_orders_for_account(account, GetOrdersRequest(
        status=QueryOrderStatus.ALL, until=START + dt.timedelta(minutes=30)))
    assert [o.symbol for o in earlier] == ["AAPL"]
    open_only = sdk.get_orders_for_account(account, GetOrdersRequest(
        status=QueryOrderStatus.OPEN))
    assert [o.symbol for o in open_only] == ["NVDA"]


def test_an_order_the_broker_does_not_execute_is_refused_with_alpacas_message(sdk, broker):
    account = funded_by_sdk(sdk)
    with pytest.raises(APIError) as refused:
        sdk.submit_order_for_account(account, TrailingStopOrderRequest(
            symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
            trail_percent=2))
    assert refused.value.status_code == 422
    assert "trailing" in refused.value.message
    assert sdk.get_orders_for_account(account, GetOrdersRequest(
        status=QueryOrderStatus.ALL)) == []


# ------------------------------------------- issue 25, item 8: the calls the mock refused


def test_a_stop_order_waits_for_its_stop_then_fills_and_a_stop_limit_keeps_its_limit(sdk,
                                                                                   broker):
    account = funded_by_sdk(sdk)
    stop = sdk.submit_order_for_account(account, StopOrderRequest(
        symbol="AAPL", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        stop_price=210))
    capped = sdk.submit_order_for_account(account, StopLimitOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        stop_price=205, limit_price=206))
    assert (stop.status, D(stop.stop_price)) == (OrderStatus.NEW, D(210))
    broker.set_price("AAPL", D("211.00"))
    broker.advance(minutes=1)
    stop = sdk.get_order_for_account_by_id(account, stop.id)
    assert stop.status == OrderStatus.FILLED and D(stop.filled_avg_price) >= D(211)
    # the stop limit triggered at 205 but 211 is above its limit: it waits, unfilled
    assert sdk.get_order_for_account_by_id(account, capped.id).status == OrderStatus.NEW
    broker.set_price("AAPL", D("206.00"))
    broker.advance(minutes=1)
    assert sdk.get_order_for_account_by_id(account, capped.id).status == OrderStatus.FILLED


def test_an_opening_auction_order_fills_at_the_next_open_only(sdk, broker):
    account = funded_by_sdk(sdk)
    opg = sdk.submit_order_for_account(account, MarketOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.OPG))
    broker.advance(minutes=5)                          # the session is open: not today's auction
    assert sdk.get_order_for_account_by_id(account, opg.id).status == OrderStatus.ACCEPTED
    broker.end_of_day()                                # the next open
    assert sdk.get_order_for_account_by_id(account, opg.id).status == OrderStatus.FILLED
    late = sdk.submit_order_for_account(account, LimitOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.OPG,
        limit_price=100))
    broker.end_of_day()                                # not filled in the auction: canceled
    assert sdk.get_order_for_account_by_id(account, late.id).status == OrderStatus.CANCELED


def test_replace_an_order_and_cancel_all_orders(sdk, broker):
    account = funded_by_sdk(sdk)
    low = sdk.submit_order_for_account(account, LimitOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        limit_price=50))
    new = sdk.replace_order_for_account_by_id(account, low.id, ReplaceOrderRequest(
        qty=2, limit_price=60))
    assert (str(new.replaces), D(new.qty), D(new.limit_price)) == (str(low.id), D(2), D(60))
    old = sdk.get_order_for_account_by_id(account, low.id)
    assert (old.status, str(old.replaced_by)) == (OrderStatus.REPLACED, str(new.id))
    with pytest.raises(APIError) as refused:              # replaced: no longer open
        sdk.replace_order_for_account_by_id(account, low.id, ReplaceOrderRequest(qty=3))
    assert refused.value.status_code == 422
    with pytest.raises(APIError) as refused:              # more than the buying power: as it was
        sdk.replace_order_for_account_by_id(account, new.id, ReplaceOrderRequest(qty=10_000))
    assert refused.value.status_code == 403
    assert sdk.get_order_for_account_by_id(account, new.id).status == OrderStatus.NEW
    other = sdk.submit_order_for_account(account, LimitOrderRequest(
        symbol="NVDA", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        limit_price=10))
    answers = sdk.cancel_orders_for_account(account)
    assert sorted((str(a.id), a.status) for a in answers) == sorted(
        [(str(new.id), 200), (str(other.id), 200)])
    assert sdk.get_orders_for_account(account, GetOrdersRequest(
        status=QueryOrderStatus.OPEN)) == []
    assert sdk.cancel_orders_for_account(account) == []


def test_close_a_position_and_read_every_accounts_positions(sdk, broker):
    one, two = funded_by_sdk(sdk), funded_by_sdk(sdk)
    for account, qty in ((one, 4), (two, 1)):
        sdk.submit_order_for_account(account, MarketOrderRequest(
            symbol="AAPL", qty=qty, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    everyone = sdk.get_all_accounts_positions()
    assert {k: [(p.symbol, D(p.qty)) for p in v] for k, v in everyone.positions.items()} == {
        one: [("AAPL", D(4))], two: [("AAPL", D(1))]}
    half = sdk.close_position_for_account(one, "AAPL", ClosePositionRequest(percentage="50"))
    assert (half.side, D(half.qty), half.status) == (OrderSide.SELL, D(2), OrderStatus.FILLED)
    rest = sdk.close_position_for_account(one, "AAPL")
    assert D(rest.qty) == D(2)
    assert one not in sdk.get_all_accounts_positions().positions
    with pytest.raises(APIError) as refused:
        sdk.close_position_for_account(one, "AAPL")
    assert refused.value.status_code == 404


def test_a_partner_commission_is_charged_and_interest_reads_as_int_activities(sdk, broker):
    account = funded_by_sdk(sdk)
    order = sdk.submit_order_for_account(account, MarketOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        commission=1.25))
    assert D(str(order.commission)) == D("1.25")
    fees = sdk.get_account_activities(GetAccountActivitiesRequest(
        account_id=account, activity_types=[ActivityType.FEE]))
    assert [D(str(f.net_amount)) for f in fees] == [D("-1.25")]
    broker.credit_interest(account, D("3.21"))
    interest = sdk.get_account_activities(GetAccountActivitiesRequest(
        account_id=account, activity_types=[ActivityType.INT]))
    assert [(a.activity_type, D(str(a.net_amount))) for a in interest] == [
        (ActivityType.INT, D("3.21"))]
    cash = sdk.get_trade_account_by_id(account).cash
    assert D(cash) == D(10000) - D(200) - D("1.25") + D("3.21")


def test_errors_carry_alpacas_message(sdk):
    missing = str(uuid.uuid4())
    with pytest.raises(APIError) as refused:
        sdk.get_account_by_id(missing)
    assert refused.value.status_code == 404 and missing in refused.value.message


def test_activities_with_journals_splits_and_dividends_parse_and_filter(sdk, broker):
    giver, taker = funded_by_sdk(sdk, "50000"), funded_by_sdk(sdk, "100")
    sdk.submit_order_for_account(giver, MarketOrderRequest(
        symbol="AAPL", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.DAY))
    broker.announce(ca_type="dividend", ca_sub_type="cash", initiating_symbol="AAPL",
                    declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 9),
                    record_date=DAY(2024, 10, 9), payable_date=DAY(2024, 10, 10),
                    cash=D("0.25"))
    broker.announce(ca_type="split", ca_sub_type="stock_split", initiating_symbol="AAPL",
                    declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 11),
                    record_date=DAY(2024, 10, 11), payable_date=DAY(2024, 10, 11),
                    old_rate=D(1), new_rate=D(2))
    broker.end_of_day()                                   # Tue: the buy settled
    broker.set_account_flags(giver, firm=True)            # shares journal from the firm only
    sdk.create_journal(CreateJournalRequest(
        entry_type=JournalEntryType.SECURITY, from_account=giver, to_account=taker,
        symbol="AAPL", qty=1))
    for _ in range(4):                                    # to Fri 10-11: paid, then split
        broker.end_of_day()
    activities = sdk.get_account_activities(GetAccountActivitiesRequest(account_id=giver))
    kinds = {a.activity_type for a in activities}
    assert {ActivityType.FILL, ActivityType.JNLS, ActivityType.DIV, ActivityType.SPLIT} <= kinds
    for entry in activities:
        if entry.activity_type in (ActivityType.JNLS, ActivityType.SPLIT):
            assert entry.net_amount == 0
    dividends = sdk.get_account_activities(GetAccountActivitiesRequest(
        account_id=giver, activity_types=[ActivityType.DIV]))
    # 9 shares on the record date (one was journaled away on Tuesday): 9 x 0.25
    assert [D(str(a.net_amount)) for a in dividends] == [D("2.25")]
    since = sdk.get_account_activities(GetAccountActivitiesRequest(
        account_id=giver, after=dt.datetime(2024, 10, 10, 0, 0, tzinfo=dt.UTC)))
    assert ActivityType.FILL not in {a.activity_type for a in since}
    assert ActivityType.SPLIT in {a.activity_type for a in since}


def test_journals_are_created_found_and_filtered_through_the_sdk(sdk, broker):
    giver, taker = funded_by_sdk(sdk, "500"), funded_by_sdk(sdk, "0.01")
    made = sdk.create_journal(CreateJournalRequest(
        entry_type=JournalEntryType.CASH, from_account=giver, to_account=taker, amount=25))
    assert sdk.get_journal_by_id(made.id).status == "queued"
    assert [j.id for j in sdk.get_journals(GetJournalsRequest(
        entry_type=JournalEntryType.CASH))] == [made.id]
    assert sdk.get_journals(GetJournalsRequest(after=START.date())) == []
    assert [j.id for j in sdk.get_journals(GetJournalsRequest(
        before=START.date() + dt.timedelta(days=1)))] == [made.id]
    broker.end_of_day()                                   # journals are booked at the close
    assert sdk.get_journal_by_id(made.id).status == "executed"
    assert D(sdk.get_trade_account_by_id(taker).cash) == D("25.01")


def test_announcements_parse_with_numbers_and_a_cusip(sdk, broker):
    broker.announce(ca_type="dividend", ca_sub_type="cash", initiating_symbol="AAPL",
                    declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 9),
                    record_date=DAY(2024, 10, 9), payable_date=DAY(2024, 10, 11),
                    cash=D("0.25"))
    broker.announce(ca_type="split", ca_sub_type="stock_split", initiating_symbol="NVDA",
                    declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 15),
                    old_rate=D(1), new_rate=D(4))
    found = sdk.get_corporate_announcements(GetCorporateAnnouncementsRequest(
        ca_types=[CorporateActionType.DIVIDEND, CorporateActionType.SPLIT],
        since=DAY(2024, 10, 1), until=DAY(2024, 10, 31)))
    by_symbol = {a.initiating_symbol: a for a in found}
    assert by_symbol["AAPL"].cash == 0.25 and by_symbol["AAPL"].old_rate == 1
    assert (by_symbol["NVDA"].old_rate, by_symbol["NVDA"].new_rate, by_symbol["NVDA"].cash) \
        == (1, 4, 0)
    assert all(len(a.initiating_original_cusip) == 9 for a in found)


def test_clock_and_assets_parse(sdk):
    clock = sdk.get_clock()
    assert clock.is_open is True and clock.timestamp == START
    assert clock.next_close > clock.timestamp and clock.next_open > clock.next_close
    assets = {a.symbol: a for a in sdk.get_all_assets()}
    assert {"AAPL", "NVDA"} <= set(assets) and assets["AAPL"].tradable
    assert sdk.get_asset("AAPL").fractionable is True


def test_the_latest_trade_reads_through_the_sdks_market_data_client(broker, broker_url):
    """Alpaca's Market Data client (basic auth with the partner's key, as broker partners do):
    the price in force now, exactly; a symbol that never traded is left out; a wrong key is
    refused."""
    from alpaca.data.historical import StockHistoricalDataClient
    from alpaca.data.requests import StockLatestTradeRequest

    broker.set_asset("MKT")
    broker.set_price("MKT", D("187.1234"))
    data = StockHistoricalDataClient("mock-key", "mock-secret", use_basic_auth=True,
                                     url_override=broker_url)
    trade = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="MKT"))["MKT"]
    assert D(str(trade.price)) == D("187.1234")
    broker.set_asset("NOTRADE")
    both = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols=["MKT",
                                                                                 "NOTRADE"]))
    assert list(both) == ["MKT"]  # a symbol that never traded is left out, as Alpaca does
    stranger = StockHistoricalDataClient("mock-key", "wrong", use_basic_auth=True,
                                         url_override=broker_url)
    with pytest.raises(APIError):
        stranger.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="MKT"))


def test_a_name_change_reads_through_the_sdks_corporate_actions_client(sdk, broker,
                                                                        broker_url):
    """Name changes are in Alpaca's corporate-actions data, not among the Broker API's
    announcements; alpaca-py's CorporateActionsClient reads the mock's as Alpaca's."""
    from alpaca.data.enums import CorporateActionsType
    from alpaca.data.historical.corporate_actions import CorporateActionsClient
    from alpaca.data.requests import CorporateActionsRequest

    broker.announce(ca_type="name_change", ca_sub_type="name_change", initiating_symbol="NVDA",
                    target_symbol="NVDX", declaration_date=DAY(2024, 10, 7),
                    ex_date=DAY(2024, 10, 10))
    data = CorporateActionsClient("mock-key", "mock-secret", use_basic_auth=True,
                                  url_override=broker_url)
    found = data.get_corporate_actions(CorporateActionsRequest(
        types=[CorporateActionsType.NAME_CHANGE], start=DAY(2024, 10, 1),
        end=DAY(2024, 10, 31)))
    [change] = found.data["name_changes"]
    assert (change.old_symbol, change.new_symbol, change.process_date) == (
        "NVDA", "NVDX", DAY(2024, 10, 10))
    assert len(change.old_cusip) == len(change.new_cusip) == 9
    # never among the Broker API's announcements
    assert sdk.get_corporate_announcements(GetCorporateAnnouncementsRequest(
        ca_types=[CorporateActionType.DIVIDEND, CorporateActionType.SPLIT],
        since=DAY(2024, 10, 1), until=DAY(2024, 10, 31))) == []
    later = data.get_corporate_actions(CorporateActionsRequest(
        types=[CorporateActionsType.NAME_CHANGE], start=DAY(2024, 10, 11),
        end=DAY(2024, 10, 31)))
    assert later.data.get("name_changes", []) == []
    # a kind Alpaca lists that the mock announces elsewhere (or not at all): an empty list
    splits = data.get_corporate_actions(CorporateActionsRequest(
        types=[CorporateActionsType.FORWARD_SPLIT], start=DAY(2024, 10, 1),
        end=DAY(2024, 10, 31)))
    assert splits.data.get("forward_splits", []) == []


def test_a_cash_merger_reads_through_the_sdks_corporate_actions_client(broker, broker_url):
    from alpaca.data.enums import CorporateActionsType
    from alpaca.data.historical.corporate_actions import CorporateActionsClient
    from alpaca.data.requests import CorporateActionsRequest

    broker.announce(ca_type="cash_merger", ca_sub_type="cash_merger", initiating_symbol="NVDA",
                    target_symbol="AAPL", cash=D("123.45"), declaration_date=DAY(2024, 10, 7),
                    ex_date=DAY(2024, 10, 10))
    data = CorporateActionsClient("mock-key", "mock-secret", use_basic_auth=True,
                                  url_override=broker_url)
    found = data.get_corporate_actions(CorporateActionsRequest(
        types=[CorporateActionsType.CASH_MERGER], start=DAY(2024, 10, 1),
        end=DAY(2024, 10, 31)))
    [merger] = found.data["cash_mergers"]
    assert (merger.acquiree_symbol, merger.acquirer_symbol, merger.rate,
            merger.effective_date) == ("NVDA", "AAPL", 123.45, DAY(2024, 10, 10))


def test_a_spin_off_reads_through_the_sdks_corporate_actions_client(broker, broker_url):
    from alpaca.data.enums import CorporateActionsType
    from alpaca.data.historical.corporate_actions import CorporateActionsClient
    from alpaca.data.requests import CorporateActionsRequest

    broker.announce(ca_type="spin_off", ca_sub_type="spin_off", initiating_symbol="AAPL",
                    target_symbol="APLS", old_rate=D(4), new_rate=D(1),
                    declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 9),
                    record_date=DAY(2024, 10, 9), payable_date=DAY(2024, 10, 11))
    data = CorporateActionsClient("mock-key", "mock-secret", use_basic_auth=True,
                                  url_override=broker_url)
    found = data.get_corporate_actions(CorporateActionsRequest(
        types=[CorporateActionsType.SPIN_OFF], start=DAY(2024, 10, 1), end=DAY(2024, 10, 31)))
    [spin] = found.data["spin_offs"]
    assert (spin.source_symbol, spin.new_symbol, spin.source_rate, spin.new_rate) == (
        "AAPL", "APLS", 4.0, 1.0)
    assert (spin.record_date, spin.payable_date, spin.process_date) == (
        DAY(2024, 10, 9), DAY(2024, 10, 11), DAY(2024, 10, 11))
    assert len(spin.source_cusip) == len(spin.new_cusip) == 9


def test_stock_mergers_read_through_the_sdks_corporate_actions_client(broker, broker_url):
    from alpaca.data.enums import CorporateActionsType
    from alpaca.data.historical.corporate_actions import CorporateActionsClient
    from alpaca.data.requests import CorporateActionsRequest

    broker.announce(ca_type="stock_merger", ca_sub_type="stock_and_cash_merger",
                    initiating_symbol="NVDA", target_symbol="AAPL", old_rate=D(5),
                    new_rate=D(2), cash=D("10.00"), declaration_date=DAY(2024, 10, 7),
                    ex_date=DAY(2024, 10, 10))
    data = CorporateActionsClient("mock-key", "mock-secret", use_basic_auth=True,
                                  url_override=broker_url)
    found = data.get_corporate_actions(CorporateActionsRequest(
        types=[CorporateActionsType.STOCK_MERGER, CorporateActionsType.STOCK_AND_CASH_MERGER],
        start=DAY(2024, 10, 1), end=DAY(2024, 10, 31)))
    assert found.data.get("stock_mergers", []) == []
    [merger] = found.data["stock_and_cash_mergers"]
    assert (merger.acquiree_symbol, merger.acquirer_symbol, merger.acquiree_rate,
            merger.acquirer_rate, merger.cash_rate, merger.effective_date) == (
        "NVDA", "AAPL", 5.0, 2.0, 10.0, DAY(2024, 10, 10))
