"""No single key lifts economic supply above attested custody (review finding 1, DESIGN.md §7).

The review's exploit: the corporate-action key alone moved economic supply 150 -> 225 -> 450
against 150 attested shares, by labelling increases `ForwardSplit` or through ERC-8056
`setUIMultiplier` (kind `Other`). Each entry point and kind is tried here as that attacker would.
"""

import pytest
from brownie import accounts, chain

from deploy.suite import ONE
from tests.contracts.conftest import fails_with

OTHER, DIVIDEND, FORWARD, REVERSE = range(4)
REF = "0x" + b"CA-2026-0042".ljust(32, b"\0").hex()


@pytest.fixture
def backed(suite, funded):
    """Alice 100 + Bob 50 raw at multiplier 1: economic supply 150 against exactly 150 shares."""
    suite.attest("AAPL", 150 * ONE)
    return funded


def now():
    return chain[-1].timestamp


def split_notice(token):
    return token.multiplierBounds()[4]


def schedule(token, who, new, kind, delay=3600, nonce=None):
    nonce = token.lastMultiplierNonce() + 1 if nonce is None else nonce
    return token.scheduleMultiplier(
        token.uiMultiplier(), new, now() + delay, kind, REF, nonce, {"from": who}
    )


def economic_supply(token):
    return -(-token.totalSupply() * token.uiMultiplier() // ONE)


def test_set_ui_multiplier_cannot_raise_supply_above_custody(backed, roles):
    with fails_with("IncreaseExceedsCustody"):  # 150 * 1.5 = 225 > 150
        backed.setUIMultiplier(ONE * 3 // 2, now() + 100, {"from": roles.corporate_actions})
    assert backed.newUIMultiplier() == ONE


def test_kind_other_cannot_raise_supply_above_custody(backed, roles):
    with fails_with("IncreaseExceedsCustody"):
        schedule(backed, roles.corporate_actions, ONE * 3 // 2, OTHER)


def test_a_dividend_label_is_bounded_by_step_and_custody(backed, roles):
    with fails_with("DividendStepTooLarge"):
        schedule(backed, roles.corporate_actions, ONE * 3 // 2, DIVIDEND)
    with fails_with("IncreaseExceedsCustody"):  # +1 %: 151.5 > 150
        schedule(backed, roles.corporate_actions, ONE * 101 // 100, DIVIDEND)


def test_replacing_a_decrease_with_an_increase_is_checked_the_same(backed, roles):
    schedule(backed, roles.corporate_actions, ONE // 2, REVERSE)
    with fails_with("IncreaseExceedsCustody"):
        backed.replaceScheduledMultiplier(
            1, ONE, 2 * ONE, now() + 100, OTHER, REF, 2, {"from": roles.corporate_actions}
        )
    assert backed.newUIMultiplier() == ONE // 2


def test_an_increase_needs_a_fresh_attestation(backed, roles):
    chain.sleep(backed.reservePolicy()[1] + 1)
    chain.mine()
    with fails_with("CustodyAttestationStale"):
        backed.setUIMultiplier(ONE + 1, now() + 100, {"from": roles.corporate_actions})


def test_an_increase_within_custody_and_any_decrease_are_accepted(backed, suite, roles):
    suite.attest("AAPL", 300 * ONE)
    backed.setUIMultiplier(2 * ONE, now() + 10, {"from": roles.corporate_actions})
    chain.sleep(11)
    chain.mine()
    assert economic_supply(backed) == 300 * ONE
    backed.setUIMultiplier(ONE, now() + 10, {"from": roles.corporate_actions})  # down: always ok


def test_a_forward_split_waits_its_notice_and_the_owner_can_cancel_it(backed, roles):
    notice = split_notice(backed)
    assert notice > 0
    with fails_with("InsufficientNotice"):
        schedule(backed, roles.corporate_actions, 2 * ONE, FORWARD, delay=notice - 1)
    schedule(backed, roles.corporate_actions, 3 * ONE, FORWARD, delay=notice + 60)
    with fails_with("AccessControlUnauthorizedAccount"):  # a stranger cannot cancel
        backed.cancelScheduledMultiplier(1, {"from": accounts[9]})
    tx = backed.cancelScheduledMultiplier(1, {"from": roles.owner})  # the second key
    assert tx.events["MultiplierCancelled"]["by"] == roles.owner
    chain.sleep(notice + 61)
    chain.mine()
    assert backed.uiMultiplier() == ONE
    assert economic_supply(backed) == 150 * ONE


def test_after_a_forward_split_mints_wait_for_custody_attested_after_it(backed, suite, roles):
    """The review's path 150 -> 450 now needs the owner's silence through the notice, and even
    then nothing more is minted until custody after the split is attested and covers it."""
    notice = split_notice(backed)
    schedule(backed, roles.corporate_actions, 3 * ONE, FORWARD, delay=notice + 60)
    # during the notice nothing mints: the attestation predates the split
    with fails_with("ReserveAttestationPredatesSplit"):
        backed.mint(accounts[6], 1, {"from": roles.agent})
    chain.sleep(notice + 61)
    chain.mine()
    assert backed.uiMultiplier() == 3 * ONE
    suite.attest("AAPL", 150 * ONE)  # broker has not split yet: still 150 shares, as of now
    with fails_with("ReserveExceeded"):  # 150 raw * 3 = 450 > 150
        backed.mint(accounts[6], 1, {"from": roles.agent})
    backed.promoteMultiplier({"from": accounts[9]})  # activation written: the gate stays
    suite.attest("AAPL", 453 * ONE)  # the broker split custody 3-for-1, plus 3 bought
    backed.mint(accounts[6], ONE, {"from": roles.agent})
    assert economic_supply(backed) == 453 * ONE


def test_an_old_attestation_cannot_back_mints_after_a_split(backed, suite, roles):
    suite.attest("AAPL", 1_000 * ONE)  # plenty, but as of before the split
    notice = split_notice(backed)
    schedule(backed, roles.corporate_actions, 2 * ONE, FORWARD, delay=notice + 60)
    chain.sleep(notice + 61)
    chain.mine()
    with fails_with("ReserveAttestationPredatesSplit"):
        backed.mint(accounts[6], ONE, {"from": roles.agent})


def test_bounds_cannot_be_changed_under_a_pending_change(backed, roles):
    """Review question 11: new bounds are refused while the pending value falls outside them."""
    schedule(backed, roles.corporate_actions, ONE // 2, REVERSE)
    with fails_with("BoundsExcludePendingChange"):
        backed.setMultiplierBounds((ONE, 10 * ONE, ONE // 10, 0, 3600), {"from": roles.owner})
    backed.setMultiplierBounds((ONE // 4, 10 * ONE, ONE // 10, 0, 3600), {"from": roles.owner})
    assert backed.multiplierBounds()[4] == 3600


def test_the_owner_cancels_whatever_is_pending_despite_a_front_running_replacement(backed, roles):
    """Issue 24, observation 6: the corporate-action key saw the owner's cancel of nonce 1 in the
    mempool and replaced the split first (nonce 2), so the cancel reverted. Nonce 0 cancels
    whatever is pending."""
    notice = split_notice(backed)
    schedule(backed, roles.corporate_actions, 3 * ONE, FORWARD, delay=notice + 60)
    backed.replaceScheduledMultiplier(1, ONE, 4 * ONE, now() + notice + 60, FORWARD, REF, 2,
                                      {"from": roles.corporate_actions})
    with fails_with("NoPendingChange"):  # the owner's cancel by nonce, front-run
        backed.cancelScheduledMultiplier(1, {"from": roles.owner})
    tx = backed.cancelScheduledMultiplier(0, {"from": roles.owner})
    assert tx.events["MultiplierCancelled"]["nonce"] == 2
    assert backed.newUIMultiplier() == ONE
    with fails_with("NoPendingChange"):  # nothing pending any more
        backed.cancelScheduledMultiplier(0, {"from": roles.owner})
    with fails_with("AccessControlUnauthorizedAccount"):
        backed.cancelScheduledMultiplier(0, {"from": accounts[9]})
