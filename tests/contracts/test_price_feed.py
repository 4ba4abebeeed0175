"""The token unit's price feed (the underlying's price x the multiplier in force when that
price was quoted), read by a contract that values collateral as a lending market does: no jump
across a 2-for-1 split or a reinvested dividend, a stale price refused."""

import pytest
from brownie import CollateralValuer, chain

from deploy.suite import ONE
from tests.contracts.conftest import fails_with, ints

pytestmark = pytest.mark.chain

DAY = 86_400
OTHER, DIVIDEND, FORWARD, REVERSE = 0, 1, 2, 3
REF = "0x" + "ab" * 32
USD = 10**8  # the price feeds' 8 decimals
COLLATERAL = 10 * ONE  # raw token units a borrower posts


@pytest.fixture(scope="module")
def feeds(suite):
    return suite.feeds["AAPL"]


@pytest.fixture(scope="module")
def market(feeds, roles):
    return CollateralValuer.deploy(feeds.unit_price, DAY, {"from": roles.owner})


def report(feeds, roles, price):
    return feeds.price.report(price, chain[-1].timestamp, {"from": roles.reserve})


def test_it_reads_as_a_chainlink_aggregator(feeds, roles, alice):
    assert feeds.unit_price.decimals() == 8
    assert feeds.unit_price.description() == "AAPL token unit / USD"
    assert feeds.price.description() == "AAPL / USD"
    with fails_with("AccessControlUnauthorizedAccount"):
        feeds.price.report(100 * USD, chain[-1].timestamp, {"from": alice})
    with fails_with("InvalidPrice"):
        feeds.price.report(0, chain[-1].timestamp, {"from": roles.reserve})
    report(feeds, roles, 123 * USD)
    assert ints(feeds.unit_price.latestRoundData())[:2] == (1, 123 * USD)
    assert ints(feeds.unit_price.getRoundData(1))[:2] == (1, 123 * USD)


def test_a_two_for_one_split_makes_no_jump(suite, token, feeds, market, roles):
    report(feeds, roles, 200 * USD)
    before = market.value(COLLATERAL)
    assert before == 10 * 200 * USD
    # the devnet's split notice, and a minute for the block that carries it (its timestamp may
    # be a second past the last one's: without the margin the token refused it, now and then)
    effective = chain[-1].timestamp + 6 * 3600 + 60
    token.scheduleMultiplier(ONE, 2 * ONE, effective, FORWARD, REF, 1,
                             {"from": roles.corporate_actions})
    # readable ahead: the multiplier to come and when
    assert feeds.unit_price.pendingMultiplier() == 2 * ONE
    assert feeds.unit_price.pendingEffectiveAt() == effective
    chain.sleep(6 * 3600 + 61)
    chain.mine()
    assert market.value(COLLATERAL) == before  # the old quote, at the old multiplier
    report(feeds, roles, 100 * USD)  # the broker's price after the split
    assert market.value(COLLATERAL) == before


def test_a_price_quoted_before_the_split_keeps_the_old_multiplier(suite, token, feeds, market,
                                                                   roles):
    report(feeds, roles, 200 * USD)
    before = market.value(COLLATERAL)
    token.scheduleMultiplier(ONE, 2 * ONE, chain[-1].timestamp + 6 * 3600 + 60, FORWARD, REF, 1,
                             {"from": roles.corporate_actions})
    chain.sleep(6 * 3600 + 61)
    chain.mine()
    assert token.uiMultiplier() == 2 * ONE
    assert market.value(COLLATERAL) == before  # the feed has not caught up: no jump
    report(feeds, roles, 100 * USD)
    assert market.value(COLLATERAL) == before


def test_a_reinvested_dividend_makes_no_jump(suite, token, feeds, market, roles, alice):
    suite.attest("AAPL", 1_000 * ONE)
    token.mint(alice, COLLATERAL, {"from": roles.agent})
    report(feeds, roles, 100 * USD)
    before = market.value(COLLATERAL)
    # a $1 dividend reinvested at the ex-date price of $99: 100/99 more shares per token
    step = ONE * 100 // 99
    token.scheduleMultiplier(ONE, step, chain[-1].timestamp + 60, DIVIDEND, REF, 1,
                             {"from": roles.corporate_actions})
    chain.sleep(61)
    chain.mine()
    report(feeds, roles, 99 * USD)
    after = market.value(COLLATERAL)
    # the unit price is rounded down once, to the feed's last place (1e-8 dollars), so the
    # value of 10 tokens may be short by 10 such units, never over
    assert 0 <= before - after <= COLLATERAL // ONE


def test_a_stale_price_is_refused(feeds, market, roles):
    report(feeds, roles, 100 * USD)
    chain.sleep(DAY + 1)
    chain.mine()
    with fails_with("StalePrice"):
        market.value(COLLATERAL)


def test_a_reverse_split_cancelled_changes_nothing(token, feeds, market, roles):
    report(feeds, roles, 100 * USD)
    before = market.value(COLLATERAL)
    token.scheduleMultiplier(ONE, ONE // 2, chain[-1].timestamp + 600, REVERSE, REF, 1,
                             {"from": roles.corporate_actions})
    token.cancelScheduledMultiplier(1, {"from": roles.owner})
    chain.sleep(601)
    chain.mine()
    report(feeds, roles, 100 * USD)
    assert market.value(COLLATERAL) == before
    assert feeds.unit_price.multiplierAt(chain[-1].timestamp) == ONE


def test_the_history_walk_is_bounded_however_many_changes_are_cancelled(token, feeds, market,
                                                                        roles):
    """The corporate-action key schedules and cancels changes after a quote: the feed walks
    back at most MAX_CHANGES_BACK of them, then refuses the quote (a lender sees a refused
    price, never an unbounded loop)."""
    report(feeds, roles, 100 * USD)
    for nonce in range(1, feeds.unit_price.MAX_CHANGES_BACK() + 2):  # one more than it walks
        token.scheduleMultiplier(ONE, ONE // 2, chain[-1].timestamp + 600, OTHER, REF, nonce,
                                 {"from": roles.corporate_actions})
        token.cancelScheduledMultiplier(nonce, {"from": roles.owner})
    with fails_with("PriceTooOld"):
        feeds.unit_price.latestRoundData()
    report(feeds, roles, 100 * USD)  # a fresh quote is after every one of them
    assert ints(feeds.unit_price.latestRoundData())[1] == 100 * USD
