"""Lost-wallet recovery: the new wallet must belong to the lost wallet's identity."""

from brownie import ZERO_ADDRESS, accounts

from deploy.suite import ONE
from tests.contracts.conftest import IR, US, fails_with


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


def test_recovery_freezes_and_deregisters_the_lost_wallet(suite, funded, alice, roles):
    """Review finding 8: the lost wallet stayed registered, verified and unfrozen."""
    identity = suite.registry.identity(alice)
    new_wallet = accounts[8]
    suite.onboard(new_wallet, US, identity=identity)
    tx = funded.recoveryAddress(alice, new_wallet, identity, {"from": roles.agent})
    assert tx.events["AddressFrozen"]["userAddress"] == alice
    assert funded.isFrozen(alice)
    assert not suite.registry.contains(alice)
    assert not suite.registry.isVerified(alice)
    assert suite.registry.isVerified(new_wallet)  # the identity's other wallet stays


def test_recovery_keeps_the_lost_wallet_registered_while_it_holds_another_token(
    suite, funded, alice, roles
):
    """With several of the issuer's tokens, each recovery moves its own; the last deregisters."""
    from deploy.suite import StockConfig

    other = suite.list_stock(StockConfig("MSFT", "Microsoft tokenized share"))
    suite.attest("MSFT", 100 * ONE)
    other.mint(alice, ONE, {"from": roles.agent})
    identity = suite.registry.identity(alice)
    new_wallet = accounts[8]
    suite.onboard(new_wallet, US, identity=identity)
    funded.recoveryAddress(alice, new_wallet, identity, {"from": roles.agent})
    assert suite.registry.contains(alice) and funded.isFrozen(alice)
    other.recoveryAddress(alice, new_wallet, identity, {"from": roles.agent})
    assert not suite.registry.contains(alice)


def test_recovery_enforces_the_country_rules(suite, funded, alice, roles):
    """Review finding 8: recovery skipped the country modules without saying so. AAPL blocks
    Iran: a new wallet of the same identity registered there is refused."""
    identity = suite.registry.identity(alice)
    new_wallet = accounts[8]
    suite.onboard(new_wallet, IR, identity=identity)
    with fails_with("CountryRestricted"):
        funded.recoveryAddress(alice, new_wallet, identity, {"from": roles.agent})


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


def test_recovery_onto_the_lost_wallet_itself_is_refused(suite, funded, alice, roles):
    """Issue 24, finding 4: the recovery key alone froze any holder by "recovering" a wallet onto
    itself (frozen, nothing moved, `RecoverySuccess` emitted)."""
    identity = suite.registry.identity(alice)
    with fails_with("RecoveryToSameWallet"):
        funded.recoveryAddress(alice, alice, identity, {"from": roles.agent})
    assert not funded.isFrozen(alice)
    assert funded.balanceOf(alice) == 100 * ONE
    assert suite.registry.contains(alice)
