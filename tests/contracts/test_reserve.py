"""Reserve guard: mints never outrun attested custody."""

from brownie import chain

from deploy.suite import ONE
from tests.contracts.conftest import fails_with


def test_mint_refused_beyond_settled_custody(suite, token, alice, roles):
    suite.attest("AAPL", 100 * ONE)
    token.mint(alice, 100 * ONE, {"from": roles.agent})
    with fails_with("ReserveExceeded"):
        token.mint(alice, 1, {"from": roles.agent})
    assert token.totalSupply() == 100 * ONE


def test_mint_without_or_with_stale_attestation_is_refused(suite, token, alice, roles):
    with fails_with("ReserveFeedUnusable"):  # the feed has no round yet
        token.mint(alice, ONE, {"from": roles.agent})
    suite.attest("AAPL", 100 * ONE)
    chain.sleep(7 * 86_400 + 10)
    with fails_with("ReserveAttestationStale"):
        token.mint(alice, ONE, {"from": roles.agent})
    assert not token.isAttestationFresh()


def test_pending_shares_count_only_up_to_the_cap(suite, token, alice, roles):
    suite.attest("AAPL", 10 * ONE, 50 * ONE)
    with fails_with("ReserveExceeded"):  # pending shares back nothing at a zero cap
        token.mint(alice, 10 * ONE + 1, {"from": roles.agent})
    with fails_with("OwnableUnauthorizedAccount"):
        token.setReservePolicy(20 * ONE, 86_400, {"from": roles.reserve})
    tx = token.setReservePolicy(20 * ONE, 86_400, {"from": roles.owner})
    assert tx.events["ReservePolicyUpdated"]["pendingCap"] == 20 * ONE
    token.mint(alice, 30 * ONE, {"from": roles.agent})
    with fails_with("ReserveExceeded"):
        token.mint(alice, 1, {"from": roles.agent})


def test_batch_mint_checks_the_total(suite, token, alice, bob, roles):
    suite.attest("AAPL", 10 * ONE)
    with fails_with("ReserveExceeded"):
        token.batchMint([alice, bob], [6 * ONE, 5 * ONE], {"from": roles.agent})
    token.batchMint([alice, bob], [5 * ONE, 5 * ONE], {"from": roles.agent})


def test_mints_are_checked_at_the_pending_multiplier(suite, token, alice, roles):
    """After a dividend step is scheduled, custody must cover supply at the new multiplier
    before anything mints (a dividend rescales nothing: the attestation still counts)."""
    suite.attest("AAPL", 100 * ONE)
    token.mint(alice, 40 * ONE, {"from": roles.agent})
    token.scheduleMultiplier(  # +10 %: covered by custody (44 <= 100), so accepted
        ONE, ONE * 11 // 10, chain[-1].timestamp + 3600, 1, "0x" + "00" * 32, 1,
        {"from": roles.corporate_actions}
    )
    with fails_with("ReserveExceeded"):
        token.mint(alice, 51 * ONE, {"from": roles.agent})  # 91 * 1.1 = 100.1 > 100
    token.mint(alice, 50 * ONE, {"from": roles.agent})  # 90 * 1.1 = 99


def test_after_an_other_change_is_scheduled_mints_wait_for_custody_attested_after_it(
        suite, token, alice, roles):
    suite.attest("AAPL", 100 * ONE)
    token.mint(alice, 40 * ONE, {"from": roles.agent})
    token.scheduleMultiplier(  # kind Other: covered by custody (80 <= 100), so accepted
        ONE, 2 * ONE, chain[-1].timestamp + 60, 0, "0x" + "00" * 32, 1,
        {"from": roles.corporate_actions}
    )
    with fails_with("ReserveAttestationPredatesSplit"):
        token.mint(alice, ONE, {"from": roles.agent})
    chain.sleep(61)
    chain.mine()
    suite.attest("AAPL", 100 * ONE)
    with fails_with("ReserveExceeded"):
        token.mint(alice, 11 * ONE, {"from": roles.agent})  # (51) * 2 = 102 > 100
    token.mint(alice, 10 * ONE, {"from": roles.agent})


def test_attestations_are_ordered_and_role_gated(suite, roles, alice):
    feed = suite.feeds["AAPL"].reserve
    now = chain[-1].timestamp
    with fails_with("AccessControlUnauthorizedAccount"):
        feed.attest(1, 0, now - 10, {"from": alice})
    with fails_with("AccessControlUnauthorizedAccount"):  # the token's agent is not its attestor
        feed.attest(1, 0, now - 10, {"from": roles.agent})
    with fails_with("AttestationInFuture"):
        feed.attest(1, 0, now + 1000, {"from": roles.reserve})
    tx = feed.attest(5 * ONE, ONE, now - 10, {"from": roles.reserve})
    assert tx.events["ReservesAttested"]["settledShares"] == 5 * ONE
    assert [int(x) for x in feed.attestation(1)[:3]] == [5 * ONE, ONE, now - 10]
    with fails_with("AttestationOutOfOrder"):
        feed.attest(1, 0, now - 20, {"from": roles.reserve})
