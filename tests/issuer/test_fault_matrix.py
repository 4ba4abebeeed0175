"""Every fault kind the broker can inject, crossed with the creation and the redemption
lifecycles. Each run ends completed or in a clear state with its reason, and in every case:
the invariant held at every worker pass (no token custody does not back), no order was placed
twice, nothing was minted or burned twice, and the participant paid exactly for the shares
delivered (or was paid exactly for the shares sold).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from custody_mock.faults import KINDS
from issuer.broker import AlpacaBroker
from issuer.models import ChainTx

D = Decimal
ONE = 10**18

#: How each kind is armed: its scope and parameters. HTTP faults fire on a third of the calls
#: for the custody account (a fixed seed, so every run sees the same faults); the rest once.
FAULTS: dict[str, dict] = {
    "http_error": {"count": None, "probability": D("0.3"), "seed": 7, "status": 503,
                   "applied": True},
    "timeout": {"count": None, "probability": D("0.3"), "seed": 7, "delay_ms": 500,
                "applied": True},
    "rate_limit": {"count": None, "probability": D("0.3"), "seed": 7, "retry_after": 0},
    "order_reject_submit": {},
    "order_reject_after_accept": {},
    "partial_fill": {"ratio": "0.4"},
    "settlement_delay": {"days": 2},
    "settlement_fail": {"applies_to": "trade"},
    "trade_bust": {},
    "trade_correct": {"price_change_bps": 50},
    "activity_duplicate": {"count": 5},
    "activity_out_of_order": {"count": 5},
    "announcement_amend": {"symbol": "AAPL", "changes": {"cash": "0.30"}},
}

#: What each creation of 10 AAPL at 200 ends as: status, shares minted.
CREATION = {
    "http_error": ("completed", D(10)),
    "timeout": ("completed", D(10)),
    "rate_limit": ("completed", D(10)),
    "order_reject_submit": ("failed", D(0)),
    "order_reject_after_accept": ("failed", D(0)),
    "partial_fill": ("completed", D(4)),
    "settlement_delay": ("completed", D(10)),
    "settlement_fail": ("failed", D(0)),
    "trade_bust": ("failed", D(0)),
    "trade_correct": ("completed", D(10)),
    "activity_duplicate": ("completed", D(10)),
    "activity_out_of_order": ("completed", D(10)),
    "announcement_amend": ("completed", D(10)),
}

#: What a redemption of 4 of 10 AAPL held ends as: status, shares sold.
REDEMPTION = {
    "http_error": ("completed", D(4)),
    "timeout": ("completed", D(4)),
    "rate_limit": ("completed", D(4)),
    "order_reject_submit": ("completed", D(4)),
    "order_reject_after_accept": ("completed", D(4)),
    "partial_fill": ("completed", D(4)),
    "settlement_delay": ("completed", D(4)),
    "settlement_fail": ("completed", D(4)),
    "trade_bust": ("completed", D(4)),
    "trade_correct": ("completed", D(4)),
    "activity_duplicate": ("completed", D(4)),
    "activity_out_of_order": ("completed", D(4)),
    "announcement_amend": ("completed", D(4)),
}


#: Executions the broker reversed (the mock's own statuses: Alpaca shows a canceled FILL).
REVERSED = ("failed", "busted")


def test_the_matrix_covers_every_fault_kind():
    assert set(FAULTS) == set(CREATION) == set(REDEMPTION) == KINDS


def arm(stack, kind: str) -> None:
    """Arm the fault; for the slow ones the issuer's client gives up after 0.3 s (and retries)."""
    if kind in ("http_error", "timeout"):
        stack.issuer.broker = AlpacaBroker(stack.issuer.settings.broker_url, timeout=0.3,
                                           backoff=0.01)
    params = dict(FAULTS[kind])
    scope = {"symbol": params.pop("symbol")} if "symbol" in params else {
        "account_id": stack.custody_account}
    if kind == "announcement_amend":   # a dividend far enough ahead not to hold the mints
        today = stack.broker.clock().date
        stack.broker.announce(ca_type="dividend", ca_sub_type="cash", initiating_symbol="AAPL",
                              declaration_date=today, ex_date=today + dt.timedelta(days=40),
                              record_date=today + dt.timedelta(days=40),
                              payable_date=today + dt.timedelta(days=45), cash=D("0.25"))
    count = params.pop("count", 1)
    stack.broker.add_fault(kind, count=count, **scope, **params)


def cash(stack, account: str) -> D:
    return stack.broker.trading_account(account).cash


def mined(stack, key: str) -> list[tuple[int, str]]:
    with stack.issuer.session() as db:
        return [(t.attempt, t.status) for t in db.scalars(select(ChainTx).where(
            ChainTx.key == key))]


def no_order_twice(stack) -> None:
    orders = stack.broker.orders(stack.custody_account)
    ids = [o.client_order_id for o in orders]
    assert len(ids) == len(set(ids)), ids


def finish(stack, done) -> None:  # noqa: ANN001
    """Worker passes each broker day, the fault armed, until ``done()``."""
    for _ in range(8):
        stack.run()
        if done():
            return
        stack.eod()
    raise AssertionError(f"not final after 8 broker days: {stack.trail[-2:]}")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_creation_under_fault(stack, kind):
    ap_cash = cash(stack, stack.ap_account)
    arm(stack, kind)
    creation_id = stack.create("10")
    finish(stack, lambda: stack.creation(creation_id).status in ("completed", "failed",
                                                                  "halted"))
    creation = stack.creation(creation_id)
    status, minted = CREATION[kind]
    assert (creation.status, D(stack.tokens()) / ONE) == (status, minted), \
        creation.status_reason
    if status != "completed":
        assert creation.status_reason
    stack.broker.clear_faults()

    no_order_twice(stack)
    assert len([o for o in stack.broker.orders(stack.custody_account)
                if o.client_order_id.startswith(f"creation-{creation_id}")]) == 1
    assert mined(stack, f"mint:creation:{creation_id}") == (
        [(1, "mined")] if minted else [])
    # the participant paid for what was delivered: executions the broker did not reverse, at
    # their final price (a delayed settlement is invisible on Alpaca's API: the shares are
    # owed from the contractual date, so they count as delivered)
    executions = stack.broker.executions(stack.custody_account, creation.broker_order_id)
    delivered = sum((e.amount for e in executions if e.status not in REVERSED), D(0))
    assert ap_cash - cash(stack, stack.ap_account) == delivered
    assert stack.invariant_held() and stack.run_report("AAPL").holds


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_redemption_under_fault(stack, kind):
    creation = stack.create("10")
    stack.until(lambda: stack.creation(creation).status == "completed")
    ap_cash = cash(stack, stack.ap_account)
    arm(stack, kind)
    redemption_id = stack.redeem("4")
    finish(stack, lambda: stack.redemption(redemption_id).status in ("completed", "failed",
                                                                      "halted"))
    redemption = stack.redemption(redemption_id)
    status, sold = REDEMPTION[kind]
    assert (redemption.status, redemption.filled_qty) == (status, sold), \
        redemption.status_reason
    stack.broker.clear_faults()

    no_order_twice(stack)
    assert stack.tokens() == 6 * ONE
    assert mined(stack, f"burn:redemption:{redemption_id}") == [(1, "mined")]
    sells = [o for o in stack.broker.orders(stack.custody_account) if o.side == "sell"]
    settled = [e for o in sells for e in stack.broker.executions(stack.custody_account, o.id)
               if e.status not in REVERSED]
    assert sum((e.qty for e in settled), D(0)) == sold
    # the participant was paid exactly the proceeds of what was sold and settled
    assert cash(stack, stack.ap_account) - ap_cash == sum((e.amount for e in settled), D(0))
    assert stack.invariant_held() and stack.run_report("AAPL").holds
