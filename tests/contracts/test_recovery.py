"""Lost-wallet recovery: the new wallet must belong to the lost wallet's identity."""

from brownie import ZERO_ADDRESS, accounts

from deploy.suite import ONE
from tests.contracts.conftest import US, fails_with


def test_recovery_moves_everything_to_a_wallet_of_the_same_identity(suite, funded, alice, roles):
    identity = suite.registry.identity(alice)
    new_wallet = accounts[8]
    suite.onboard(new_wallet, US, identity=identity)
    funded.freezePartialTokens(alice, 30 * ONE, {"from": roles.agent})
    funded.setAddressFrozen(alice, True, {"from": roles.agent})

    tx = funded.recoveryAddress(alice, new_wallet, identity, {"from": roles.agent})

    assert tx.events["RecoverySuccess"].values() == [alice, new_wallet, identity]
    assert funded.balanceOf(alice) == 0
    assert funded.balanceOf(new_wallet) == 100 * ONE
    assert funded.getFrozenTokens(new_wallet) == 30 * ONE
    assert funded.getFrozenTokens(alice) == 0
    assert funded.isFrozen(new_wallet)


def test_recovery_into_another_investors_identity_is_refused(suite, funded, alice, bob, roles):
    """T-REX 4.1.6 lets a lost wallet's tokens land in a wallet of another identity."""
    alice_identity = suite.registry.identity(alice)
    with fails_with("RecoveryIdentityMismatch"):
        funded.recoveryAddress(alice, bob, alice_identity, {"from": roles.agent})
    with fails_with("RecoveryIdentityMismatch"):
        funded.recoveryAddress(alice, bob, suite.registry.identity(bob), {"from": roles.agent})
    assert funded.balanceOf(alice) == 100 * ONE


def test_recovery_to_an_unregistered_wallet_or_of_an_empty_wallet_is_refused(
    suite, funded, alice, roles
):
    identity = suite.registry.identity(alice)
    with fails_with("RecoveryIdentityMismatch"):
        funded.recoveryAddress(alice, accounts[8], identity, {"from": roles.agent})
    with fails_with("RecoveryIdentityMismatch"):
        funded.recoveryAddress(alice, accounts[8], ZERO_ADDRESS, {"from": roles.agent})
    with fails_with("NothingToRecover"):
        funded.recoveryAddress(accounts[8], alice, identity, {"from": roles.agent})


def test_recovery_into_an_unverified_wallet_of_the_identity_is_refused(suite, funded, alice, roles):
    identity = suite.registry.identity(alice)
    new_wallet = accounts[8]
    suite.onboard(new_wallet, US, identity=identity)
    # the identity's claim is revoked: the new wallet is no longer verified once refreshed
    claim_id = suite.claim_issuer.address
    from eth_abi import encode
    from eth_utils import keccak

    cid = keccak(encode(["address", "uint256"], [claim_id, 1]))
    suite.claim_issuer.revokeClaim(cid, identity, {"from": roles.kyc_manager})
    suite.registry.refreshVerification([new_wallet], {"from": accounts[9]})
    with fails_with("ReceiverNotVerified"):
        funded.recoveryAddress(alice, new_wallet, identity, {"from": roles.agent})
