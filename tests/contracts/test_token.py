"""ERC-3643 token behaviour: transfers, freezes, pause, supply, agents, configuration."""

from brownie import ZERO_ADDRESS, accounts, reverts

from deploy.suite import ONE
from tests.contracts.conftest import fails_with

TRANSFER_OK, PAUSED, SENDER_FROZEN, RECEIVER_FROZEN, NOT_ENOUGH, NOT_VERIFIED, COMPLIANCE = range(7)


def test_transfer_moves_raw_balance_and_keeps_supply(funded, alice, bob):
    supply = funded.totalSupply()
    tx = funded.transfer(bob, 10 * ONE, {"from": alice})
    assert tx.events["Transfer"]["value"] == 10 * ONE
    assert (funded.balanceOf(alice), funded.balanceOf(bob)) == (90 * ONE, 60 * ONE)
    assert funded.totalSupply() == supply


def test_transfer_to_unverified_wallet_is_refused(suite, funded, alice, stranger):
    assert funded.detectTransferRestriction(alice, stranger, ONE) == NOT_VERIFIED
    assert (
        suite.messages.messageForTransferRestriction(NOT_VERIFIED)
        == "Receiver is not a verified investor"
    )
    with fails_with("ReceiverNotVerified"):
        funded.transfer(stranger, ONE, {"from": alice})


def test_paused_token_refuses_transfers_until_unpaused(funded, alice, bob, roles):
    tx = funded.pause({"from": roles.agent})
    assert tx.events["Paused"]["account"] == roles.agent
    assert funded.paused()
    assert funded.detectTransferRestriction(alice, bob, ONE) == PAUSED
    with fails_with("EnforcedPause"):
        funded.transfer(bob, ONE, {"from": alice})
    with fails_with("EnforcedPause"):
        funded.pause({"from": roles.agent})
    tx = funded.unpause({"from": roles.agent})
    assert tx.events["Unpaused"]["account"] == roles.agent
    with fails_with("ExpectedPause"):
        funded.unpause({"from": roles.agent})
    funded.transfer(bob, ONE, {"from": alice})
    assert funded.balanceOf(bob) == 51 * ONE


def test_frozen_sender_receiver_and_spender_are_refused(funded, alice, bob, roles):
    funded.approve(bob, 5 * ONE, {"from": alice})
    tx = funded.setAddressFrozen(alice, True, {"from": roles.agent})
    assert tx.events["AddressFrozen"].values() == [alice, True, roles.agent]
    assert funded.isFrozen(alice)
    assert funded.detectTransferRestriction(alice, bob, ONE) == SENDER_FROZEN
    assert funded.detectTransferRestriction(bob, alice, ONE) == RECEIVER_FROZEN
    with fails_with("WalletFrozen"):
        funded.transfer(bob, ONE, {"from": alice})
    with fails_with("WalletFrozen"):
        funded.transfer(alice, ONE, {"from": bob})
    funded.setAddressFrozen(alice, False, {"from": roles.agent})
    # transferFrom checks the spender too (T-REX 4.1.6 does not)
    funded.setAddressFrozen(bob, True, {"from": roles.agent})
    with fails_with("SpenderFrozen"):
        funded.transferFrom(alice, accounts[6], ONE, {"from": bob})
    funded.setAddressFrozen(bob, False, {"from": roles.agent})
    funded.transferFrom(alice, bob, 5 * ONE, {"from": bob})
    assert funded.allowance(alice, bob) == 0


def test_partial_freeze_limits_the_spendable_balance(funded, alice, bob, roles):
    tx = funded.freezePartialTokens(alice, 80 * ONE, {"from": roles.agent})
    assert tx.events["TokensFrozen"]["amount"] == 80 * ONE
    assert funded.getFrozenTokens(alice) == 80 * ONE
    assert funded.detectTransferRestriction(alice, bob, 21 * ONE) == NOT_ENOUGH
    with fails_with("InsufficientUnfrozenBalance"):
        funded.transfer(bob, 21 * ONE, {"from": alice})
    funded.transfer(bob, 20 * ONE, {"from": alice})
    with fails_with("FreezeExceedsBalance"):
        funded.freezePartialTokens(alice, ONE, {"from": roles.agent})
    with fails_with("UnfreezeExceedsFrozen"):
        funded.unfreezePartialTokens(alice, 81 * ONE, {"from": roles.agent})
    tx = funded.unfreezePartialTokens(alice, 30 * ONE, {"from": roles.agent})
    assert tx.events["TokensUnfrozen"]["amount"] == 30 * ONE
    assert funded.getFrozenTokens(alice) == 50 * ONE


def test_mint_and_burn_need_the_supply_role(funded, alice, bob, roles):
    with reverts():
        funded.mint(alice, ONE, {"from": alice})
    with reverts():
        funded.burn(alice, ONE, {"from": roles.corporate_actions})
    funded.burn(alice, 40 * ONE, {"from": roles.agent})
    assert funded.balanceOf(alice) == 60 * ONE
    assert funded.totalSupply() == 110 * ONE


def test_mint_to_unverified_wallet_is_refused(funded, stranger, roles):
    with fails_with("ReceiverNotVerified"):
        funded.mint(stranger, ONE, {"from": roles.agent})


def test_raw_supply_is_capped_at_2_to_the_128(funded, alice, suite, roles):
    # balances and freezes share one slot per wallet: 128 bits of balance
    cap = 2**128 - 1
    suite.attest("AAPL", cap)
    funded.mint(alice, cap - funded.totalSupply(), {"from": roles.agent})
    assert funded.totalSupply() == cap
    with fails_with("SafeCastOverflowedUintDowncast"):
        funded.mint(alice, 1, {"from": roles.agent})
    assert funded.totalSupply() == cap


def test_burn_unfreezes_only_what_it_needs(funded, alice, roles):
    funded.freezePartialTokens(alice, 90 * ONE, {"from": roles.agent})
    tx = funded.burn(alice, 30 * ONE, {"from": roles.agent})
    assert tx.events["TokensUnfrozen"]["amount"] == 20 * ONE
    assert funded.getFrozenTokens(alice) == 70 * ONE
    assert funded.balanceOf(alice) == 70 * ONE
    with fails_with("ERC20InsufficientBalance"):
        funded.burn(alice, 71 * ONE, {"from": roles.agent})


def test_batch_operations_are_all_or_nothing(funded, alice, bob, stranger, roles):
    funded.batchTransfer([bob, bob], [ONE, 2 * ONE], {"from": alice})
    assert funded.balanceOf(bob) == 53 * ONE
    with fails_with("ReceiverNotVerified"):
        funded.batchTransfer([bob, stranger], [ONE, ONE], {"from": alice})
    assert funded.balanceOf(bob) == 53 * ONE
    with fails_with("ArrayLengthMismatch"):
        funded.batchTransfer([bob], [ONE, ONE], {"from": alice})
    funded.batchMint([alice, bob], [ONE, ONE], {"from": roles.agent})
    funded.batchBurn([alice, bob], [ONE, ONE], {"from": roles.agent})
    funded.batchSetAddressFrozen([alice, bob], [True, True], {"from": roles.agent})
    assert funded.isFrozen(alice) and funded.isFrozen(bob)
    funded.batchSetAddressFrozen([alice, bob], [False, False], {"from": roles.agent})
    funded.batchFreezePartialTokens([alice, bob], [ONE, 2 * ONE], {"from": roles.agent})
    funded.batchUnfreezePartialTokens([alice, bob], [ONE, ONE], {"from": roles.agent})
    assert (funded.getFrozenTokens(alice), funded.getFrozenTokens(bob)) == (0, ONE)
    funded.batchForcedTransfer([alice, bob], [bob, alice], [ONE, ONE], {"from": roles.agent})
    with fails_with("ArrayLengthMismatch"):
        funded.batchForcedTransfer([alice], [bob, alice], [ONE, ONE], {"from": roles.agent})


def test_compliance_agent_functions_refuse_other_callers(funded, alice, bob, roles):
    for call in (
        lambda: funded.pause({"from": alice}),
        lambda: funded.setAddressFrozen(bob, True, {"from": roles.reserve}),
        lambda: funded.freezePartialTokens(bob, 1, {"from": alice}),
        lambda: funded.forcedTransfer(alice, bob, 1, {"from": roles.owner}),
        lambda: funded.recoveryAddress(alice, bob, ZERO_ADDRESS, {"from": alice}),
    ):
        with fails_with("AccessControlUnauthorizedAccount"):
            call()


def test_forced_transfer_respects_compliance_unless_overridden(suite, funded, alice, bob, roles):
    """T-REX forcedTransfer skips compliance; ours checks it, and an override is an event."""
    iran_wallet = accounts[8]
    suite.onboard(iran_wallet, 364)  # blocked country for AAPL
    with fails_with("CountryRestricted"):
        funded.forcedTransfer(alice, iran_wallet, ONE, {"from": roles.agent})
    tx = funded.forcedTransferWithOverride(
        alice, iran_wallet, ONE, b"court order 42".ljust(32, b"\0"), {"from": roles.agent}
    )
    event = tx.events["ComplianceOverridden"]
    assert (event["agent"], event["from"], event["to"], event["amount"]) == (
        roles.agent,
        alice,
        iran_wallet,
        ONE,
    )
    assert funded.balanceOf(iran_wallet) == ONE


def test_forced_transfer_works_on_frozen_and_paused_wallets(funded, alice, bob, roles):
    funded.setAddressFrozen(alice, True, {"from": roles.agent})
    funded.freezePartialTokens(alice, 100 * ONE, {"from": roles.agent})
    funded.pause({"from": roles.agent})
    tx = funded.forcedTransfer(alice, bob, 10 * ONE, {"from": roles.agent})
    assert tx.events["TokensUnfrozen"]["amount"] == 10 * ONE
    assert funded.balanceOf(bob) == 60 * ONE


def test_agent_management_is_owner_only_and_splits_roles(funded, roles, alice):
    new_agent = accounts[8]
    with fails_with("OwnableUnauthorizedAccount"):
        funded.addAgent(new_agent, {"from": alice})
    tx = funded.addAgent(new_agent, {"from": roles.owner})
    assert tx.events["AgentAdded"]["agent"] == new_agent
    assert funded.isAgent(new_agent)
    # an ERC-3643 agent cannot change the multiplier, nor grant itself the role to
    assert not funded.hasRole(funded.CORPORATE_ACTION_ROLE(), new_agent)
    with fails_with("OwnableUnauthorizedAccount"):
        funded.grantRole(funded.CORPORATE_ACTION_ROLE(), new_agent, {"from": roles.agent})
    funded.removeAgent(new_agent, {"from": roles.owner})
    assert not funded.isAgent(new_agent)
    with fails_with("NotAnAgent"):
        funded.removeAgent(new_agent, {"from": roles.owner})


def test_token_information_updates_are_owner_only(funded, roles, alice):
    with fails_with("OwnableUnauthorizedAccount"):
        funded.setName("x", {"from": alice})
    tx = funded.setName("Apple tokenized", {"from": roles.owner})
    assert tx.events["UpdatedTokenInformation"]["newDecimals"] == 18
    funded.setSymbol("xAAPL", {"from": roles.owner})
    funded.setOnchainID(accounts[8], {"from": roles.owner})
    assert (funded.name(), funded.symbol(), funded.onchainID()) == (
        "Apple tokenized",
        "xAAPL",
        accounts[8],
    )
    assert funded.version() == "1.0.0"
    assert funded.decimals() == 18


def test_identity_registry_and_compliance_can_be_replaced(funded, suite, roles):
    from brownie import ModularCompliance

    with fails_with("ZeroAddress"):
        funded.setIdentityRegistry(ZERO_ADDRESS, {"from": roles.owner})
    tx = funded.setIdentityRegistry(suite.registry, {"from": roles.owner})
    assert tx.events["IdentityRegistryAdded"]["identityRegistry"] == suite.registry
    old = funded.compliance()
    fresh = ModularCompliance.deploy(roles.owner, [], {"from": roles.owner})
    with fails_with("ComplianceNotBound"):  # its owner must bind it to this token first
        funded.setCompliance(fresh, {"from": roles.owner})
    fresh.bindToken(funded, {"from": roles.owner})
    tx = funded.setCompliance(fresh, {"from": roles.owner})
    assert tx.events["ComplianceAdded"]["compliance"] == fresh
    assert fresh.getTokenBound() == funded
    assert ModularCompliance.at(old).getTokenBound() == ZERO_ADDRESS
    # the compliance it moved away from cannot be squatted (review finding 4)
    with fails_with("OwnableUnauthorizedAccount"):
        ModularCompliance.at(old).bindToken(roles.agent, {"from": roles.agent})


def test_supports_erc165_erc20_erc3643_and_erc8056(funded):
    assert funded.supportsInterface("0x01ffc9a7")  # ERC-165
    assert funded.supportsInterface("0x36372b07")  # ERC-20
    assert funded.supportsInterface("0xa60bf13d")  # ERC-8056 draft id
    assert funded.supportsInterface("0x7965db0b")  # AccessControl
    assert not funded.supportsInterface("0xffffffff")


def test_permit_sets_an_allowance_from_a_signature(funded, alice, bob):
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    owner = Account.create()
    from brownie import chain

    funded.transfer(bob, 0, {"from": alice})
    deadline = chain.time() + 3600
    domain = {
        "name": "Apple Inc. tokenized share",
        "version": "1",
        "chainId": chain.id,
        "verifyingContract": funded.address,
    }
    types = {
        "Permit": [
            {"name": "owner", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"},
        ]
    }
    message = {
        "owner": owner.address,
        "spender": bob.address,
        "value": 7,
        "nonce": 0,
        "deadline": deadline,
    }
    signed = owner.sign_message(encode_typed_data(domain, types, message))
    funded.permit(owner.address, bob, 7, deadline, signed.v, signed.r, signed.s, {"from": alice})
    assert funded.allowance(owner.address, bob) == 7
    assert funded.nonces(owner.address) == 1


def test_the_supply_key_alone_cannot_move_a_frozen_holders_tokens(funded, alice, bob, roles):
    """Review finding 7: burn from a frozen wallet, mint the same amount elsewhere: supply is
    unchanged, so the reserve check passed. Burning frozen tokens now needs the compliance role
    as well."""
    supply_only = accounts[8]
    funded.grantRole(funded.SUPPLY_AGENT_ROLE(), supply_only, {"from": roles.owner})
    funded.setAddressFrozen(alice, True, {"from": roles.agent})
    with fails_with("FrozenBurnNeedsComplianceAgent"):
        funded.burn(alice, ONE, {"from": supply_only})
    funded.setAddressFrozen(alice, False, {"from": roles.agent})
    funded.freezePartialTokens(alice, 95 * ONE, {"from": roles.agent})
    with fails_with("FrozenBurnNeedsComplianceAgent"):  # 6 > 5 unfrozen
        funded.batchBurn([alice], [6 * ONE], {"from": supply_only})
    funded.burn(alice, 5 * ONE, {"from": supply_only})  # the unfrozen part: a redemption
    assert funded.getFrozenTokens(alice) == 95 * ONE
    funded.burn(alice, 10 * ONE, {"from": roles.agent})  # supply + compliance roles: allowed
    assert funded.getFrozenTokens(alice) == 85 * ONE


def test_agent_status_changes_emit_the_erc3643_events(funded, roles):
    """Review finding 9: granting or revoking one agent role flipped `isAgent` silently, so
    ERC-3643 indexers missed agents."""
    who = accounts[8]
    tx = funded.grantRole(funded.COMPLIANCE_AGENT_ROLE(), who, {"from": roles.owner})
    assert funded.isAgent(who) and tx.events["AgentAdded"]["agent"] == who
    tx = funded.grantRole(funded.SUPPLY_AGENT_ROLE(), who, {"from": roles.owner})
    assert "AgentAdded" not in tx.events  # already an agent
    tx = funded.revokeRole(funded.COMPLIANCE_AGENT_ROLE(), who, {"from": roles.owner})
    assert "AgentRemoved" not in tx.events  # still an agent through the supply role
    tx = funded.renounceRole(funded.SUPPLY_AGENT_ROLE(), who, {"from": who})
    assert not funded.isAgent(who) and tx.events["AgentRemoved"]["agent"] == who
    tx = funded.grantRole(funded.CORPORATE_ACTION_ROLE(), who, {"from": roles.owner})
    assert "AgentAdded" not in tx.events  # not an agent role
