"""All settings of the issuer service in one place, read from ``ISSUER_*`` environment variables.

Keys are hex private keys, one per on-chain role (DESIGN.md: one signer per role). On the local
devnet they default to anvil's well-known development accounts, in the order the deploy script
hands out roles.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path

from eth_account import Account

from issuer.claims import DEV_CLAIM_KEY

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


@dataclass(frozen=True)
class Settings:
    #: May hold a database password: kept out of ``repr`` like every secret below.
    database_url: str = field(default="sqlite:///issuer.db", repr=False)
    rpc_url: str = "http://127.0.0.1:8545"
    #: The manifest written by deploy/deploy_suite.py (addresses and ABIs).
    manifest: Path = Path("deployments/31337.json")
    #: Blocks after which a receipt counts as final.
    confirmations: int = 0
    #: Seconds to wait for a receipt right after sending (later passes look again).
    receipt_wait: float = 2.0
    broker_url: str = "http://127.0.0.1:8700"
    broker_key: str = field(default=MOCK_BROKER_KEY, repr=False)
    broker_secret: str = field(default=MOCK_BROKER_SECRET, repr=False)
    #: The issuer's custody account at the broker (holds the shares behind the tokens).
    broker_account_id: str = ""
    #: ``on_settlement`` (default): mint when the shares have settled; ``on_fill``: mint on fill
    #: while unsettled exposure per symbol stays within ``unsettled_cap``.
    mint_policy: str = "on_settlement"
    unsettled_cap: Decimal = Decimal(0)
    #: A verified wallet of the issuer: tokens a participant sends here are redeemed.
    redemption_wallet: str = ""
    #: Most creations of a symbol minted by one ``batchMint`` (with one attestation).
    mint_batch_max: int = 50
    #: Creations and redemptions above this many shares need a second approver.
    large_mint_shares: Decimal = Decimal(10_000)
    supply_key: str = field(default_factory=lambda: dev_key(2), repr=False)
    registrar_key: str = field(default_factory=lambda: dev_key(1), repr=False)
    corporate_action_key: str = field(default_factory=lambda: dev_key(3), repr=False)
    reserve_key: str = field(default_factory=lambda: dev_key(4), repr=False)
    #: Signs KYC claims for onboarded identities (the claim issuer's CLAIM key).
    claim_key: str = field(default=DEV_CLAIM_KEY, repr=False)
    #: How long a KYC claim the issuer signs stays valid, in days.
    claim_validity_days: int = 365
    #: API key of the first admin, created on start when no key exists yet.
    bootstrap_admin_key: str = field(default="", repr=False)
    #: Seconds between sending a dividend's multiplier schedule and its activation.
    ca_notice_seconds: int = 300
    #: Cash the broker pays in lieu of fractions on a split: ``reinvest`` (buy shares, kept as
    #: surplus collateral) or ``surplus`` (keep the cash).
    cash_in_lieu: str = "reinvest"
    #: Largest relative price gap across a split (price * multiplier) that releases it.
    split_continuity_tolerance: Decimal = Decimal("0.01")
    #: Symbols (comma-separated) whose cash dividends are paid to the holders as stablecoin
    #: claims instead of being reinvested through the multiplier.
    stablecoin_dividends: str = ""
    #: The stablecoin on-ramp's broker account: a stablecoin dividend's cash is journaled there
    #: (at most once) before the stablecoin is minted for the distribution.
    onramp_account_id: str = ""
    #: Days holders have to claim a stablecoin dividend; what is left then returns to the issuer.
    dividend_claim_days: int = 90
    #: Seconds between worker passes when the API runs the worker.
    worker_interval: float = 0.5
    #: The tokenization network (ITN): the key the issuer gave the broker for its ITN
    #: endpoints (empty: ITN is off and they refuse every call), the issuer's name on the
    #: network, and the network its tokens are on.
    itn_api_key: str = field(default="", repr=False)
    itn_issuer_name: str = "stockstack"
    itn_network: str = "anvil"

    def check_secrets(self, chain_id: int) -> None:
        """Refuse to run on anything but a local devnet with a publicly known secret: anvil's
        development keys, the development KYC claim key or the mock broker's credentials.
        The error names the settings, never their values."""
        if chain_id in DEVNET_CHAIN_IDS:
            return
        public = {dev_key(i).lower() for i in range(10)} | {DEV_CLAIM_KEY.lower()}
        known = [f"ISSUER_{name.upper()}" for name in (
            "supply_key", "registrar_key", "corporate_action_key", "reserve_key", "claim_key")
            if str(getattr(self, name)).lower() in public]
        if self.broker_key == MOCK_BROKER_KEY or self.broker_secret == MOCK_BROKER_SECRET:
            known.append("ISSUER_BROKER_KEY/ISSUER_BROKER_SECRET")
        if known:
            raise ValueError(f"chain {chain_id} is not a local devnet, and these settings hold a "
                             f"publicly known development secret: {', '.join(known)}")

    def pays_stablecoin(self, symbol: str) -> bool:
        """Whether ``symbol``'s cash dividends are paid as stablecoin claims."""
        return symbol.upper() in {s.strip().upper() for s in self.stablecoin_dividends.split(",")
                                  if s.strip()}

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {}
        for spec in fields(cls):
            raw = os.environ.get(f"ISSUER_{spec.name.upper()}")
            if raw is None:
                continue
            if spec.type in ("int", int):
                values[spec.name] = int(raw)
            elif spec.type in ("float", float):
                values[spec.name] = float(raw)
            elif spec.type in ("Decimal", Decimal):
                values[spec.name] = Decimal(raw)
            elif spec.type in ("Path", Path):
                values[spec.name] = Path(raw)
            else:
                values[spec.name] = raw
        values.update(overrides)
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.mint_policy not in ("on_settlement", "on_fill"):
            raise ValueError("ISSUER_MINT_POLICY is on_settlement or on_fill")
        if settings.cash_in_lieu not in ("reinvest", "surplus"):
            raise ValueError("ISSUER_CASH_IN_LIEU is reinvest or surplus")
        return settings
