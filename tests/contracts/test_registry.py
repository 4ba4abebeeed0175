"""Identity registry: claim validation that closes ONCHAINID 2.2.1's gaps, and the cache."""

import pytest
from brownie import IdentityRegistry, InvestorIdentity, accounts, chain, reverts
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from deploy.suite import ONE
from issuer.claims import (
    CLAIM_PURPOSE,
    KYC_TOPIC,
    MANAGEMENT_PURPOSE,
    claim_data,
    key_hash,
    malleate,
    sign_claim,
)
from tests.contracts.conftest import US, fails_with

WALLET = 8


def claim_id(issuer):
    return keccak(encode(["address", "uint256"], [issuer.address, KYC_TOPIC]))


def fresh_identity(suite, data=None, key=None):
    wallet = accounts[WALLET]
    identity = InvestorIdentity.deploy(wallet, {"from": wallet})
    data = data or claim_data(
        chain.id, suite.registry.address, suite.claim_issuer.address, chain.time() + 86_400
    )
    claim = sign_claim(
        key or suite.roles.claim_key, identity.address, suite.claim_issuer.address, KYC_TOPIC, data
    )
    identity.addClaim(
        KYC_TOPIC, 1, suite.claim_issuer, claim.signature, claim.data, "", {"from": wallet}
    )
    return wallet, identity, claim


def test_register_verifies_and_caches(suite, roles):
    wallet, identity, _ = fresh_identity(suite)
    tx = suite.registry.registerIdentity(wallet, identity, US, {"from": roles.registrar})
    assert tx.events["IdentityRegistered"].values() == [wallet, identity]
    assert tx.events["VerificationRefreshed"]["verified"] is True
    assert suite.registry.isVerified(wallet) and suite.registry.isVerifiedLive(wallet)
    assert suite.registry.contains(wallet)
    assert suite.registry.identity(wallet) == identity
    assert suite.registry.investorCountry(wallet) == US
    assert tuple(suite.registry.verifiedCountry(wallet)) == (True, US)


def test_registry_writes_are_agent_only(suite, alice):
    wallet, identity, _ = fresh_identity(suite)
    with fails_with("NotAgent"):
        suite.registry.registerIdentity(wallet, identity, US, {"from": alice})
    with fails_with("NotAgent"):
        suite.registry.deleteIdentity(alice, {"from": alice})


def test_expired_claim_is_not_valid(suite, roles):
    data = claim_data(
        chain.id, suite.registry.address, suite.claim_issuer.address, chain.time() + 100
    )
    wallet, identity, _ = fresh_identity(suite, data=data)
    suite.registry.registerIdentity(wallet, identity, US, {"from": roles.registrar})
    assert suite.registry.isVerified(wallet)
    chain.sleep(200)
    chain.mine()
    assert not suite.registry.isVerified(wallet)  # cache ends at the claim's expiry
    assert tuple(suite.registry.verifiedCountry(wallet)) == (False, 0)


def test_claim_for_another_chain_or_registry_is_not_valid(suite, roles):
    for data in (
        claim_data(chain.id + 1, suite.registry.address, suite.claim_issuer.address,
                   chain.time() + 86_400),
        claim_data(chain.id, accounts[0].address, suite.claim_issuer.address,
                   chain.time() + 86_400),
        b"\x01" * 40,
    ):
        wallet, identity, _ = fresh_identity(suite, data=data)
        assert suite.registry.claimExpiry(identity, suite.claim_issuer, KYC_TOPIC) == 0
    suite.registry.registerIdentity(wallet, identity, US, {"from": roles.registrar})
    assert not suite.registry.isVerified(wallet)


def test_revoked_claim_cannot_come_back_with_a_malleable_signature(suite, roles):
    """ONCHAINID 2.2.1 keys revocation by signature bytes and accepts high-s signatures."""
    wallet, identity, claim = fresh_identity(suite)
    suite.registry.registerIdentity(wallet, identity, US, {"from": roles.registrar})
    suite.claim_issuer.revokeClaim(
        claim_id(suite.claim_issuer), identity, {"from": roles.kyc_manager}
    )
    twin = malleate(claim.signature)
    identity.addClaim(KYC_TOPIC, 1, suite.claim_issuer, twin, claim.data, "", {"from": wallet})
    # the reference check is fooled...
    assert suite.claim_issuer.isClaimValid(identity, KYC_TOPIC, twin, claim.data)
    # ...ours is not
    assert suite.registry.claimExpiry(identity, suite.claim_issuer, KYC_TOPIC) == 0
    suite.registry.refreshVerification([wallet], {"from": accounts[9]})
    assert not suite.registry.isVerified(wallet)


def test_revocation_takes_effect_on_refresh(suite, roles):
    wallet, identity, _ = fresh_identity(suite)
    suite.registry.registerIdentity(wallet, identity, US, {"from": roles.registrar})
    suite.claim_issuer.revokeClaim(
        claim_id(suite.claim_issuer), identity, {"from": roles.kyc_manager}
    )
    assert not suite.registry.isVerifiedLive(wallet)
    assert suite.registry.isVerified(wallet)  # cached until refreshed or aged out
    tx = suite.registry.refreshVerification([wallet], {"from": accounts[9]})
    assert tx.events["VerificationRefreshed"]["verified"] is False
    assert not suite.registry.isVerified(wallet)


def test_cache_ages_out_and_falls_back_to_the_full_check(suite, roles):
    wallet, identity, _ = fresh_identity(suite)
    suite.registry.registerIdentity(wallet, identity, US, {"from": roles.registrar})
    suite.claim_issuer.revokeClaim(
        claim_id(suite.claim_issuer), identity, {"from": roles.kyc_manager}
    )
    chain.sleep(suite.registry.maxCacheAge() + 1)
    chain.mine()
    assert not suite.registry.isVerified(wallet)


def test_management_key_signs_claims_only_when_allowed(suite, roles):
    """ONCHAINID's keyHasPurpose accepts a management key for any purpose."""
    manager_key = Account.create()
    suite.claim_issuer.addKey(
        key_hash(manager_key.address), MANAGEMENT_PURPOSE, 1, {"from": roles.kyc_manager}
    )
    wallet, identity, claim = fresh_identity(suite, key=manager_key.key.hex())
    assert suite.claim_issuer.isClaimValid(identity, KYC_TOPIC, claim.signature, claim.data)
    assert suite.registry.claimExpiry(identity, suite.claim_issuer, KYC_TOPIC) == 0
    tx = suite.issuers.setManagementKeySigning(suite.claim_issuer, True, {"from": roles.owner})
    assert tx.events["ManagementKeySigningSet"]["allowed"] is True
    assert suite.registry.claimExpiry(identity, suite.claim_issuer, KYC_TOPIC) > 0


def test_claim_signed_by_a_key_the_issuer_removed_is_not_valid(suite, roles):
    wallet, identity, _ = fresh_identity(suite)
    assert suite.registry.claimExpiry(identity, suite.claim_issuer, KYC_TOPIC) > 0
    signer = Account.from_key(suite.roles.claim_key).address
    suite.claim_issuer.removeKey(key_hash(signer), CLAIM_PURPOSE, {"from": roles.kyc_manager})
    assert suite.registry.claimExpiry(identity, suite.claim_issuer, KYC_TOPIC) == 0


def test_rule_changes_drop_every_cached_verification(suite, roles, alice):
    assert suite.registry.isVerified(alice)
    tx = suite.issuers.removeTrustedIssuer(suite.claim_issuer, {"from": roles.owner})
    assert "VerificationEpochAdvanced" in tx.events
    assert not suite.registry.isVerified(alice)
    suite.issuers.addTrustedIssuer(suite.claim_issuer, [KYC_TOPIC], {"from": roles.owner})
    suite.registry.refreshVerification([alice], {"from": accounts[9]})
    assert suite.registry.isVerified(alice)
    suite.topics.addClaimTopic(7, {"from": roles.owner})  # nobody holds topic 7
    assert not suite.registry.isVerified(alice)
    suite.topics.removeClaimTopic(7, {"from": roles.owner})
    assert suite.registry.isVerified(alice)  # live check passes again


def test_identity_country_and_deletion_updates(suite, roles, alice):
    tx = suite.registry.updateCountry(alice, 276, {"from": roles.registrar})
    assert tx.events["CountryUpdated"]["country"] == 276
    assert suite.registry.investorCountry(alice) == 276
    other = suite.new_identity(accounts[8])
    tx = suite.registry.updateIdentity(alice, other, {"from": roles.registrar})
    assert "VerificationInvalidated" in tx.events
    assert suite.registry.identity(alice) == other
    assert not suite.registry.isVerified(alice)  # the new identity has no claim
    suite.registry.deleteIdentity(alice, {"from": roles.registrar})
    assert not suite.registry.contains(alice)
    assert not suite.registry.isVerified(alice)


def test_batch_register_checks_lengths(suite, roles):
    with fails_with("ArrayLengthMismatch"):
        suite.registry.batchRegisterIdentity([accounts[8]], [], [US], {"from": roles.registrar})


def test_storage_is_shared_and_only_bound_registries_write(suite, roles, alice):
    assert suite.storage.storedIdentity(alice) == suite.registry.identity(alice)
    assert suite.storage.linkedIdentityRegistries() == [suite.registry]
    with fails_with("NotBoundRegistry"):
        suite.storage.addIdentityToStorage(accounts[8], accounts[8], US, {"from": roles.owner})
    # a notification from anyone but the storage is ignored (never reverted: issue 24, finding 3)
    cached = suite.registry.cachedVerification(alice)
    tx = suite.registry.onStoredInvestorChanged(alice, {"from": roles.owner})
    assert "VerificationInvalidated" not in tx.events
    assert suite.registry.cachedVerification(alice) == cached
    with fails_with("NotRulesSource"):
        suite.registry.onVerificationRulesChanged({"from": roles.owner})


def test_cached_transfer_check_is_cheaper_than_the_full_walk(suite, funded, alice, bob):
    cached = suite.registry.isVerified.estimate_gas(bob)
    live = suite.registry.isVerifiedLive.estimate_gas(bob)
    print(f"isVerified cached: {cached} gas, full check: {live} gas")
    assert cached < live / 3


def test_a_claim_revoked_at_one_issuer_does_not_pass_under_another_sharing_the_key(suite, roles):
    """Review finding 6: the signed digest did not name the issuer, so a claim revoked at issuer
    A passed again when the investor re-filed it under issuer B holding the same key."""
    from brownie import KycClaimIssuer

    second = KycClaimIssuer.deploy(roles.kyc_manager, {"from": roles.kyc_manager})
    signer = Account.from_key(suite.roles.claim_key).address
    second.addKey(key_hash(signer), CLAIM_PURPOSE, 1, {"from": roles.kyc_manager})
    suite.issuers.addTrustedIssuer(second, [KYC_TOPIC], {"from": roles.owner})
    wallet, identity, claim = fresh_identity(suite)
    suite.registry.registerIdentity(wallet, identity, US, {"from": roles.registrar})
    assert suite.registry.isVerified(wallet)
    suite.claim_issuer.revokeClaimBySignature(claim.signature, {"from": roles.kyc_manager})
    # the investor re-files the same signed claim under the second issuer
    identity.addClaim(KYC_TOPIC, 1, second, claim.signature, claim.data, "", {"from": wallet})
    assert suite.registry.claimExpiry(identity, second, KYC_TOPIC) == 0
    suite.registry.refreshVerification([wallet], {"from": accounts[9]})
    assert not suite.registry.isVerified(wallet)


def test_revocation_by_signature_survives_the_investor_removing_the_claim_first(suite, roles):
    """Review finding 6: `revokeClaim(claimId, identity)` asks the identity for the signature,
    so an investor who removes the claim first gets the empty signature revoked and re-adds the
    real one. Revoking by the signature the issuer made (what this stack does) holds."""
    wallet, identity, claim = fresh_identity(suite)
    suite.registry.registerIdentity(wallet, identity, US, {"from": roles.registrar})
    cid = claim_id(suite.claim_issuer)
    # the attack on the identity-asking path, for the record
    identity.removeClaim(cid, {"from": wallet})
    suite.claim_issuer.revokeClaim(cid, identity, {"from": roles.kyc_manager})
    identity.addClaim(KYC_TOPIC, 1, suite.claim_issuer, claim.signature, claim.data, "",
                      {"from": wallet})
    assert suite.registry.isVerifiedLive(wallet)  # that revocation revoked nothing
    # the way to revoke: by the signature itself, whatever the identity shows
    identity.removeClaim(cid, {"from": wallet})
    suite.claim_issuer.revokeClaimBySignature(claim.signature, {"from": roles.kyc_manager})
    with reverts("invalid claim"):  # ONCHAINID's identity refuses it...
        identity.addClaim(KYC_TOPIC, 1, suite.claim_issuer, claim.signature, claim.data, "",
                          {"from": wallet})
    assert not suite.registry.isVerifiedLive(wallet)
    # ...and a hostile identity that would show it anyway gets nowhere: the registry asks the
    # issuer's revocation record for the very signature it checks
    assert suite.claim_issuer.isClaimRevoked(claim.signature)


@pytest.mark.parametrize("mode", [0, 1, 2, 3, 4, 5])
def test_a_hostile_identity_cannot_make_the_checks_revert(suite, funded, alice, roles, mode):
    """Review question 11, decided: an identity contract that reverts, answers malformed data,
    burns its gas, answers short or answers 100 kB makes its wallet unverified; the registry's
    views and the token's pre-check still answer."""
    from brownie import HostileIdentity

    hostile = HostileIdentity.deploy({"from": accounts[9]})
    hostile.setMode(mode, {"from": accounts[9]})
    wallet = accounts[8]
    suite.registry.registerIdentity(wallet, hostile, US, {"from": roles.registrar})
    verified, country = suite.registry.verifiedCountry(wallet)
    assert verified is False and country == 0
    assert not suite.registry.isVerifiedLive(wallet)
    assert funded.detectTransferRestriction(alice, wallet, ONE) == 5  # receiver not verified
    with fails_with("ReceiverNotVerified"):
        funded.transfer(wallet, ONE, {"from": alice})


def test_a_registry_unbound_from_the_storage_stops_answering_from_its_cache(suite, funded, alice,
                                                                            roles):
    """Review finding 10: a registry unbound from the shared storage kept serving a wallet
    deleted through another registry from its cache, and let it receive transfers."""
    wallet = accounts[8]
    suite.onboard(wallet, US)
    assert suite.registry.cachedVerification(wallet)[1] > 0  # cached as verified
    other = IdentityRegistry.deploy(
        roles.owner, suite.storage, suite.topics, suite.issuers, 86_400, {"from": roles.owner}
    )
    suite.storage.bindIdentityRegistry(other, {"from": roles.owner})
    other.addAgent(roles.registrar, {"from": roles.owner})
    tx = suite.storage.unbindIdentityRegistry(suite.registry, {"from": roles.owner})
    assert "VerificationCacheEnabled" in tx.events
    other.deleteIdentity(wallet, {"from": roles.registrar})  # not heard by the unbound one
    assert not suite.registry.isVerified(wallet)
    with fails_with("ReceiverNotVerified"):
        funded.transfer(wallet, ONE, {"from": alice})
    # bound again: the cache is back on, from a new epoch
    suite.storage.bindIdentityRegistry(suite.registry, {"from": roles.owner})
    suite.registry.refreshVerification([alice], {"from": accounts[9]})
    assert suite.registry.isVerified(alice)
