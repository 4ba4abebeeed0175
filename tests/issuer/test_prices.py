"""The issuer reports the broker's last trade to each symbol's price feed, and the token unit's
price feed (the underlying's price x the multiplier) follows; reports pause while a corporate
action's window is open, so a lender never reads a price in one share at the other share's
multiplier."""

import time
from decimal import Decimal as D

import pytest
from brownie import chain as brownie_chain

from issuer import prices, units
from issuer.config import Settings
from issuer.models import ChainTx

pytestmark = pytest.mark.stack

ONE = 10**18


def round_of(issuer, symbol: str, round_id: int) -> tuple[int, int, int]:
    """The price feed's latest round once ``round_id`` is mined (the outbox waits a bounded
    time for a receipt; on a loaded machine the node may mine it just after)."""
    deadline = time.monotonic() + 30
    while (latest := issuer.chain.price_round(symbol))[0] < round_id:
        assert time.monotonic() < deadline, f"round {round_id} of {symbol} was not mined"
        time.sleep(0.1)
    return latest


def test_the_brokers_price_becomes_a_round_when_it_moves(stack):
    issuer = stack.issuer
    assert issuer.chain.price_round("AAPL") == (0, 0, 0)
    assert prices.report_all(issuer) == 2  # AAPL at 200, NVDA at 100 (the stack's prices)
    round_id, answer, _ = round_of(issuer, "AAPL", 1)
    assert (round_id, answer) == (1, 200 * 10**8)
    assert prices.report_all(issuer) == 0  # unchanged and fresh: nothing sent
    stack.broker.set_price("AAPL", D("210.1234"))
    assert prices.report_all(issuer) == 1
    assert round_of(issuer, "AAPL", 2)[:2] == (2, 21_012_340_000)
    unit = issuer.chain.stock("AAPL").unit_price_feed.functions.latestRoundData().call()
    assert units.from_feed_price(unit[1]) == D("210.1234")  # multiplier 1
    with issuer.session() as db:  # each report went through the outbox, mined
        rows = db.query(ChainTx).filter(ChainTx.key.like("price:AAPL:%")).all()
    assert len(rows) == 2   # one transaction per round, through the outbox


def test_reports_pause_while_a_multiplier_change_is_pending(stack):
    issuer, suite = stack.issuer, stack.suite
    prices.report_all(issuer)
    token = suite.stocks["AAPL"][0]
    # the devnet's split notice is 6 h: a minute more, whenever the block is mined
    token.scheduleMultiplier(ONE, 2 * ONE, brownie_chain[-1].timestamp + 6 * 3600 + 60, 2,
                             "0x" + "00" * 32, token.lastMultiplierNonce() + 1,
                             {"from": suite.roles.corporate_actions})
    stack.broker.set_price("AAPL", D("100"))  # the broker's share after the split
    with issuer.session() as db:
        assert prices.report(issuer, db, "AAPL") is None
    assert round_of(issuer, "AAPL", 1)[1] == 200 * 10**8  # the pre-split round stands


def test_the_check_is_due_once_per_interval_and_never_when_off(stack):
    on = stack.issuer
    on.settings = Settings(**{**on.settings.model_dump(), "price_report_interval": 3600})
    assert prices.due(on) and not prices.due(on)  # the next check is an hour away
    on.settings = Settings(**{**on.settings.model_dump(), "price_report_interval": 0})
    assert not prices.due(on)


def test_a_price_that_moves_twice_within_one_second_makes_two_rounds(stack):
    """The report's outbox key was the block's second alone: a second move of the price in the
    same second found the first round's transaction under that key, called it mined and sent
    nothing (the feed kept the old price; seen in CI on a loaded machine)."""
    issuer = stack.issuer
    second = issuer.chain.block_time()
    issuer.chain.block_time = lambda *args: second   # every report in one second
    assert prices.report_all(issuer) == 2
    stack.broker.set_price("AAPL", D("210.1234"))
    assert prices.report_all(issuer) == 1
    assert round_of(issuer, "AAPL", 2)[:2] == (2, 21_012_340_000)
