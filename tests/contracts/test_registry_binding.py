"""Binding registries to the shared storage, attacked (issue 24, findings 2 and 3).

Finding 2: `unbindIdentityRegistry` told the registry inside `try ... catch {}`. Sent with the
gas `eth_estimateGas` gives (what wallets and multisig interfaces send), the inner call ran out
of gas, the catch swallowed it, the unbind succeeded and the registry kept answering from its
cache: a wallet deleted through another registry still received tokens.

Finding 3: a registry still bound to the shared storage but pointed at another storage reverted
`NotIdentityStorage` on every notification, and the storage notified without `try`: every
onboarding, country change, deregistration and recovery of every token reverted.
"""

import pytest
from brownie import DeafRegistryListener, IdentityRegistry, IdentityRegistryStorage, accounts

from deploy.suite import ONE
from tests.contracts.conftest import US, fails_with


@pytest.fixture
def second_registry(suite, roles):
    """Another registry on the shared storage, bound, with the registrar as its agent."""
    other = IdentityRegistry.deploy(
        roles.owner, suite.storage, suite.topics, suite.issuers, 86_400, {"from": roles.owner}
    )
    suite.storage.bindIdentityRegistry(other, {"from": roles.owner})
    other.addAgent(roles.registrar, {"from": roles.owner})
    return other


@pytest.mark.parametrize("margin", [1.0, 1.1])
def test_an_unbind_sent_with_the_estimated_gas_switches_the_registrys_cache_off(
        suite, funded, alice, roles, second_registry, margin):
    wallet = accounts[8]
    suite.onboard(wallet, US)
    assert suite.registry.cachedVerification(wallet)[1] > 0  # cached as verified
    estimate = suite.storage.unbindIdentityRegistry.estimate_gas(
        suite.registry, {"from": roles.owner})
    suite.storage.unbindIdentityRegistry(suite.registry, {"from": roles.owner,
                                                          "gas_limit": int(estimate * margin)})
    assert not suite.storage.isIdentityRegistryBound(suite.registry)
    # deleted through the other registry: the unbound one must not answer from its cache
    second_registry.deleteIdentity(wallet, {"from": roles.registrar})
    assert not suite.registry.isVerified(wallet)
    with fails_with("ReceiverNotVerified"):
        funded.transfer(wallet, ONE, {"from": alice})


def test_an_unbind_with_too_little_gas_for_the_notification_reverts(suite, roles):
    """Below the gas the notification is guaranteed, the unbind itself fails: never a silent
    half-done unbind."""
    estimate = suite.storage.unbindIdentityRegistry.estimate_gas(
        suite.registry, {"from": roles.owner})
    with fails_with("NotificationGasTooLow"):
        suite.storage.unbindIdentityRegistry(suite.registry, {"from": roles.owner,
                                                              "gas_limit": estimate - 5_000})
    assert suite.storage.isIdentityRegistryBound(suite.registry)


@pytest.mark.parametrize("mode", [0, 1], ids=["reverts", "burns all gas"])
def test_a_registry_that_cannot_hear_the_unbind_is_still_unbound(suite, roles, mode):
    """A broken or hostile listener does not keep its binding by failing, and its failure is an
    event, not silence."""
    deaf = DeafRegistryListener.deploy(suite.storage, {"from": roles.owner})
    deaf.setMode(mode, {"from": roles.owner})
    suite.storage.bindIdentityRegistry(deaf, {"from": roles.owner})
    tx = suite.storage.unbindIdentityRegistry(deaf, {"from": roles.owner})
    assert not suite.storage.isIdentityRegistryBound(deaf)
    assert tx.events["BindingNoticeFailed"]["registry"] == deaf
    assert tx.gas_used < 200_000  # the listener had its allowance, no more


def test_a_re_pointed_registry_cannot_brick_the_shared_storage(suite, funded, alice, roles,
                                                               second_registry):
    """The registry's storage setter refuses while the old storage still lists it, and a
    notification from a storage that is not the registry's own is ignored, not reverted."""
    other_storage = IdentityRegistryStorage.deploy(roles.owner, {"from": roles.owner})
    with fails_with("StillBoundToStorage"):
        second_registry.setIdentityRegistryStorage(other_storage, {"from": roles.owner})
    # a notification from any other contract changes nothing and reverts nothing
    tx = second_registry.onStoredInvestorChanged(alice, {"from": accounts[9]})
    assert "VerificationInvalidated" not in tx.events
    # onboarding and country changes on the shared storage keep working for every token
    suite.onboard(accounts[8], US)
    suite.registry.updateCountry(accounts[8], 276, {"from": roles.registrar})
    assert second_registry.investorCountry(accounts[8]) == 276


def test_the_storage_refuses_to_bind_a_registry_pointed_at_another_storage(suite, roles):
    """A second issuer's registry (its own storage) cannot be bound here by mistake."""
    other_storage = IdentityRegistryStorage.deploy(roles.owner, {"from": roles.owner})
    foreign = IdentityRegistry.deploy(
        roles.owner, other_storage, suite.topics, suite.issuers, 86_400, {"from": roles.owner}
    )
    with fails_with("RegistryUsesAnotherStorage"):
        suite.storage.bindIdentityRegistry(foreign, {"from": roles.owner})
    suite.onboard(accounts[8], US)  # the shared storage still notifies its registries


def test_a_registry_moved_to_another_storage_after_its_unbind_is_not_bricking(suite, roles,
                                                                               second_registry):
    """Migration in the right order: unbind from the old storage, point at the new one, bind
    there. The old storage's writes keep working throughout."""
    new_storage = IdentityRegistryStorage.deploy(roles.owner, {"from": roles.owner})
    suite.storage.unbindIdentityRegistry(second_registry, {"from": roles.owner})
    second_registry.setIdentityRegistryStorage(new_storage, {"from": roles.owner})
    new_storage.bindIdentityRegistry(second_registry, {"from": roles.owner})
    assert new_storage.isIdentityRegistryBound(second_registry)
    suite.onboard(accounts[8], US)
    assert suite.registry.isVerified(accounts[8])


def test_the_storage_guards_at_most_64_tokens_and_the_65th_listing_says_so(suite, roles):
    """Issue 24, observation 6: `MAX_GUARDED_TOKENS` bounds the loop an identity change runs
    over the issuer's tokens; the factory's 65th listing reverts with the storage's error
    (documented in the README: a second storage takes the next 64)."""
    from deploy.suite import StockConfig

    limit = suite.storage.MAX_GUARDED_TOKENS()
    assert limit == 64
    for i in range(limit - len(suite.storage.guardedTokens())):
        suite.list_stock(StockConfig(f"T{i}", f"Test stock {i}"))
    assert len(suite.storage.guardedTokens()) == limit
    with fails_with("TooManyGuardedTokens"):
        suite.list_stock(StockConfig("ONEMORE", "One too many"))
