"""An attestation made before a share-count change never counts after it (issue 24, finding 1).

The review's exploit: after a real 1-for-2 reverse split the broker's position halves (150 -> 75
shares), but the 150-share attestation made before the split stayed fresh and was read in
post-split units. (a) The supply key alone minted up to it: economic supply 150 against 75 held.
(b) The corporate-action key alone raised the multiplier 0.5 -> 1.0 with ERC-8056
`setUIMultiplier` (kind `Other`), checked against the same stale 150.

The rule: every multiplier change but a dividend reinvestment changes what one token's share is
worth in broker shares (a forward or reverse split, or `Other` in either direction), so from its
scheduling nothing is minted, and after its activation no increase is scheduled, against an
attestation as of before its effective time. Each test below is written as the attacker (one key
each) and tried for every rescaling kind, through every entry point.
"""

import pytest
from brownie import accounts, chain

from deploy.suite import ONE
from tests.contracts.conftest import fails_with

OTHER, DIVIDEND, FORWARD, REVERSE = range(4)
REF = "0x" + b"CA-2026-0077".ljust(32, b"\0").hex()

#: the rescaling corporate action, the multiplier it sets, and custody at the broker after it
#: when 150 shares were held before (a reverse split halves the position, a forward one doubles
#: it; `Other` is a change the broker never shows: custody stays).
RESCALES = {
    "reverse split 1-for-2": (REVERSE, ONE // 2, 75),
    "forward split 2-for-1": (FORWARD, 2 * ONE, 300),
    "other, down": (OTHER, ONE // 2, 150),
    "other, up": (OTHER, 2 * ONE, 150),
}


def now():
    return chain[-1].timestamp


@pytest.fixture
def backed(suite, funded):
    """Alice 100 + Bob 50 raw at multiplier 1: economic supply 150 against 150 attested shares."""
    suite.attest("AAPL", 150 * ONE)
    return funded


def rescale(token, suite, roles, kind, new, attested_before):
    """The corporate action, scheduled and activated the honest way (attested before it)."""
    suite.attest("AAPL", attested_before * ONE)
    notice = token.multiplierBounds()[4] if kind == FORWARD else 0
    token.scheduleMultiplier(ONE, new, now() + notice + 60, kind, REF,
                             token.lastMultiplierNonce() + 1, {"from": roles.corporate_actions})
    chain.sleep(notice + 61)
    chain.mine()
    assert token.uiMultiplier() == new


def attestation_needed_before(new):
    """Custody the attestor shows before the change: an `Other` increase must fit it."""
    return max(150, 150 * new // ONE)


@pytest.mark.parametrize("name", RESCALES)
def test_the_supply_key_cannot_mint_against_an_attestation_from_before_a_rescale(
        backed, suite, roles, name):
    kind, new, _ = RESCALES[name]
    rescale(backed, suite, roles, kind, new, attestation_needed_before(new))
    # the attestation is fresh (minutes old) and large, but in the old share units
    assert backed.isAttestationFresh()
    with fails_with("ReserveAttestationPredatesSplit"):
        backed.mint(accounts[6], ONE, {"from": roles.agent})
    with fails_with("ReserveAttestationPredatesSplit"):
        backed.batchMint([accounts[6], accounts[7]], [ONE, ONE], {"from": roles.agent})


def test_the_reviews_reverse_split_mint_is_refused_and_custody_after_it_allows_only_what_it_holds(
        backed, suite, roles):
    """(a): 150 raw at 0.5 = 75 shares against 75 held; minting 150 raw more would make 150."""
    rescale(backed, suite, roles, REVERSE, ONE // 2, 150)
    with fails_with("ReserveAttestationPredatesSplit"):
        backed.mint(accounts[6], 150 * ONE, {"from": roles.agent})
    suite.attest("AAPL", 75 * ONE)  # the broker's position after the split, as of now
    with fails_with("ReserveExceeded"):  # 151 raw * 0.5 = 75.5 > 75
        backed.mint(accounts[6], ONE, {"from": roles.agent})
    suite.attest("AAPL", 80 * ONE)  # 10 more bought and settled
    backed.mint(accounts[6], 10 * ONE, {"from": roles.agent})  # 160 raw * 0.5 = 80
    assert backed.totalSupply() * backed.uiMultiplier() // ONE == 80 * ONE


@pytest.mark.parametrize("name", RESCALES)
@pytest.mark.parametrize("entry", ["setUIMultiplier", "scheduleMultiplier other",
                                   "scheduleMultiplier dividend", "replaceScheduledMultiplier"])
def test_the_corporate_action_key_cannot_raise_against_an_attestation_from_before_a_rescale(
        backed, suite, roles, name, entry):
    """(b): after the rescale, an increase checked against the old attestation is refused."""
    kind, new, _ = RESCALES[name]
    # before the change custody is attested generously (1,000), so the only thing wrong with it
    # afterwards is its date
    rescale(backed, suite, roles, kind, new, 1_000)
    up = new + new // 20  # +5 %: within the dividend step and the old figure
    who = {"from": roles.corporate_actions}
    nonce = backed.lastMultiplierNonce() + 1
    if entry == "setUIMultiplier":
        call = (backed.setUIMultiplier, up, now() + 60, who)
    elif entry == "replaceScheduledMultiplier":  # a pending decrease, replaced by an increase
        backed.scheduleMultiplier(new, new - 1, now() + 3_600, OTHER, REF, nonce, who)
        call = (backed.replaceScheduledMultiplier, nonce, new, up, now() + 60, OTHER, REF,
                nonce + 1, who)
    else:
        label = DIVIDEND if entry.endswith("dividend") else OTHER
        call = (backed.scheduleMultiplier, new, up, now() + 60, label, REF, nonce, who)
    with fails_with("CustodyAttestationPredatesRescale"):
        call[0](*call[1:])
    assert backed.uiMultiplier() == new
    # attested again after the change, the same increase is judged on the figure alone
    suite.attest("AAPL", 1_000 * ONE)
    call[0](*call[1:])


def test_the_reviews_reverse_split_rescale_is_refused(backed, suite, roles):
    """0.5 -> 1.0 with ERC-8056's entry point: 150 raw * 1.0 = 150 against 75 really held."""
    rescale(backed, suite, roles, REVERSE, ONE // 2, 150)
    with fails_with("CustodyAttestationPredatesRescale"):
        backed.setUIMultiplier(ONE, now() + 60, {"from": roles.corporate_actions})
    suite.attest("AAPL", 75 * ONE)  # what the broker holds after the split
    with fails_with("IncreaseExceedsCustody"):
        backed.setUIMultiplier(ONE, now() + 60, {"from": roles.corporate_actions})


def test_mints_wait_from_a_reverse_splits_scheduling_until_custody_after_it_is_attested(
        backed, suite, roles):
    backed.scheduleMultiplier(ONE, ONE // 2, now() + 600, REVERSE, REF, 1,
                              {"from": roles.corporate_actions})
    with fails_with("ReserveAttestationPredatesSplit"):
        backed.mint(accounts[6], ONE, {"from": roles.agent})
    suite.attest("AAPL", 1_000 * ONE)  # as of now, still before the effective time
    with fails_with("ReserveAttestationPredatesSplit"):
        backed.mint(accounts[6], ONE, {"from": roles.agent})
    chain.sleep(601)
    chain.mine()
    suite.attest("AAPL", 76 * ONE)
    backed.mint(accounts[6], 2 * ONE, {"from": roles.agent})  # 152 * 0.5 = 76


def test_a_dividend_reinvestment_keeps_the_attestation_in_force(backed, suite, roles):
    """A reinvested dividend changes no broker share count: custody attested before it still
    backs mints after it (the issuer's reinvestment path relies on it)."""
    suite.attest("AAPL", 200 * ONE)
    backed.scheduleMultiplier(ONE, ONE * 11 // 10, now() + 60, DIVIDEND, REF, 1,
                              {"from": roles.corporate_actions})
    chain.sleep(61)
    chain.mine()
    backed.mint(accounts[6], 10 * ONE, {"from": roles.agent})  # 160 * 1.1 = 176 <= 200


def test_a_cancelled_rescale_leaves_the_gate_where_it_was(backed, suite, roles):
    backed.scheduleMultiplier(ONE, ONE // 2, now() + 600, REVERSE, REF, 1,
                              {"from": roles.corporate_actions})
    backed.cancelScheduledMultiplier(1, {"from": roles.owner})
    suite.attest("AAPL", 151 * ONE)
    backed.mint(accounts[6], ONE, {"from": roles.agent})
