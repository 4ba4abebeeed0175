"""All settings of the issuer service in one place, read from ``ISSUER_*`` environment variables
(pydantic-settings, validated at start; SETTINGS.md lists them all).

Keys are hex private keys, one per on-chain role (DESIGN.md: one signer per role). On the local
devnet they default to anvil's well-known development accounts, in the order the deploy script
hands out roles.
"""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from eth_account import Account
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from issuer.claims import DEV_CLAIM_KEY, DEV_SNAPSHOT_KEY
from servicekit.settings import ServiceSettings, metrics_host, metrics_port
from servicekit.tokenization import DEVNET, NETWORKS, Network

DEV_MNEMONIC = "test test test test test test test test test test test junk"
#: The mock broker's default credentials.
MOCK_BROKER_KEY, MOCK_BROKER_SECRET = "mock-key", "mock-secret"
#: Chain ids of local development networks (anvil, hardhat / ganache).
DEVNET_CHAIN_IDS = (31337, 1337)


def dev_key(index: int) -> str:
    """Private key of anvil's development account ``index`` (never use outside a devnet)."""
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(account.key).hex()


def _dev(index: int, what: str) -> Any:
    return Field(default_factory=lambda: SecretStr(dev_key(index)),
                 json_schema_extra={"default_doc": f"anvil development account {index}"},
                 description=what)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ISSUER_")

    database_url: str = Field(
        "sqlite:///issuer.db", repr=False,
        description="SQLAlchemy URL of the issuer's database (SQLite: one worker; PostgreSQL: "
                    "any number). May hold a password: kept out of repr.")
    rpc_url: str = Field("http://127.0.0.1:8545", description="The chain's JSON-RPC endpoint.")
    manifest: Path = Field(Path("deployments/31337.json"),
                           description="The manifest deploy/deploy_suite.py wrote (addresses "
                                       "and ABIs).")
    confirmations: int = Field(0, ge=0, description="Blocks after which a receipt counts as "
                                                    "final.")
    receipt_wait: float = Field(2.0, ge=0, description="Seconds to wait for a receipt right "
                                                       "after sending (later passes look again).")
    broker_url: str = Field("http://127.0.0.1:8700", description="The broker's Broker API.")
    broker_key: SecretStr = Field(SecretStr(MOCK_BROKER_KEY),
                                  json_schema_extra={"default_doc": "the mock's key"},
                                  description="Broker API key (HTTP basic user).")
    broker_secret: SecretStr = Field(SecretStr(MOCK_BROKER_SECRET),
                                     json_schema_extra={"default_doc": "the mock's secret"},
                                     description="Broker API secret (HTTP basic password).")
    broker_account_id: str = Field("", description="The issuer's custody account at the broker "
                                                   "(holds the shares behind the tokens).")
    mint_policy: Literal["on_settlement", "on_fill"] = Field(
        "on_settlement", description="on_settlement: mint when the shares have settled; "
                                     "on_fill: mint on fill while unsettled exposure per symbol "
                                     "stays within ISSUER_UNSETTLED_CAP.")
    unsettled_cap: Decimal = Field(Decimal(0), ge=0, description="Unsettled shares per symbol "
                                                                 "that on_fill may mint against.")
    redemption_wallet: str = Field("", description="A verified wallet of the issuer: tokens a "
                                                   "participant sends here are redeemed.")
    mint_batch_max: int = Field(50, ge=1, description="Most creations of a symbol minted by one "
                                                      "batchMint (with one attestation).")
    large_mint_shares: Decimal = Field(Decimal(10_000), ge=0,
                                       description="Creations and redemptions above this many "
                                                   "shares need a second approver.")
    supply_key: SecretStr = _dev(2, "Private key of the supply role (mints and burns).")
    registrar_key: SecretStr = _dev(1, "Private key of the registrar role (identities).")
    corporate_action_key: SecretStr = _dev(3, "Private key of the corporate-action role "
                                              "(multiplier schedules).")
    reserve_key: SecretStr = _dev(4, "Private key of the reserve role (attestations).")
    claim_key: SecretStr = Field(SecretStr(DEV_CLAIM_KEY),
                                 json_schema_extra={"default_doc": "the development claim key"},
                                 description="Signs KYC claims for onboarded identities (the "
                                             "claim issuer's CLAIM key).")
    snapshot_key: SecretStr = Field(
        SecretStr(DEV_SNAPSHOT_KEY), json_schema_extra={"default_doc": "the development "
                                                        "snapshot key"},
        description="Signs the public reserve snapshots (EIP-712); its address is published "
                    "with each one. A key of its own: it moves nothing on chain.")
    public_refresh: float = Field(5.0, ge=0, description="Seconds between refreshes of the "
                                  "public reserve figures by a worker (what /public/v1/reserves "
                                  "and /reserves serve, from a cache); 0: no worker refreshes "
                                  "them (the first request computes them, once).")
    claim_validity_days: int = Field(365, ge=1, description="Days a KYC claim the issuer signs "
                                                            "stays valid.")
    bootstrap_admin_key: SecretStr = Field(SecretStr(""), description="API key of the first "
                                           "admin, created on start when no key exists yet.")
    ca_notice_seconds: int = Field(300, ge=0, description="Seconds between sending a dividend's "
                                                          "multiplier schedule and its "
                                                          "activation.")
    cash_in_lieu: Literal["reinvest", "surplus"] = Field(
        "reinvest", description="Cash the broker pays in lieu of fractions on a split: "
                                "reinvest (buy shares, kept as surplus collateral) or surplus "
                                "(keep the cash).")
    split_continuity_tolerance: Decimal = Field(
        Decimal("0.01"), ge=0, description="Largest relative price gap across a split "
                                           "(price * multiplier) that releases it.")
    stablecoin_dividends: str = Field("", description="Symbols (comma-separated) whose cash "
                                                      "dividends are paid as stablecoin claims "
                                                      "instead of reinvested.")
    onramp_account_id: str = Field("", description="The stablecoin on-ramp's broker account "
                                                   "(a stablecoin dividend's cash goes there).")
    dividend_claim_days: int = Field(90, ge=1, description="Days holders have to claim a "
                                                           "stablecoin dividend.")
    worker_interval: float = Field(0.5, gt=0, description="Seconds between worker passes.")
    console_idle_timeout: int = Field(900, ge=10, le=86_400, description="Seconds without a "
                                      "request after which an operator console session ends.")
    price_report_interval: float = Field(
        300, ge=0, description="Seconds between checks of the broker's last trade for each "
        "symbol's price feed (a round is sent when the price moved or the last round is older "
        "than `price_heartbeat`); 0: the issuer reports no prices.")
    price_heartbeat: int = Field(86_400, gt=0, description="Seconds after which an unchanged "
                                 "price is reported again, so readers can tell it is current.")
    itn_api_key: SecretStr = Field(SecretStr(""), description="The key the issuer gave the "
                                   "broker for its tokenization network endpoints (empty: ITN "
                                   "is off and they refuse every call).")
    vote_deadline_margin: int = Field(
        3600, ge=0, description="Seconds before the broker's instruction cutoff at which "
                                "holders' ballots close (the issuer then tallies and "
                                "instructs).")
    itn_issuer_name: str = Field("stockstack", description="The issuer's name on the "
                                                           "tokenization network.")
    itn_network: Network = Field(DEVNET, description="The network the issuer's tokens are on, "
                                 "as the tokenization network names it: one of Alpaca's "
                                 "`TokenizationNetwork` values (" + ", ".join(NETWORKS) + "); "
                                 "a devnet is announced under one of them.")
    itn_redeem_timeout: float = Field(
        3600.0, gt=0, description="Seconds an ITN redemption waits for the broker to deliver "
                                  "the shares before it goes to the operators' queue (status "
                                  "`review`; it is still polled, and an operator may "
                                  "force-complete it once its burn landed).")
    metrics_port: int = metrics_port(9800, "issuer", "ISSUER_")
    metrics_host: str = metrics_host()
    auth_failure_limit: int = Field(
        20, ge=0, description="Failed authentications (a missing, unknown or revoked key, on "
                              "the operator API or the tokenization routes) one source may "
                              "make within `ISSUER_AUTH_FAILURE_WINDOW` before it is answered "
                              "429 with Retry-After; 0: no throttle.")
    auth_failure_window: float = Field(60.0, gt=0, description="Seconds over which failed "
                                                               "authentications are counted.")
    itn_allowed_sources: str = Field(
        "", description="Addresses or networks (comma-separated, e.g. `10.1.0.0/16`) the "
                        "tokenization routes take calls from (the broker's published source "
                        "ranges); empty: any source.")

    @field_validator("itn_allowed_sources")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                ipaddress.ip_network(part, strict=False)   # ValueError names the bad one
        return value

    def itn_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The sources the tokenization routes take calls from (empty: any)."""
        return [ipaddress.ip_network(p.strip(), strict=False)
                for p in self.itn_allowed_sources.split(",") if p.strip()]

    def check_secrets(self, chain_id: int) -> None:
        """Refuse to run on anything but a local devnet with a publicly known secret: anvil's
        development keys, the development KYC claim key or the mock broker's credentials.
        The error names the settings, never their values."""
        if chain_id in DEVNET_CHAIN_IDS:
            return
        public = {dev_key(i).lower() for i in range(10)} | {DEV_CLAIM_KEY.lower(),
                                                            DEV_SNAPSHOT_KEY.lower()}
        known = [f"ISSUER_{name.upper()}" for name in (
            "supply_key", "registrar_key", "corporate_action_key", "reserve_key", "claim_key",
            "snapshot_key")
            if getattr(self, name).get_secret_value().lower() in public]
        if self.broker_key.get_secret_value() == MOCK_BROKER_KEY or \
                self.broker_secret.get_secret_value() == MOCK_BROKER_SECRET:
            known.append("ISSUER_BROKER_KEY/ISSUER_BROKER_SECRET")
        if known:
            raise ValueError(f"chain {chain_id} is not a local devnet, and these settings hold a "
                             f"publicly known development secret: {', '.join(known)}")

    def pays_stablecoin(self, symbol: str) -> bool:
        """Whether ``symbol``'s cash dividends are paid as stablecoin claims."""
        return symbol.upper() in {s.strip().upper() for s in self.stablecoin_dividends.split(",")
                                  if s.strip()}
