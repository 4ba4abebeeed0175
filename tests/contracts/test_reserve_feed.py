"""The proof-of-reserve feed (Chainlink's AggregatorV3Interface) and the reserve guard reading
its capacity through it: the token's own feed, an independent one the owner points it at, and
feeds that revert or answer nonsense, which block mints and never open them."""

import pytest
from brownie import CollateralValuer, ScriptedFeed, chain

from deploy.suite import ONE
from tests.contracts.conftest import fails_with, ints

pytestmark = pytest.mark.chain

DAY = 86_400


@pytest.fixture(scope="module")
def feed(suite):
    return suite.feeds["AAPL"].reserve


@pytest.fixture(scope="module")
def scripted(roles):
    """An independent feed with 8 decimals, as Chainlink's proof-of-reserve feeds often have."""
    return ScriptedFeed.deploy(8, {"from": roles.owner})


def test_the_feed_reads_as_a_chainlink_aggregator_a_round_per_attestation(suite, feed, roles):
    assert feed.decimals() == 18
    assert feed.description() == "AAPL custody, shares"
    assert feed.version() == 1
    assert ints(feed.latestRoundData()) == (0, 0, 0, 0, 0)  # nothing attested yet
    first = suite.attest("AAPL", 120 * ONE, 5 * ONE)
    as_of = first.events["ReservesAttested"]["asOf"]
    assert first.events["AnswerUpdated"]["current"] == 120 * ONE
    assert ints(feed.latestRoundData()) == (1, 120 * ONE, as_of, as_of, 1)
    assert feed.pendingShares(1) == 5 * ONE
    chain.sleep(60)
    chain.mine()
    second = suite.attest("AAPL", 130 * ONE)
    assert ints(feed.latestRoundData())[:2] == (2, 130 * ONE)
    assert ints(feed.latestRoundData())[3] == second.events["ReservesAttested"]["asOf"] > as_of
    assert ints(feed.getRoundData(1))[:2] == (1, 120 * ONE)  # a round keeps its answer
    with fails_with("NoSuchRound"):
        ints(feed.getRoundData(3))
    with fails_with("NoSuchRound"):
        feed.pendingShares(0)
    # a contract reads it through the interface alone (here one that values at its answer)
    reader = CollateralValuer.deploy(feed, DAY, {"from": roles.owner})
    assert reader.value(ONE) == 130 * ONE


def test_the_guard_reads_an_independent_feed_the_owner_points_it_at(
        token, scripted, roles, alice):
    for intruder in (roles.agent, roles.reserve, roles.corporate_actions, alice):
        with fails_with("OwnableUnauthorizedAccount"):
            token.setReserveFeed(scripted, {"from": intruder})
    scripted.set(7, 100 * 10**8, chain[-1].timestamp, 7, {"from": roles.owner})  # 100 shares
    tx = token.setReserveFeed(scripted, {"from": roles.owner})
    assert dict(tx.events["ReserveFeedUpdated"]) == {
        "feed": scripted.address, "decimals": 8, "reportsPending": False}
    assert ints(token.reserveFeed()) == (scripted.address, 8, False)
    token.setReservePolicy(50 * ONE, 7 * DAY, {"from": roles.owner})  # no pending from it anyway
    token.mint(alice, 100 * ONE, {"from": roles.agent})
    with fails_with("ReserveExceeded"):
        token.mint(alice, 1, {"from": roles.agent})
    # its staleness counts like an attestation's
    scripted.set(8, 1_000 * 10**8, chain[-1].timestamp - 7 * DAY - 1, 8, {"from": roles.owner})
    with fails_with("ReserveAttestationStale"):
        token.mint(alice, ONE, {"from": roles.agent})
    assert not token.isAttestationFresh()


def test_the_split_rule_holds_through_an_independent_feed(token, scripted, roles, alice):
    scripted.set(1, 1_000 * 10**8, chain[-1].timestamp, 1, {"from": roles.owner})
    token.setReserveFeed(scripted, {"from": roles.owner})
    token.mint(alice, 40 * ONE, {"from": roles.agent})
    token.scheduleMultiplier(  # kind Other: rescales the share
        ONE, 2 * ONE, chain[-1].timestamp + 60, 0, "0x" + "00" * 32, 1,
        {"from": roles.corporate_actions})
    with fails_with("ReserveAttestationPredatesSplit"):
        token.mint(alice, ONE, {"from": roles.agent})
    chain.sleep(61)
    chain.mine()
    scripted.set(2, 1_000 * 10**8, chain[-1].timestamp, 2, {"from": roles.owner})
    token.mint(alice, ONE, {"from": roles.agent})


NONSENSE = {
    "no round yet": (0, 100, 0, 0),
    "a negative answer": (3, -1, None, 3),
    "a zero round": (0, 100 * 10**8, None, 0),
    "a time in the future": (3, 100 * 10**8, "future", 3),
    "an answer carried from an older round": (3, 100 * 10**8, None, 2),
}


@pytest.mark.parametrize("what", [*NONSENSE, "a revert"])
def test_a_feed_that_reverts_or_answers_nonsense_blocks_mints_and_increases(
        suite, token, scripted, roles, alice, what):
    suite.attest("AAPL", 1_000 * ONE)
    token.mint(alice, 10 * ONE, {"from": roles.agent})
    scripted.set(1, 1_000 * 10**8, chain[-1].timestamp, 1, {"from": roles.owner})
    token.setReserveFeed(scripted, {"from": roles.owner})
    token.mint(alice, ONE, {"from": roles.agent})  # the feed works: mints pass
    if what == "a revert":
        scripted.setReverts(True, {"from": roles.owner})
    else:
        round_id, answer, at, answered = NONSENSE[what]
        now = chain[-1].timestamp
        at = now + 3600 if at == "future" else (now if at is None else at)
        scripted.set(round_id, answer, at, answered, {"from": roles.owner})
    with fails_with("ReserveFeedUnusable"):
        token.mint(alice, ONE, {"from": roles.agent})
    with fails_with("ReserveFeedUnusable"):
        token.batchMint([alice], [1], {"from": roles.agent})
    assert not token.isAttestationFresh()
    # nor can a multiplier increase be judged against it
    with fails_with("CustodyAttestationStale"):
        token.setUIMultiplier(ONE * 101 // 100, chain[-1].timestamp + 10,
                              {"from": roles.corporate_actions})
    assert token.totalSupply() == 11 * ONE


def test_an_answer_beyond_any_custody_blocks_mints(token, scripted, roles, alice):
    # 2^128 at 8 decimals: 2^128 x 1e10 in 18-decimal shares, more than the guard can hold
    scripted.set(1, 2**128, chain[-1].timestamp, 1, {"from": roles.owner})
    token.setReserveFeed(scripted, {"from": roles.owner})
    with fails_with("SafeCastOverflowedUintDowncast"):
        token.mint(alice, ONE, {"from": roles.agent})
    assert token.totalSupply() == 0


def test_what_is_not_a_feed_is_refused(token, compliance, roles, alice):
    for not_a_feed in (alice, compliance):  # no code; code without decimals()
        with fails_with("InvalidReserveFeed"):
            token.setReserveFeed(not_a_feed, {"from": roles.owner})


def test_the_guard_reads_pending_shares_only_from_a_feed_that_says_it_reports_them(
        suite, token, feed, roles, alice):
    assert ints(token.reserveFeed()) == (feed.address, 18, True)
    token.setReservePolicy(20 * ONE, 7 * DAY, {"from": roles.owner})
    suite.attest("AAPL", 10 * ONE, 50 * ONE)
    token.mint(alice, 30 * ONE, {"from": roles.agent})  # 10 settled + 20 of the pending
    with fails_with("ReserveExceeded"):
        token.mint(alice, 1, {"from": roles.agent})
