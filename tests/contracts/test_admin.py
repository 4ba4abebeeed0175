"""Owner and registry administration: the setters, getters and their refusals."""

from brownie import ZERO_ADDRESS, IdentityRegistry, accounts

from deploy.suite import ONE
from issuer.claims import KYC_TOPIC
from tests.contracts.conftest import US, fails_with


def test_claim_topics_registry(suite, roles, alice):
    topics = suite.topics
    assert [int(t) for t in topics.getClaimTopics()] == [KYC_TOPIC]
    with fails_with("OwnableUnauthorizedAccount"):
        topics.addClaimTopic(2, {"from": alice})
    with fails_with("TopicAlreadyRequired"):
        topics.addClaimTopic(KYC_TOPIC, {"from": roles.owner})
    with fails_with("TopicNotRequired"):
        topics.removeClaimTopic(99, {"from": roles.owner})
    for topic in range(100, 114):
        topics.addClaimTopic(topic, {"from": roles.owner})
    with fails_with("TooManyTopics"):
        topics.addClaimTopic(200, {"from": roles.owner})


def test_trusted_issuers_registry(suite, roles, alice):
    issuers, issuer = suite.issuers, suite.claim_issuer
    assert issuers.getTrustedIssuers() == [issuer]
    assert issuers.isTrustedIssuer(issuer)
    assert issuers.hasClaimTopic(issuer, KYC_TOPIC) and not issuers.hasClaimTopic(issuer, 2)
    assert issuers.getTrustedIssuersForClaimTopic(KYC_TOPIC) == [issuer]
    tx = issuers.updateIssuerClaimTopics(issuer, [KYC_TOPIC, 2], {"from": roles.owner})
    assert [int(t) for t in tx.events["ClaimTopicsUpdated"]["claimTopics"]] == [KYC_TOPIC, 2]
    assert [int(t) for t in issuers.getTrustedIssuerClaimTopics(issuer)] == [KYC_TOPIC, 2]
    assert issuers.getTrustedIssuersForClaimTopic(2) == [issuer]
    with fails_with("IssuerAlreadyTrusted"):
        issuers.addTrustedIssuer(issuer, [KYC_TOPIC], {"from": roles.owner})
    with fails_with("InvalidTopicList"):
        issuers.addTrustedIssuer(accounts[8], [], {"from": roles.owner})
    with fails_with("InvalidIssuer"):
        issuers.addTrustedIssuer(ZERO_ADDRESS, [KYC_TOPIC], {"from": roles.owner})
    with fails_with("IssuerNotTrusted"):
        issuers.getTrustedIssuerClaimTopics(accounts[8])
    with fails_with("IssuerNotTrusted"):
        issuers.setManagementKeySigning(accounts[8], True, {"from": roles.owner})
    with fails_with("OwnableUnauthorizedAccount"):
        issuers.removeTrustedIssuer(issuer, {"from": alice})


def test_rules_listeners(suite, roles):
    assert suite.issuers.rulesListeners() == [suite.registry]
    with fails_with("ListenerAlreadyAdded"):
        suite.issuers.addRulesListener(suite.registry, {"from": roles.owner})
    suite.issuers.removeRulesListener(suite.registry, {"from": roles.owner})
    with fails_with("ListenerNotFound"):
        suite.issuers.removeRulesListener(suite.registry, {"from": roles.owner})
    epoch = suite.registry.verificationEpoch()
    suite.issuers.updateIssuerClaimTopics(suite.claim_issuer, [KYC_TOPIC], {"from": roles.owner})
    assert suite.registry.verificationEpoch() == epoch  # no longer told


def test_identity_storage_binding(suite, roles, alice):
    storage = suite.storage
    with fails_with("RegistryAlreadyBound"):
        storage.bindIdentityRegistry(suite.registry, {"from": roles.owner})
    with fails_with("OwnableUnauthorizedAccount"):
        storage.unbindIdentityRegistry(suite.registry, {"from": alice})
    tx = storage.unbindIdentityRegistry(suite.registry, {"from": roles.owner})
    assert tx.events["IdentityRegistryUnbound"]["identityRegistry"] == suite.registry
    with fails_with("NotBoundRegistry"):
        suite.registry.registerIdentity(accounts[8], accounts[8], US, {"from": roles.registrar})
    identity, country = storage.storedInvestor(alice)
    assert (identity, int(country)) == (suite.registry.identity(alice), US)


def test_identity_registry_settings(suite, roles, alice):
    registry = suite.registry
    tx = registry.setMaxCacheAge(60, {"from": roles.owner})
    assert tx.events["MaxCacheAgeSet"]["maxCacheAge"] == 60
    assert registry.maxCacheAge() == 60
    epoch = registry.verificationEpoch()
    registry.invalidateAllVerifications({"from": roles.owner})
    assert registry.verificationEpoch() == epoch + 1
    assert registry.isVerified(alice)  # falls back to the full check
    assert registry.cachedVerification(alice)[0] == registry.identity(alice)
    for setter in (
        registry.setIdentityRegistryStorage,
        registry.setClaimTopicsRegistry,
        registry.setTrustedIssuersRegistry,
    ):
        with fails_with("ZeroAddress"):
            setter(ZERO_ADDRESS, {"from": roles.owner})
        with fails_with("OwnableUnauthorizedAccount"):
            setter(accounts[8], {"from": alice})
    registry.setClaimTopicsRegistry(suite.topics, {"from": roles.owner})
    assert registry.topicsRegistry() == suite.topics
    assert registry.issuersRegistry() == suite.issuers
    assert registry.identityStorage() == suite.storage
    with fails_with("InvalidAgent"):
        registry.addAgent(ZERO_ADDRESS, {"from": roles.owner})
    with fails_with("AgentAlreadyAdded"):
        registry.addAgent(roles.registrar, {"from": roles.owner})
    registry.removeAgent(roles.registrar, {"from": roles.owner})
    assert not registry.isAgent(roles.registrar)


def test_second_registry_on_the_shared_storage_is_notified(suite, roles, alice):
    other = IdentityRegistry.deploy(
        roles.owner, suite.storage, suite.topics, suite.issuers, 86_400, {"from": roles.owner}
    )
    suite.storage.bindIdentityRegistry(other, {"from": roles.owner})
    other.addAgent(roles.registrar, {"from": roles.owner})
    # the wallet is known to both, but claims name the registry they are for
    assert other.identity(alice) == suite.registry.identity(alice)
    assert not other.isVerified(alice)
    other.refreshVerification([alice], {"from": accounts[9]})
    tx = suite.registry.updateCountry(alice, 276, {"from": roles.registrar})
    assert "VerificationInvalidated" in tx.events
    assert other.investorCountry(alice) == 276


def test_compliance_binding_and_module_metadata(suite, token, compliance, roles, alice):
    with fails_with("TokenAlreadyBound"):
        compliance.bindToken(token, {"from": roles.owner})
    with fails_with("NotAllowedToBind"):
        compliance.unbindToken(token, {"from": alice})
    compliance.unbindToken(token, {"from": roles.owner})
    assert compliance.getTokenBound() == ZERO_ADDRESS
    names = {m.name() for m in suite.modules.values()}
    assert names == set(suite.modules)
    block = suite.modules["CountryBlockModule"]
    assert block.isComplianceBound(compliance)
    block.unlistCountries(compliance, [364], {"from": roles.owner})
    assert not block.isCountryListed(compliance, 364)
    assert suite.factory.modules() == tuple(m.address for m in suite.modules.values())


def test_token_configuration_views(funded, roles):
    assert [int(x) for x in funded.reservePolicy()] == [0, 7 * 86_400]
    assert funded.multiplierBounds()[0] == ONE // 1_000_000
    assert funded.pendingMultiplierChange()[1] == 0
    assert funded.isAttestationFresh()
    assert funded.owner() == roles.owner
