"""Modular compliance and its five modules, through real tokens listed by the factory."""

import pytest
from brownie import ModularCompliance, accounts, chain, reverts

from deploy.suite import ONE, StockConfig
from tests.contracts.conftest import DE, UK, US, fails_with

ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def strict(suite, alice, bob):
    """A stock with all five modules: US/UK only, no DE, 150 shares max, 2 holders, 1 day lock."""
    token = suite.list_stock(
        StockConfig(
            "TSLA",
            "Tesla tokenized share",
            allowed_countries=[US, UK],
            blocked_countries=[DE],
            max_shares_per_investor=150 * ONE,
            max_holders=2,
            lock_period=86_400,
        )
    )
    suite.attest("TSLA", 10_000 * ONE)
    return token


@pytest.fixture(scope="module")
def carol(suite):
    suite.onboard(accounts[8], DE)
    return accounts[8]


def test_factory_wires_the_configured_modules(suite, strict):
    compliance = ModularCompliance.at(strict.compliance())
    assert len(compliance.getModules()) == 5
    assert compliance.getTokenBound() == strict
    m = suite.modules
    assert m["CountryAllowModule"].isCountryListed(compliance, US)
    assert m["CountryBlockModule"].isCountryListed(compliance, DE)
    assert m["MaxBalanceModule"].maxShares(compliance) == 150 * ONE
    assert m["MaxHoldersModule"].maxHolders(compliance) == 2
    assert m["HoldingPeriodModule"].lockPeriod(compliance) == 86_400


def test_country_rules_refuse_the_receiver(strict, alice, carol, roles):
    with fails_with("CountryRestricted"):
        strict.mint(carol, ONE, {"from": roles.agent})
    assert not ModularCompliance.at(strict.compliance()).canTransfer(alice, carol, ONE)


def test_holding_period_locks_minted_tokens(strict, alice, bob, roles):
    strict.mint(alice, 10 * ONE, {"from": roles.agent})
    assert strict.detectTransferRestriction(alice, bob, ONE) == 6
    with fails_with("TokensLockedUntil"):
        strict.transfer(bob, ONE, {"from": alice})
    chain.sleep(86_401)
    strict.transfer(bob, ONE, {"from": alice})
    assert strict.balanceOf(bob) == ONE


def test_max_balance_is_in_economic_shares_and_follows_the_multiplier(suite, strict, alice,
                                                                      roles):
    strict.mint(alice, 150 * ONE, {"from": roles.agent})
    with fails_with("MaxBalanceExceeded"):
        strict.mint(alice, 1, {"from": roles.agent})
    strict.burn(alice, 100 * ONE, {"from": roles.agent})
    strict.scheduleMultiplier(  # kind Other, within custody: effective in 10 s
        ONE, 2 * ONE, chain[-1].timestamp + 10, 0, "0x" + "00" * 32, 1,
        {"from": roles.corporate_actions}
    )
    chain.sleep(11)
    chain.mine()
    suite.attest("TSLA", 10**6 * ONE)
    # 50 raw = 100 shares after the doubling: 25 more raw would be 150 shares, 26 would not
    with fails_with("MaxBalanceExceeded"):
        strict.mint(alice, 26 * ONE, {"from": roles.agent})
    strict.mint(alice, 25 * ONE, {"from": roles.agent})


def test_max_holders_counts_identities(suite, strict, alice, bob, roles):
    strict.mint(alice, ONE, {"from": roles.agent})
    strict.mint(bob, ONE, {"from": roles.agent})
    holders = suite.modules["MaxHoldersModule"]
    assert holders.holderCount(strict.compliance()) == 2
    dave = accounts[9]
    suite.onboard(dave, US)
    with fails_with("MaxHoldersReached"):
        strict.mint(dave, ONE, {"from": roles.agent})
    # a second wallet of Alice's identity is not a new holder
    second = accounts[4]
    suite.onboard(second, US, identity=suite.registry.identity(alice))
    strict.mint(second, ONE, {"from": roles.agent})
    assert holders.holderCount(strict.compliance()) == 2
    strict.burn(bob, ONE, {"from": roles.agent})
    assert holders.holderCount(strict.compliance()) == 1
    strict.mint(dave, ONE, {"from": roles.agent})


def test_burn_releases_locks_so_records_never_exceed_balances(suite, strict, alice, roles):
    strict.mint(alice, 10 * ONE, {"from": roles.agent})
    strict.burn(alice, 4 * ONE, {"from": roles.agent})
    module = suite.modules["HoldingPeriodModule"]
    identity = suite.registry.identity(alice)
    assert module.lockedAmount(strict.compliance(), identity) == 6 * ONE
    assert (
        suite.modules["MaxBalanceModule"].identityBalance(strict.compliance(), identity) == 6 * ONE
    )


def test_module_configuration_belongs_to_the_compliance_owner(suite, strict, alice):
    compliance = strict.compliance()
    with fails_with("OnlyComplianceOwner"):
        suite.modules["MaxBalanceModule"].setMaxShares(compliance, 1, {"from": alice})
    with fails_with("OnlyComplianceOwner"):
        suite.modules["CountryAllowModule"].listCountries(compliance, [408], {"from": alice})


def test_a_module_caller_only_ever_sees_its_own_records(suite, strict, alice, bob):
    # module state is keyed by the calling compliance: a stranger calling a module directly
    # neither passes on another compliance's configuration nor touches its records
    compliance = strict.compliance()
    country = suite.registry.investorCountry(bob)
    allow = suite.modules["CountryAllowModule"]
    assert allow.isCountryListed(compliance, country)
    with fails_with("CountryRestricted"):
        allow.moduleUpdate(alice, bob, 1, country, True, {"from": alice})
    assert not allow.moduleCheck(alice, bob, 1, country, {"from": alice})
    assert allow.moduleCheck(alice, bob, 1, country, {"from": compliance})
    balances = suite.modules["MaxBalanceModule"]
    identity = suite.registry.identity(bob)
    before = balances.identityBalance(compliance, identity)
    with reverts():  # a stranger has no bound token, so no registry to resolve identities with
        balances.moduleUpdate(alice, bob, ONE, country, False, {"from": alice})
    assert balances.identityBalance(compliance, identity) == before


def test_presets_cost_no_slot_and_other_modules_are_listed(suite, roles, alice):
    m = suite.modules
    presets = [m["CountryAllowModule"], m["CountryBlockModule"]]
    compliance = ModularCompliance.deploy(roles.owner, presets, {"from": roles.owner})
    assert compliance.getPresets() == presets
    # a listed (non-preset) module added first still runs after the presets
    compliance.addModule(m["MaxHoldersModule"], {"from": roles.owner})
    compliance.addModule(m["CountryBlockModule"], {"from": roles.owner})
    compliance.addModule(m["CountryAllowModule"], {"from": roles.owner})
    assert compliance.getModules() == presets + [m["MaxHoldersModule"]]
    assert all(compliance.isModuleBound(x) for x in compliance.getModules())
    with fails_with("ModuleAlreadyBound"):
        compliance.addModule(m["CountryAllowModule"], {"from": roles.owner})
    compliance.removeModule(m["CountryAllowModule"], {"from": roles.owner})
    assert compliance.getModules() == [m["CountryBlockModule"], m["MaxHoldersModule"]]
    assert not m["CountryAllowModule"].isComplianceBound(compliance)
    with fails_with("ModuleNotBound"):
        compliance.removeModule(m["CountryAllowModule"], {"from": roles.owner})
    with fails_with("TooManyPresets"):
        ModularCompliance.deploy(roles.owner, [alice] * 7, {"from": roles.owner})
    with fails_with("ZeroAddress"):
        ModularCompliance.deploy(roles.owner, [ZERO], {"from": roles.owner})


def test_a_movement_runs_presets_and_listed_modules(suite, roles, alice, bob, carol):
    m = suite.modules
    token = suite.list_stock(StockConfig("MIXD", "Mixed modules"))
    suite.attest("MIXD", 10**6 * ONE)
    compliance = ModularCompliance.deploy(roles.owner, [m["CountryBlockModule"]],
                                          {"from": roles.owner})
    compliance.addModule(m["CountryBlockModule"], {"from": roles.owner})  # a preset
    compliance.addModule(m["MaxHoldersModule"], {"from": roles.owner})  # listed
    m["CountryBlockModule"].listCountries(compliance, [DE], {"from": roles.owner})
    m["MaxHoldersModule"].setMaxHolders(compliance, 1, {"from": roles.owner})
    compliance.bindToken(token, {"from": roles.owner})
    token.setCompliance(compliance, {"from": roles.owner})
    token.mint(alice, ONE, {"from": roles.agent})
    assert m["MaxHoldersModule"].holderCount(compliance) == 1
    with fails_with("CountryRestricted"):  # the preset refuses
        token.mint(carol, ONE, {"from": roles.agent})
    with fails_with("MaxHoldersReached"):  # the listed module refuses
        token.transfer(bob, ONE // 2, {"from": alice})
    assert token.detectTransferRestriction(alice, bob, ONE // 2) == 6
    assert token.detectTransferRestriction(alice, carol, ONE // 2) == 6


def test_modules_can_be_added_and_removed_by_the_owner_only(suite, compliance, roles, alice):
    module = suite.modules["MaxHoldersModule"]
    with fails_with("OwnableUnauthorizedAccount"):
        compliance.addModule(module, {"from": alice})
    tx = compliance.addModule(module, {"from": roles.owner})
    assert tx.events["ModuleAdded"]["module"] == module
    with fails_with("ModuleAlreadyBound"):
        compliance.addModule(module, {"from": roles.owner})
    compliance.removeModule(module, {"from": roles.owner})
    assert not compliance.isModuleBound(module)
    with fails_with("ModuleNotBound"):
        compliance.removeModule(module, {"from": roles.owner})


def test_only_the_bound_token_reports_movements(compliance, alice):
    with fails_with("NotToken"):
        compliance.transferred(alice, alice, 1, 840, {"from": alice})
    with fails_with("OwnableUnauthorizedAccount"):
        compliance.bindToken(alice, {"from": alice})


def test_factory_refuses_foreign_code_taken_symbols_and_strangers(suite, token, roles, alice):
    from brownie import StockToken

    from deploy.suite import linked_bytecode

    code = linked_bytecode(StockToken.bytecode, suite.libraries)
    params = (
        "X",
        "AAPL",
        "0x" + "00" * 20,
        roles.owner.address,
        (1, 10**24, 0, 0, 0),
        (0, 1),
        [],
        [],
        0,
        0,
        0,
    )
    with fails_with("SymbolTaken"):
        suite.factory.deployStock(code, params, {"from": roles.owner})
    with fails_with("WrongTokenCode"):
        suite.factory.deployStock(code + "00", params, {"from": roles.owner})
    with fails_with("OwnableUnauthorizedAccount"):
        suite.factory.deployStock(code, params, {"from": alice})
    symbols = suite.factory.listedSymbols()
    assert symbols[0] == "AAPL" and len(set(symbols)) == len(symbols)
    assert suite.factory.tokenBySymbol("AAPL") == token


def test_a_holder_cannot_be_deregistered_under_its_tokens(suite, strict, alice, bob, roles):
    """Review finding 5a: deleting the identity of a wallet that still held tokens let locked
    tokens leave at once (the holding module saw no identity) and left a ghost holder slot.
    The storage now refuses it; the issuer moves the tokens out first."""
    strict.mint(bob, 5 * ONE, {"from": roles.agent})
    with fails_with("WalletHoldsTokens"):
        suite.registry.deleteIdentity(bob, {"from": roles.registrar})
    module = suite.modules["HoldingPeriodModule"]
    bob_id = suite.registry.identity(bob)
    assert module.lockedAmount(strict.compliance(), bob_id) == 5 * ONE
    with fails_with("TokensLockedUntil"):
        strict.transfer(alice, ONE, {"from": bob})
    # the evented way: an agent moves the tokens (a forced transfer), then offboards the wallet
    holders = suite.modules["MaxHoldersModule"]
    strict.forcedTransferWithOverride(bob, alice, 5 * ONE, b"offboarding".ljust(32, b"\0"),
                                      {"from": roles.agent})
    suite.registry.deleteIdentity(bob, {"from": roles.registrar})
    assert holders.holderCount(strict.compliance()) == 1  # alice alone: no ghost slot


def test_a_holder_identity_cannot_be_repointed_under_its_tokens(suite, strict, alice, bob, roles):
    """Review finding 5b: after updateIdentity the balance stayed under the old identity and
    every enforced outflow reverted TokensLockedUntil with nothing locked."""
    strict.mint(bob, 5 * ONE, {"from": roles.agent})
    chain.sleep(86_401)
    chain.mine()
    other = suite.new_identity(accounts[8])
    with fails_with("WalletHoldsTokens"):
        suite.registry.updateIdentity(bob, other, {"from": roles.registrar})
    strict.transfer(alice, ONE, {"from": bob})  # bookkeeping intact: unlocked tokens move
    assert suite.modules["HoldingPeriodModule"].identityBalance(
        strict.compliance(), suite.registry.identity(bob)) == 4 * ONE


def test_a_wallet_without_identity_cannot_make_a_compliant_transfer(suite, strict, alice, bob,
                                                                    roles):
    """Defence in depth for tokens the storage does not guard: an identity-keyed module refuses
    a compliant outflow from a wallet without identity instead of treating it as unlocked."""
    strict.mint(bob, 5 * ONE, {"from": roles.agent})
    suite.storage.removeGuardedToken(strict, {"from": roles.owner})
    suite.registry.deleteIdentity(bob, {"from": roles.registrar})
    assert strict.detectTransferRestriction(bob, alice, ONE) == 6
    with fails_with("SenderNotRegistered"):
        strict.transfer(alice, ONE, {"from": bob})


def test_a_holder_at_the_cap_before_a_split_keeps_its_tokens_but_receives_no_more(
    suite, strict, alice, bob, roles
):
    """Review question 11, decided: the cap is checked on movements in economic shares at the
    multiplier of the moment. A split raises every balance without a movement, so a holder at
    the cap ends above it; nothing is taken from them, they can send, and they receive nothing
    more until below the cap again (the owner scales `maxShares` with the split if it wants)."""
    strict.mint(alice, 150 * ONE, {"from": roles.agent})
    notice = strict.multiplierBounds()[4]
    strict.scheduleMultiplier(ONE, 2 * ONE, chain[-1].timestamp + notice + 10, 2,
                              "0x" + "00" * 32, 1, {"from": roles.corporate_actions})
    chain.sleep(notice + 11)
    chain.mine()
    assert strict.balanceOfUI(alice) == 300 * ONE  # above the 150-share cap
    suite.attest("TSLA", 10_000 * ONE)
    strict.mint(bob, 10 * ONE, {"from": roles.agent})
    chain.sleep(86_401)
    chain.mine()
    with fails_with("MaxBalanceExceeded"):
        strict.transfer(alice, ONE, {"from": bob})
    strict.transfer(bob, 10 * ONE, {"from": alice})  # outflows are never refused by the cap


def test_nobody_but_the_owner_binds_an_unbound_compliance(suite, roles, alice):
    """Review finding 4: a compliance deployed and configured before `setCompliance` (or one a
    token moved away from) could be bound by any contract, which then wrote fake holders into
    the shared modules' records of that compliance."""
    m = suite.modules
    fresh = ModularCompliance.deploy(roles.owner, [m["MaxHoldersModule"]], {"from": roles.owner})
    fresh.addModule(m["MaxHoldersModule"], {"from": roles.owner})
    with fails_with("OwnableUnauthorizedAccount"):
        fresh.bindToken(alice, {"from": alice})
    with fails_with("NotToken"):
        fresh.created(alice, ONE, US, {"from": alice})
    assert m["MaxHoldersModule"].holderCount(fresh) == 0
    assert fresh.getTokenBound() == ZERO
