"""Redemptions: burn only with a path to deliver, then sell (or journal out) and pay out."""

from __future__ import annotations

import pytest

from issuer.errors import IssuerError
from issuer.models import AuditEntry, Redemption
from tests.issuer.conftest import D

ONE = 10**18


@pytest.fixture
def holding(stack):
    """The participant holds 10 AAPL tokens backed by 10 settled shares (Tue 2024-10-15)."""
    creation = stack.create("10")
    stack.until(lambda: stack.creation(creation).status == "completed")
    return stack


def test_cash_redemption_burns_sells_and_pays_the_proceeds(holding):
    stack = holding
    stack.broker.set_price("AAPL", D("210"))
    cash_before = stack.broker.trading_account(stack.ap_account).cash
    redemption_id = stack.redeem("4")
    stack.run()
    redemption = stack.redemption(redemption_id)
    assert stack.tokens() == 6 * ONE                       # burned first
    assert redemption.status in ("ordered", "filled")
    stack.until(lambda: stack.redemption(redemption_id).status == "completed")
    redemption = stack.redemption(redemption_id)
    assert (redemption.filled_qty, redemption.proceeds) == (D("4"), D("840"))
    assert stack.broker.trading_account(stack.ap_account).cash - cash_before == D("840")
    assert stack.broker.position(stack.custody_account, "AAPL").qty == D("6")
    assert stack.run_report("AAPL").holds


def test_in_kind_redemption_journals_the_shares_out(holding):
    stack = holding
    redemption_id = stack.redeem("3", kind="in_kind")
    stack.until(lambda: stack.redemption(redemption_id).status == "completed")
    assert stack.tokens() == 7 * ONE
    assert stack.broker.position(stack.ap_account, "AAPL").qty_settled == D("3")
    assert stack.broker.position(stack.custody_account, "AAPL").qty_settled == D("7")


def test_redemption_pauses_without_burning_while_the_symbol_is_halted(holding):
    stack = holding
    stack.broker.set_asset("AAPL", tradable=False, halt_reason="news pending")
    redemption_id = stack.redeem("4")
    stack.run()
    redemption = stack.redemption(redemption_id)
    assert redemption.status == "paused" and "news pending" in redemption.status_reason
    assert stack.tokens() == 10 * ONE                      # nothing burned
    stack.broker.set_asset("AAPL", tradable=True)
    stack.until(lambda: stack.redemption(redemption_id).status == "completed")
    assert stack.tokens() == 6 * ONE


def test_a_refused_sale_after_the_burn_is_retried_until_the_shares_are_sold(holding):
    stack = holding
    stack.broker.add_fault("order_reject_submit", account_id=stack.custody_account, count=2)
    redemption_id = stack.redeem("4")
    stack.run()
    assert stack.tokens() == 6 * ONE
    stack.until(lambda: stack.redemption(redemption_id).status == "completed")
    orders = stack.broker.orders(stack.custody_account, status="all")
    sells = sorted((o.client_order_id, o.status) for o in orders if o.side == "sell")
    assert sells == [(f"redemption-{redemption_id}-1", "rejected"),
                     (f"redemption-{redemption_id}-2", "rejected"),
                     (f"redemption-{redemption_id}-3", "filled")]


def test_redemption_needs_the_tokens(holding):
    stack = holding
    with pytest.raises(IssuerError) as refused:
        stack.redeem("10.000000001")
    assert refused.value.code == "insufficient_tokens"


def test_tokens_sent_to_the_redemption_wallet_start_one_redemption(holding):
    stack = holding
    wallet = stack.issuer.settings.redemption_wallet
    token = stack.issuer.chain.stock("AAPL").token
    tx = token.functions.transfer(wallet, 4 * ONE).transact({"from": stack.ap_wallet})
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(tx)
    cash_before = stack.broker.trading_account(stack.ap_account).cash
    stack.run()
    with stack.issuer.session() as db:
        [redemption] = db.query(Redemption).all()
        redemption_id = redemption.id
        assert (redemption.qty, redemption.wallet, redemption.participant_id) == (
            D("4"), wallet, stack.participant_id)
    assert stack.tokens(wallet) == 0                       # burned from the redemption wallet
    stack.until(lambda: stack.redemption(redemption_id).status == "completed")
    assert stack.broker.trading_account(stack.ap_account).cash - cash_before == D("800")
    # a stranger's deposit is reported, not redeemed
    from brownie import accounts

    stranger = accounts[7].address
    tx = token.functions.transfer(stranger, 1 * ONE).transact({"from": stack.ap_wallet})
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(tx)
    tx = token.functions.transfer(wallet, 1 * ONE).transact({"from": stranger})
    stack.issuer.chain.w3.eth.wait_for_transaction_receipt(tx)
    stack.run()
    with stack.issuer.session() as db:
        assert db.query(Redemption).count() == 1
        assert db.query(AuditEntry).filter(
            AuditEntry.action == "deposit.unknown_sender").count() == 1
    assert stack.tokens(wallet) == 1 * ONE
