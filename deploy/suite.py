"""Deploy the token suite: shared identity registry, compliance modules, listing factory, stocks.

Used by the deploy script, the walk-through, the gas benchmark and the contract tests, so every
one of them runs the same wiring.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import brownie
from brownie import (
    ClaimTopicsRegistry,
    CountryAllowModule,
    CountryBlockModule,
    DevStablecoin,
    DividendDistributor,
    HoldingPeriodModule,
    IdentityRegistry,
    IdentityRegistryStorage,
    InvestorIdentity,
    KycClaimIssuer,
    MaxBalanceModule,
    MaxHoldersModule,
    ModularCompliance,
    MultiplierPriceFeed,
    MultiplierScheduleLogic,
    PriceFeed,
    ProxyVoteRegistry,
    RecoveryLogic,
    ReserveFeed,
    ReserveLogic,
    StockToken,
    StockTokenFactory,
    TransferRestrictionMessages,
    TrustedIssuersRegistry,
    chain,
)
from eth_account import Account
from eth_utils import keccak

from issuer.claims import (
    CLAIM_PURPOSE,
    DEV_CLAIM_KEY,
    ECDSA_SCHEME,
    KYC_TOPIC,
    claim_data,
    key_hash,
    sign_claim,
)

ONE = 10**18
DAY = 86_400

@dataclass
class Feeds:
    """One stock's feeds (Chainlink's ``AggregatorV3Interface`` each)."""

    reserve: Any
    price: Any
    unit_price: Any


@dataclass
class Roles:
    """Who holds which key. On a devnet these are anvil's unlocked accounts."""

    owner: Any
    registrar: Any
    agent: Any
    corporate_actions: Any
    reserve: Any
    kyc_manager: Any
    claim_key: str = DEV_CLAIM_KEY

    @classmethod
    def from_accounts(cls, accounts: Any) -> Roles:
        return cls(accounts[0], accounts[1], accounts[2], accounts[3], accounts[4], accounts[5])


@dataclass
class StockConfig:
    symbol: str
    name: str
    allowed_countries: list[int] = field(default_factory=list)
    blocked_countries: list[int] = field(default_factory=list)
    max_shares_per_investor: int = 0
    max_holders: int = 0
    lock_period: int = 0
    min_multiplier: int = ONE // 1_000_000
    max_multiplier: int = ONE * 1_000_000
    max_dividend_step: int = ONE // 10
    min_notice: int = 0
    #: a forward split waits this long after scheduling, so the owner can cancel one whose ratio
    #: is not the corporate-action record's (a devnet value; a day or more in production)
    split_notice: int = 6 * 3600
    pending_cap: int = 0
    max_attestation_age: int = 7 * DAY


@dataclass
class Suite:
    roles: Roles
    storage: Any
    topics: Any
    issuers: Any
    registry: Any
    claim_issuer: Any
    modules: dict[str, Any]
    factory: Any
    #: the libraries linked into every StockToken, and the restriction-code texts lens
    libraries: dict[str, Any]
    messages: Any
    #: Cash dividends paid as stablecoin claims: the distributor and the stablecoin it pays in
    #: (on the devnet a 6-decimal stand-in minted by the corporate-actions key, the on-ramp).
    distributor: Any
    stablecoin: Any
    deploy_block: int
    #: Shareholder votes passed through: each meeting's ballot root and tally hash.
    voting: Any = None
    stocks: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: Per stock: its proof-of-reserve feed, the underlying's price feed (the devnet's stand-in
    #: for Chainlink's, reported by the reserve key) and the token unit's price feed over it.
    feeds: dict[str, Feeds] = field(default_factory=dict)

    # ------------------------------------------------------------------ listing

    def list_stock(self, cfg: StockConfig) -> Any:
        """Deploy compliance + token for one stock in one factory call, then hand out roles."""
        token, compliance, feeds = list_through(self.factory, self.registry, self.libraries,
                                                self.roles, cfg)
        self.feeds[cfg.symbol] = feeds
        self.stocks[cfg.symbol] = (token, compliance)
        return token

    # ------------------------------------------------------------------ investors

    def new_identity(self, management_key: Any) -> Any:
        return InvestorIdentity.deploy(management_key, {"from": management_key})

    def add_kyc_claim(self, identity: Any, management_key: Any, expires_in: int = 365 * DAY) -> Any:
        """Have the KYC provider sign a claim for `identity` and add it (returns the tx)."""
        data = claim_data(
            chain.id, self.registry.address, self.claim_issuer.address, chain.time() + expires_in
        )
        claim = sign_claim(
            self.roles.claim_key, identity.address, self.claim_issuer.address, KYC_TOPIC, data
        )
        return identity.addClaim(
            KYC_TOPIC,
            ECDSA_SCHEME,
            self.claim_issuer,
            claim.signature,
            claim.data,
            "",
            {"from": management_key},
        )

    def onboard(self, wallet: Any, country: int, identity: Any = None, kyc: bool = True) -> Any:
        """Deploy (or reuse) an ONCHAINID identity, add a KYC claim, register the wallet."""
        if identity is None:
            identity = self.new_identity(wallet)
            if kyc:
                self.add_kyc_claim(identity, wallet)
        self.registry.registerIdentity(wallet, identity, country, {"from": self.roles.registrar})
        return identity

    def attest(self, symbol: str, settled_shares: int, pending_shares: int = 0) -> Any:
        as_of = chain[-1].timestamp  # the latest block: never in the future
        return self.feeds[symbol].reserve.attest(
            settled_shares, pending_shares, as_of, {"from": self.roles.reserve}
        )

    # ------------------------------------------------------------------ manifest

    def manifest(self) -> dict[str, Any]:
        stocks = {
            symbol: stock_entry(token, compliance, self.feeds[symbol])
            for symbol, (token, compliance) in self.stocks.items()
        }
        r = self.roles
        return {
            "chain_id": chain.id,
            "deploy_block": self.deploy_block,
            "deployed_at": int(time.time()),
            "contracts": {
                "IdentityRegistryStorage": entry(self.storage),
                "ClaimTopicsRegistry": entry(self.topics),
                "TrustedIssuersRegistry": entry(self.issuers),
                "IdentityRegistry": entry(self.registry),
                "KycClaimIssuer": entry(self.claim_issuer),
                "StockTokenFactory": entry(self.factory),
                "TransferRestrictionMessages": entry(self.messages),
                **{name: entry(lib) for name, lib in self.libraries.items()},
                "DividendDistributor": entry(self.distributor),
                "Stablecoin": entry(self.stablecoin),
                "ProxyVoteRegistry": entry(self.voting),
                **{name: entry(module) for name, module in self.modules.items()},
            },
            "stocks": stocks,
            "roles": {
                "owner": r.owner.address,
                "registrar": r.registrar.address,
                "agent": r.agent.address,
                "corporate_actions": r.corporate_actions.address,
                "reserve_attestor": r.reserve.address,
                "kyc_manager": r.kyc_manager.address,
                "kyc_claim_signer": Account.from_key(r.claim_key).address,
            },
            "kyc_topic": KYC_TOPIC,
            # what the issuer needs to deploy an investor's ONCHAINID identity itself
            "artifacts": {
                "InvestorIdentity": {
                    "abi": InvestorIdentity.abi,
                    "bytecode": InvestorIdentity.bytecode,
                },
            },
        }

    def write_manifest(self, folder: Path = Path("deployments")) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{chain.id}.json"
        path.write_text(json.dumps(self.manifest(), indent=2))
        return path


def entry(contract: Any) -> dict[str, Any]:
    return {"address": contract.address, "abi": contract.abi}


def stock_entry(token: Any, compliance: Any, feeds: Feeds) -> dict[str, Any]:
    """One stock in the manifest."""
    return {
        "token": entry(token),
        "compliance": entry(compliance),
        "reserve_feed": entry(feeds.reserve),
        "price_feed": entry(feeds.price),
        "unit_price_feed": entry(feeds.unit_price),
    }


def list_through(
    factory: Any, registry: Any, libraries: dict[str, Any], r: Roles, cfg: StockConfig
) -> tuple[Any, Any, Feeds]:
    """List one stock through the factory (its owner's call) and hand out the roles: the
    issuer's supply agent and corporate-actions key on the token, its reserve key on the
    reserve and price feeds; returns the token, its compliance and its feeds."""
    params = (
        cfg.name,
        cfg.symbol,
        brownie.ZERO_ADDRESS,
        r.owner.address,
        (cfg.min_multiplier, cfg.max_multiplier, cfg.max_dividend_step, cfg.min_notice,
         cfg.split_notice),
        (cfg.pending_cap, cfg.max_attestation_age),
        cfg.allowed_countries,
        cfg.blocked_countries,
        cfg.max_shares_per_investor,
        cfg.max_holders,
        cfg.lock_period,
    )
    tx = factory.deployStock(
        linked_bytecode(StockToken.bytecode, libraries), params, {"from": r.owner}
    )
    event = tx.events["StockDeployed"]
    token = StockToken.at(event["token"])
    compliance = ModularCompliance.at(event["compliance"])
    compliance.acceptOwnership({"from": r.owner})
    token.addAgent(r.agent, {"from": r.owner})
    token.grantRole(token.CORPORATE_ACTION_ROLE(), r.corporate_actions, {"from": r.owner})
    reserve_feed = ReserveFeed.at(tx.events["ReserveFeedDeployed"]["feed"])
    reserve_feed.grantRole(reserve_feed.RESERVE_ATTESTOR_ROLE(), r.reserve, {"from": r.owner})
    price = PriceFeed.deploy(r.owner, f"{cfg.symbol} / USD", {"from": r.owner})
    price.grantRole(price.PRICE_REPORTER_ROLE(), r.reserve, {"from": r.owner})
    unit_price = MultiplierPriceFeed.deploy(
        token, price, f"{cfg.symbol} token unit / USD", {"from": r.owner}
    )
    # the token deregisters a recovered lost wallet (the factory made it a guarded token)
    registry.addAgent(token, {"from": r.owner})
    return token, compliance, Feeds(reserve_feed, price, unit_price)


def linked_bytecode(bytecode: str, libraries: dict[str, Any]) -> str:
    """``bytecode`` with each library placeholder (brownie's ``__Name___...``, 40 characters)
    replaced by that library's address."""
    for name, library in libraries.items():
        placeholder = f"__{name}".ljust(40, "_")
        bytecode = bytecode.replace(placeholder, library.address[2:].lower())
    if "__" in bytecode:
        raise ValueError("bytecode still has an unlinked library placeholder")
    return bytecode


def deploy_suite(roles: Roles, verification_cache_age: int = DAY) -> Suite:
    """Deploy the issuer-wide contracts: registries, KYC claim issuer, modules, factory."""
    owner = {"from": roles.owner}
    deploy_block = chain.height + 1
    storage = IdentityRegistryStorage.deploy(roles.owner, owner)
    topics = ClaimTopicsRegistry.deploy(roles.owner, owner)
    issuers = TrustedIssuersRegistry.deploy(roles.owner, owner)
    registry = IdentityRegistry.deploy(
        roles.owner, storage, topics, issuers, verification_cache_age, owner
    )
    storage.bindIdentityRegistry(registry, owner)
    topics.addRulesListener(registry, owner)
    issuers.addRulesListener(registry, owner)
    registry.addAgent(roles.registrar, owner)

    claim_issuer = KycClaimIssuer.deploy(roles.kyc_manager, {"from": roles.kyc_manager})
    signer = Account.from_key(roles.claim_key).address
    claim_issuer.addKey(key_hash(signer), CLAIM_PURPOSE, 1, {"from": roles.kyc_manager})
    topics.addClaimTopic(KYC_TOPIC, owner)
    issuers.addTrustedIssuer(claim_issuer, [KYC_TOPIC], owner)

    modules = {
        "CountryAllowModule": CountryAllowModule.deploy(owner),
        "CountryBlockModule": CountryBlockModule.deploy(owner),
        "MaxBalanceModule": MaxBalanceModule.deploy(owner),
        "MaxHoldersModule": MaxHoldersModule.deploy(owner),
        "HoldingPeriodModule": HoldingPeriodModule.deploy(owner),
    }
    libraries = {
        "MultiplierScheduleLogic": MultiplierScheduleLogic.deploy(owner),
        "RecoveryLogic": RecoveryLogic.deploy(owner),
        "ReserveLogic": ReserveLogic.deploy(owner),
    }
    factory = StockTokenFactory.deploy(
        roles.owner,
        keccak(hexstr=linked_bytecode(StockToken.bytecode, libraries)),
        registry,
        tuple(m.address for m in modules.values()),
        owner,
    )
    storage.setTokenLister(factory, owner)
    messages = TransferRestrictionMessages.deploy(owner)
    distributor = DividendDistributor.deploy(roles.owner, roles.corporate_actions, owner)
    stablecoin = DevStablecoin.deploy(roles.corporate_actions, owner)
    voting = ProxyVoteRegistry.deploy(roles.owner, roles.corporate_actions, owner)
    return Suite(
        roles, storage, topics, issuers, registry, claim_issuer, modules, factory, libraries,
        messages, distributor, stablecoin, deploy_block, voting
    )
