"""ERC-8056 multiplier and the staged corporate-action schedule."""

from brownie import accounts, chain

from deploy.suite import ONE
from tests.contracts.conftest import fails_with

OTHER, DIVIDEND, FORWARD, REVERSE = range(4)
SCHEDULED, REPLACED, CANCELLED = range(3)
REF = b"CA-2026-0001".ljust(32, b"\0")


def notice(token, kind=FORWARD):
    """Seconds a change of `kind` must be scheduled ahead (a forward split waits `splitNotice`)."""
    bounds = token.multiplierBounds()
    return max(bounds[3], bounds[4]) if kind == FORWARD else bounds[3]


def schedule(token, roles, new, *, kind=FORWARD, delay=None, nonce=None, expected=None):
    delay = notice(token, kind) + 3600 if delay is None else delay
    nonce = token.lastMultiplierNonce() + 1 if nonce is None else nonce
    expected = token.uiMultiplier() if expected is None else expected
    # relative to the chain's last block, not brownie's wall-clock estimate (chain.time()),
    # which can drift from anvil's clock after snapshots are reverted
    at = chain[-1].timestamp + delay
    return token.scheduleMultiplier(
        expected, new, at, kind, REF, nonce, {"from": roles.corporate_actions}
    )


def test_initial_multiplier_is_one_and_ui_equals_raw(funded, alice):
    assert funded.uiMultiplier() == ONE
    assert funded.newUIMultiplier() == ONE
    assert funded.effectiveAt() == 0
    assert funded.balanceOfUI(alice) == funded.balanceOf(alice)


def test_forward_split_takes_effect_at_effective_time_without_moving_balances(funded, alice, roles):
    tx = schedule(funded, roles, 4 * ONE)
    event = tx.events["UIMultiplierUpdated"]
    assert (event["oldMultiplier"], event["newMultiplier"]) == (ONE, 4 * ONE)
    assert funded.uiMultiplier() == ONE  # not yet
    assert funded.newUIMultiplier() == 4 * ONE
    chain.sleep(notice(funded) + 3601)
    chain.mine()
    assert funded.uiMultiplier() == 4 * ONE
    assert funded.balanceOf(alice) == 100 * ONE
    assert funded.balanceOfUI(alice) == 400 * ONE
    assert funded.totalSupplyUI() == 600 * ONE
    assert funded.toUIAmount(3) == 12
    assert funded.fromUIAmount(12) == 3
    # the next write promotes the activated value
    tx = funded.promoteMultiplier({"from": accounts[9]})
    assert tx.events["MultiplierActivated"]["multiplier"] == 4 * ONE
    assert funded.effectiveAt() == 0


def test_compare_and_set_refuses_a_stale_expected_value(funded, roles):
    with fails_with("MultiplierMismatch"):
        schedule(funded, roles, 2 * ONE, expected=3 * ONE)


def test_nonce_must_be_exactly_the_next_one(funded, roles):
    with fails_with("StaleNonce"):
        schedule(funded, roles, 2 * ONE, nonce=5)
    with fails_with("StaleNonce"):
        schedule(funded, roles, 2 * ONE, nonce=0)
    schedule(funded, roles, 2 * ONE, nonce=1, kind=OTHER, delay=10)
    chain.sleep(11)
    chain.mine()
    with fails_with("StaleNonce"):
        schedule(funded, roles, 3 * ONE, nonce=1)
    schedule(funded, roles, 3 * ONE, nonce=2)


def test_one_huge_nonce_cannot_brick_the_schedule(funded, roles):
    """Review finding 2: scheduling once with 2^64-1 used to block every later change by any key
    (and make setUIMultiplier overflow). Only `last + 1` is accepted now."""
    with fails_with("StaleNonce"):
        schedule(funded, roles, 2 * ONE, nonce=2**64 - 1, kind=OTHER)
    assert funded.lastMultiplierNonce() == 0
    funded.setUIMultiplier(2 * ONE, chain[-1].timestamp + 100, {"from": roles.corporate_actions})
    assert funded.lastMultiplierNonce() == 1


def test_bounds_direction_and_notice(funded, roles):
    with fails_with("MultiplierOutOfBounds"):
        schedule(funded, roles, 2_000_000 * ONE)
    with fails_with("MultiplierOutOfBounds"):
        schedule(funded, roles, 1, kind=REVERSE)
    with fails_with("MultiplierUnchanged"):
        schedule(funded, roles, ONE, kind=OTHER)
    with fails_with("InvalidDirection"):
        schedule(funded, roles, ONE // 2, kind=FORWARD)
    with fails_with("InvalidDirection"):
        schedule(funded, roles, 2 * ONE, kind=REVERSE)
    with fails_with("InsufficientNotice"):
        schedule(funded, roles, 2 * ONE, delay=-10)
    with fails_with("InsufficientNotice"):  # a forward split waits the split notice
        schedule(funded, roles, 2 * ONE, delay=notice(funded) - 10)
    funded.setMultiplierBounds((ONE // 100, 100 * ONE, ONE // 10, 86_400, 0), {"from": roles.owner})
    with fails_with("InsufficientNotice"):
        schedule(funded, roles, 2 * ONE, delay=3600)
    schedule(funded, roles, 2 * ONE, delay=86_401)
    with fails_with("InvalidBounds"):
        funded.setMultiplierBounds((0, 100 * ONE, 0, 0, 0), {"from": roles.owner})
    with fails_with("OwnableUnauthorizedAccount"):
        funded.setMultiplierBounds((1, 100 * ONE, 0, 0, 0), {"from": roles.corporate_actions})


def test_dividend_only_raises_by_a_bounded_step_within_settled_custody(funded, roles, suite):
    with fails_with("InvalidDirection"):
        schedule(funded, roles, ONE - 1, kind=DIVIDEND)
    with fails_with("DividendStepTooLarge"):
        schedule(funded, roles, ONE + ONE // 10 + 1, kind=DIVIDEND)
    # 150 raw tokens, 1000 settled shares attested: 1.1 fits (165 shares)
    schedule(funded, roles, ONE + ONE // 10, kind=DIVIDEND)


def test_dividend_multiplier_is_capped_by_settled_custody(funded, roles, suite):
    suite.attest("AAPL", 160 * ONE, 1_000 * ONE)  # pending shares do not count for a dividend
    with fails_with("IncreaseExceedsCustody"):
        schedule(funded, roles, ONE + ONE // 10, kind=DIVIDEND)  # 165 > 160
    schedule(funded, roles, ONE + ONE // 15, kind=DIVIDEND)  # 160 exactly


def test_one_pending_slot_cancel_and_replace_before_activation_only(funded, roles):
    schedule(funded, roles, 2 * ONE, nonce=1)
    with fails_with("PendingChangeExists"):
        schedule(funded, roles, 3 * ONE, nonce=2)
    with fails_with("NoPendingChange"):
        funded.cancelScheduledMultiplier(7, {"from": roles.corporate_actions})
    at = chain[-1].timestamp + notice(funded) + 7200
    tx = funded.replaceScheduledMultiplier(
        1, ONE, 3 * ONE, at, FORWARD, REF, 2, {"from": roles.corporate_actions}
    )
    assert tx.events["MultiplierScheduled"]["nonce"] == 2
    assert funded.newUIMultiplier() == 3 * ONE
    tx = funded.cancelScheduledMultiplier(2, {"from": roles.corporate_actions})
    assert tx.events["MultiplierCancelled"]["nonce"] == 2
    assert funded.newUIMultiplier() == ONE
    schedule(funded, roles, 2 * ONE, nonce=3, kind=OTHER, delay=60)
    chain.sleep(61)
    with fails_with("NoPendingChange"):  # activated: promoted, nothing left to cancel
        funded.cancelScheduledMultiplier(3, {"from": roles.corporate_actions})
    assert funded.uiMultiplier() == 2 * ONE


def test_history_is_append_only(funded, roles):
    schedule(funded, roles, 2 * ONE, nonce=1)
    funded.cancelScheduledMultiplier(1, {"from": roles.corporate_actions})
    schedule(funded, roles, 4 * ONE, nonce=2)
    assert funded.multiplierHistoryLength() == 3
    first, second, third = (funded.multiplierHistory(i) for i in range(3))
    assert (first[1], first[6], first[7]) == (2 * ONE, SCHEDULED, "0x" + REF.hex())
    assert (second[3], second[6]) == (1, CANCELLED)
    assert (third[1], third[3], third[5]) == (4 * ONE, 2, FORWARD)


def test_set_ui_multiplier_is_the_plain_erc8056_entry(funded, roles, alice):
    with fails_with("AccessControlUnauthorizedAccount"):
        funded.setUIMultiplier(2 * ONE, chain.time() + 100, {"from": alice})
    tx = funded.setUIMultiplier(2 * ONE, chain.time() + 100, {"from": roles.corporate_actions})
    assert tx.events["MultiplierScheduled"]["kind"] == OTHER
    assert funded.lastMultiplierNonce() == 1


def test_market_data_paused_flag(funded, roles, alice):
    with fails_with("AccessControlUnauthorizedAccount"):
        funded.setMarketDataPaused(True, {"from": alice})
    tx = funded.setMarketDataPaused(True, {"from": roles.corporate_actions})
    assert tx.events["MarketDataPausedSet"]["paused"] is True
    assert funded.marketDataPaused()


def test_split_gas_does_not_depend_on_the_number_of_holders(suite, funded, roles, alice):
    """The same split on a token with 2 holders and on one with 40 holders costs the same gas."""
    from deploy.suite import StockConfig

    crowded = suite.list_stock(StockConfig("NVDA", "NVIDIA Corp. tokenized share"))
    suite.attest("NVDA", 1_000 * ONE)
    identity = suite.registry.identity(alice)
    wallets = [f"0x{i:040x}" for i in range(0x1000, 0x1000 + 40)]
    suite.registry.batchRegisterIdentity(
        wallets, [identity] * 40, [840] * 40, {"from": roles.registrar}
    )
    crowded.batchMint(wallets, [ONE] * 40, {"from": roles.agent})
    tx_few = schedule(funded, roles, 2 * ONE, nonce=1)
    tx_many = schedule(crowded, roles, 2 * ONE, nonce=1)
    assert tx_few.gas_used == tx_many.gas_used
