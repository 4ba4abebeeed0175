"""The token suite on chain, read from the deployment manifest, through web3.py.

Reads go straight to the node; writes go through :mod:`issuer.outbox`, never from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound
from web3.logs import DISCARD
from web3.types import BlockIdentifier, RPCEndpoint, TxParams

from issuer import validation
from issuer.config import Settings


class ChainMismatch(RuntimeError):
    """The RPC serves another chain than the manifest's deployment."""


class ChainError(Exception):
    """A call or transaction the contracts refused; ``name`` is the custom error's name."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}" if detail else name)
        self.name, self.detail = name, detail


@dataclass(frozen=True)
class Stock:
    symbol: str
    token: Contract
    compliance: Contract
    #: the proof-of-reserve feed the token's guard reads (the issuer attests on it)
    reserve_feed: Contract
    #: the underlying share's price (Chainlink-shaped; the issuer reports the broker's price)
    price_feed: Contract
    #: the price of one raw token unit (the underlying's price x the multiplier then in force)
    unit_price_feed: Contract


@dataclass(frozen=True)
class MultiplierBounds:
    """The token's bounds on its multiplier (``IMultiplierSchedule.MultiplierBounds``): the
    lowest and highest value and a dividend's largest relative step (18 decimals), and the
    least notice in seconds of any change and of a forward split."""

    min_multiplier: int
    max_multiplier: int
    max_dividend_step: int
    min_notice: int
    split_notice: int


@dataclass(frozen=True)
class Distribution:
    """A stablecoin distribution on the dividend distributor: what it holds, what was claimed
    (smallest units), its deadline, whether it was closed (reclaimed)."""

    total: int
    claimed: int
    deadline: int
    closed: bool


@dataclass(frozen=True)
class Receipt:
    """A mined transaction: its block, whether it succeeded, the contract it deployed."""

    block: int
    ok: bool
    contract_address: str | None = None


@dataclass(frozen=True)
class Signed:
    """A signed transaction: the raw bytes to send and its hash (both 0x hex)."""

    raw: str
    tx_hash: str


class ChainCalls:
    """Every write the lifecycles make, in the issuer's words: each returns the unsigned call
    that :mod:`issuer.outbox` signs, stores and sends, so no domain module builds a contract call
    itself and persist-before-send stays in the outbox. ``bind(contract, function, *args)``
    makes the call: a web3 contract function for :class:`Chain`, a recorded call for the fake
    chain (:mod:`issuer.chain_fake`); ``contract`` is ``token:<SYMBOL>``, ``reserve_feed:<SYMBOL>``,
    ``price_feed:<SYMBOL>``, a manifest contract's name, or ``InvestorIdentity:<address>``."""

    def __init__(self, bind: Callable[..., Any], distributor: Callable[[], str],
                 stablecoin: Callable[[], str], token: Callable[[str], str]) -> None:
        self._bind, self._distributor, self._stablecoin, self._token_address = \
            bind, distributor, stablecoin, token

    def _token(self, symbol: str, function: str, *args: Any) -> Any:
        return self._bind(f"token:{symbol.upper()}", function, *args)

    # the supply
    def mint(self, symbol: str, wallet: str, raw: int) -> Any:
        return self._token(symbol, "mint", wallet, raw)

    def batch_mint(self, symbol: str, wallets: list[str], raws: list[int]) -> Any:
        return self._token(symbol, "batchMint", wallets, raws)

    def burn(self, symbol: str, wallet: str, raw: int) -> Any:
        return self._token(symbol, "burn", wallet, raw)

    def batch_burn(self, symbol: str, wallets: list[str], raws: list[int]) -> Any:
        return self._token(symbol, "batchBurn", wallets, raws)

    def attest(self, symbol: str, settled: int, pending: int, as_of: int) -> Any:
        return self._bind(f"reserve_feed:{symbol.upper()}", "attest", settled, pending, as_of)

    def report_price(self, symbol: str, answer: int, as_of: int) -> Any:
        return self._bind(f"price_feed:{symbol.upper()}", "report", answer, as_of)

    # the token's name and symbol (the owner's: the issuer hands these calls to it)
    def set_token_name(self, symbol: str, name: str) -> Any:
        return self._token(symbol, "setName", name)

    def set_token_symbol(self, symbol: str, token_symbol: str) -> Any:
        return self._token(symbol, "setSymbol", token_symbol)

    # the multiplier
    def schedule_multiplier(self, symbol: str, m0: int, m1: int, effective_at: int, kind: int,
                            ref: bytes, nonce: int) -> Any:
        return self._token(symbol, "scheduleMultiplier", m0, m1, effective_at, kind, ref, nonce)

    def cancel_multiplier(self, symbol: str, nonce: int) -> Any:
        return self._token(symbol, "cancelScheduledMultiplier", nonce)

    def market_data_paused(self, symbol: str, paused: bool) -> Any:
        return self._token(symbol, "setMarketDataPaused", paused)

    # controls
    def freeze(self, symbol: str, wallet: str, frozen: bool) -> Any:
        return self._token(symbol, "setAddressFrozen", wallet, frozen)

    def partial_freeze(self, symbol: str, wallet: str, raw: int, *,
                       unfreeze: bool = False) -> Any:
        return self._token(symbol, "unfreezePartialTokens" if unfreeze else
                           "freezePartialTokens", wallet, raw)

    def pause(self, symbol: str, paused: bool) -> Any:
        return self._token(symbol, "pause" if paused else "unpause")

    def forced_transfer(self, symbol: str, sender: str, receiver: str, raw: int) -> Any:
        return self._token(symbol, "forcedTransfer", sender, receiver, raw)

    def recover(self, symbol: str, lost: str, new: str, identity: str) -> Any:
        return self._token(symbol, "recoveryAddress", lost, new, identity)

    # the identity registry and investors' identities
    def update_country(self, wallet: str, country: int) -> Any:
        return self._bind("IdentityRegistry", "updateCountry", wallet, country)

    def register_identity(self, wallet: str, identity: str, country: int) -> Any:
        return self._bind("IdentityRegistry", "registerIdentity", wallet, identity, country)

    def delete_identity(self, wallet: str) -> Any:
        return self._bind("IdentityRegistry", "deleteIdentity", wallet)

    def deploy_identity(self, management_key: str) -> Any:
        """A new ONCHAINID identity contract managed by ``management_key`` (its constructor)."""
        return self._bind("InvestorIdentity", "constructor", management_key)

    def add_claim(self, identity: str, topic: int, scheme: int, claim_issuer: str,
                  signature: bytes, data: bytes, uri: str = "") -> Any:
        return self._bind(f"InvestorIdentity:{identity}", "addClaim", topic, scheme,
                          claim_issuer, signature, data, uri)

    # stablecoin dividends
    def stablecoin_mint(self, to: str, units: int) -> Any:
        return self._bind("Stablecoin", "mint", to, units)

    def stablecoin_approve_distributor(self, units: int) -> Any:
        return self._bind("Stablecoin", "approve", self._distributor(), units)

    def create_distribution(self, symbol: str, root: bytes, units: int, deadline: int,
                            ref: bytes) -> Any:
        return self._bind("DividendDistributor", "createDistribution",
                          self._token_address(symbol), self._stablecoin(), root, units,
                          deadline, ref)

    def reclaim_distribution(self, distribution_id: int, to: str) -> Any:
        return self._bind("DividendDistributor", "reclaim", distribution_id, to)

    # shareholder votes
    def publish_ballot(self, meeting: bytes, symbol: str, root: bytes, record_block: int,
                       deadline: int, total_shares: int, snapshot: bytes) -> Any:
        return self._bind("ProxyVoteRegistry", "publish", meeting, self._token_address(symbol),
                          root, record_block, deadline, total_shares, snapshot)

    def record_tally(self, meeting: bytes, instruction: bytes, ballots_root: bytes,
                     ballots: int) -> Any:
        return self._bind("ProxyVoteRegistry", "recordTally", meeting, instruction,
                          ballots_root, ballots)


class Chain:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 30}))
        self._manifest_path = Path(settings.manifest)
        self._manifest_stamp = self._manifest_path.stat().st_mtime_ns
        self.manifest: dict[str, Any] = json.loads(self._manifest_path.read_text())
        self._stocks: dict[str, Stock] | None = None
        # the chain is the RPC's, never what a file says: a manifest of another chain is refused
        # at start (its addresses mean nothing here), and every guard applies to this id
        self.chain_id = int(self.w3.eth.chain_id)
        deployed_on = int(self.manifest["chain_id"])
        if deployed_on != self.chain_id:
            raise ChainMismatch(f"the RPC serves chain {self.chain_id}, the manifest "
                                f"{settings.manifest} is a deployment on chain {deployed_on}")
        self.signers: dict[str, LocalAccount] = {
            "supply": Account.from_key(settings.supply_key.get_secret_value()),
            "registrar": Account.from_key(settings.registrar_key.get_secret_value()),
            "corporate_action": Account.from_key(settings.corporate_action_key.get_secret_value()),
            "reserve": Account.from_key(settings.reserve_key.get_secret_value()),
        }
        self._errors = self._error_selectors()

    def contract(self, name: str) -> Contract:
        entry = self.manifest["contracts"][name]
        return self.w3.eth.contract(address=entry["address"], abi=entry["abi"])

    def at(self, artifact: str, address: str) -> Contract:
        """A contract of the manifest's ``artifact`` deployed elsewhere (an investor's
        identity)."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                    abi=self.manifest["artifacts"][artifact]["abi"])

    @cached_property
    def registry(self) -> Contract:
        return self.contract("IdentityRegistry")

    @property
    def stocks(self) -> dict[str, Stock]:
        """The listed stocks. A listing added later (a spin-off's new company, listed by the
        owner through the factory) is read from the manifest once its file changes: the
        listing tool replaces it whole (:mod:`deploy.list_stock`); a file read half-written
        or of another chain is ignored until the next change."""
        self._reload_manifest()
        if self._stocks is None:
            self._stocks = self._read_stocks()
        return self._stocks

    def _reload_manifest(self) -> None:
        try:
            stamp = self._manifest_path.stat().st_mtime_ns
        except OSError:
            return
        if stamp == self._manifest_stamp:
            return
        self._manifest_stamp = stamp
        try:
            manifest = json.loads(self._manifest_path.read_text())
        except (OSError, ValueError):
            return
        listed = manifest.get("stocks", {})
        if int(manifest.get("chain_id", -1)) != self.chain_id or \
                manifest.get("contracts") != self.manifest.get("contracts") or \
                any(listed.get(k) != v for k, v in self.manifest["stocks"].items()):
            return   # only new listings are taken from a changed manifest
        self.manifest, self._stocks = manifest, None
        self._errors = self._error_selectors()

    def _read_stocks(self) -> dict[str, Stock]:
        out = {}
        for symbol, entry in self.manifest["stocks"].items():
            token, compliance, reserve, price, unit_price = (
                self.w3.eth.contract(address=entry[part]["address"], abi=entry[part]["abi"])
                for part in ("token", "compliance", "reserve_feed", "price_feed",
                             "unit_price_feed"))
            out[symbol] = Stock(symbol, token, compliance, reserve, price, unit_price)
        return out

    def stock(self, symbol: str) -> Stock:
        try:
            return self.stocks[symbol.upper()]
        except KeyError:
            raise KeyError(symbol) from None

    # ------------------------------------------------------------------------- reads

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def has_code(self, symbol: str, block: int) -> bool:
        """Whether ``symbol``'s token existed at ``block``."""
        return len(self.w3.eth.get_code(self.stock(symbol).token.address,
                                        block_identifier=block)) > 0

    def block_time(self, block: BlockIdentifier = "latest") -> int:
        return int(self.w3.eth.get_block(block)["timestamp"])

    def multiplier(self, symbol: str, block: BlockIdentifier = "latest") -> int:
        return int(self.stock(symbol).token.functions.uiMultiplier().call(
            block_identifier=block))

    def mint_multiplier(self, symbol: str) -> int:
        """The larger of the current and the pending multiplier: what the token checks a mint
        (and so an attestation's sufficiency) against."""
        token = self.stock(symbol).token
        return max(int(token.functions.uiMultiplier().call()),
                   int(token.functions.newUIMultiplier().call()))

    def price_round(self, symbol: str) -> tuple[int, int, int]:
        """The underlying price feed's latest round: id (0: none yet), answer (8 places) and
        the time it is as of."""
        round_id, answer, _, updated_at, _ = \
            self.stock(symbol).price_feed.functions.latestRoundData().call()
        return int(round_id), int(answer), int(updated_at)

    def reserve_round(self, symbol: str, block: BlockIdentifier = "latest"
                      ) -> tuple[int, int, int, int]:
        """The reserve feed's latest round: id (0: none yet), settled and pending shares (18
        places) and the time custody is attested as of."""
        feed = self.stock(symbol).reserve_feed
        round_id, settled, _, as_of, _ = feed.functions.latestRoundData().call(
            block_identifier=block)
        pending = feed.functions.pendingShares(round_id).call(block_identifier=block) \
            if round_id else 0
        return int(round_id), int(settled), int(pending), int(as_of)

    def pending_multiplier(self, symbol: str, block: BlockIdentifier = "latest"
                           ) -> tuple[int, int]:
        """The multiplier a scheduled change will set and when (0: none pending)."""
        token = self.stock(symbol).token
        return (int(token.functions.newUIMultiplier().call(block_identifier=block)),
                int(token.functions.effectiveAt().call(block_identifier=block)))

    def attestation_tx(self, symbol: str, round_id: int) -> str | None:
        """The transaction that attested the reserve feed's round ``round_id``."""
        logs = self.stock(symbol).reserve_feed.events.ReservesAttested().get_logs(
            from_block=int(self.manifest.get("deploy_block", 0)),
            argument_filters={"roundId": round_id})
        return "0x" + bytes(logs[-1]["transactionHash"]).hex() if logs else None

    def holder_facts(self, symbol: str, wallet: str, block: int) -> tuple[str, int, int, bool]:
        """A holder at ``block``: its ONCHAINID identity, country (ISO 3166 numeric), frozen
        raw tokens and whether the wallet is frozen."""
        token = self.stock(symbol).token
        return (str(self.registry.functions.identity(wallet).call(block_identifier=block)),
                int(self.registry.functions.investorCountry(wallet).call(
                    block_identifier=block)),
                int(token.functions.getFrozenTokens(wallet).call(block_identifier=block)),
                bool(token.functions.isFrozen(wallet).call(block_identifier=block)))

    def pending_cap(self, symbol: str) -> int:
        """The token's cap on pending custody backing supply (18-decimal shares)."""
        return int(self.stock(symbol).token.functions.reservePolicy().call()[0])

    def total_supply(self, symbol: str, block: BlockIdentifier = "latest") -> int:
        return int(self.stock(symbol).token.functions.totalSupply().call(
            block_identifier=block))

    def balance(self, symbol: str, wallet: str, block: BlockIdentifier = "latest") -> int:
        return int(self.stock(symbol).token.functions.balanceOf(wallet).call(
            block_identifier=block))

    def is_verified(self, wallet: str) -> bool:
        return bool(self.registry.functions.isVerified(wallet).call())

    def is_paused(self, symbol: str) -> bool:
        return bool(self.stock(symbol).token.functions.paused().call())

    # ------------------------------------------------------------------------- the node
    # What :mod:`issuer.outbox` asks of the node to sign, send and follow a transaction.

    def prepare(self, call: Any, sender: str) -> tuple[str, str]:
        """The target (empty: a deployment) and data of ``call`` sent by ``sender``; raises
        :class:`ChainError` (the contract's error decoded) when it would revert now."""
        try:
            tx = call.build_transaction({"from": sender, "chainId": self.chain_id, "nonce": 0})
        except ContractCustomError as exc:
            raise ChainError(self.decode_error(_revert_data(exc)), "") from exc
        except ContractLogicError as exc:
            raise ChainError(self.decode_error(_revert_data(exc)),
                             str(exc.message or "")) from exc
        return str(tx.get("to") or ""), str(tx["data"])

    def encode(self, call: Any) -> tuple[str, str]:
        """The target and data of ``call``, for a signer outside the issuer (the token's
        owner) to send; nothing is estimated or checked."""
        return str(call.address), str(call._encode_transaction_data())

    def preflight(self, call: Any, sender: str) -> None:
        """Raise :class:`ChainError` when ``call`` would revert if ``sender`` sent it now."""
        try:
            call.call({"from": sender})
        except ContractLogicError as exc:  # a revert (custom errors included); anything else
            data = getattr(exc, "data", None)  # is no refusal but a fault, and propagates
            raise ChainError(self.decode_error(data if isinstance(data, str | bytes) else None),
                             "") from exc

    def sign(self, role: str, to: str, data: str, nonce: int) -> Signed:
        """``role``'s signature of a call at ``nonce``, with the gas the node estimates now."""
        signer = self.signers[role]
        params = _call_params(signer.address, to, data)
        gas = self.w3.eth.estimate_gas(params)
        base = self.w3.eth.get_block("latest").get("baseFeePerGas", 0)
        tip = self.w3.eth.max_priority_fee if base else 0
        tx: dict[str, Any] = {**params, "nonce": nonce, "chainId": self.chain_id,
                              "gas": gas * 12 // 10 + 10_000, "maxFeePerGas": base * 2 + tip,
                              "maxPriorityFeePerGas": tip, "type": 2, "value": 0}
        signed = signer.sign_transaction(tx)
        return Signed("0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex())

    def nonce(self, address: str, *, pending: bool) -> int:
        """``address``'s transaction count, with the node's pending ones or only mined ones."""
        return int(self.w3.eth.get_transaction_count(cast(ChecksumAddress, address),
                                                     "pending" if pending else "latest"))

    def send_raw(self, raw: str) -> str | None:
        """Send signed bytes; the node's complaint (already known, nonce too low), or None."""
        try:
            self.w3.eth.send_raw_transaction(HexStr(raw))
        except ValueError as exc:  # already known, or mined meanwhile: receipts tell
            return str(exc)[:500]
        return None

    def receipt(self, tx_hash: str) -> Receipt | None:
        try:
            return _receipt(self.w3.eth.get_transaction_receipt(HexStr(tx_hash)))
        except TransactionNotFound:
            return None

    def wait_receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt, waiting up to ``receipt_wait`` seconds for the node to mine it."""
        try:
            return _receipt(self.w3.eth.wait_for_transaction_receipt(
                HexStr(tx_hash), timeout=self.settings.receipt_wait, poll_latency=0.05))
        except Exception:  # web3 raises TimeExhausted; the next pump looks again
            return None

    @property
    def confirmations(self) -> int:
        return int(self.settings.confirmations)

    def replay_error(self, sender: str, to: str, data: str, block: int) -> str:
        """Why a reverted transaction reverted: the call replayed on the block before."""
        try:
            self.w3.eth.call(_call_params(sender, to, data), block - 1)
        except ContractCustomError as exc:
            return self.decode_error(_revert_data(exc))
        except ContractLogicError as exc:
            return self.decode_error(_revert_data(exc)) + f" {exc.message or ''}".rstrip()
        return "reverted"

    def transfers(self, symbol: str, tx_hash: str) -> list[dict[str, Any]] | None:
        """The token's Transfer events in a mined transaction (None: not mined); raises
        :class:`ChainError` ``reverted`` when it reverted."""
        try:
            receipt = self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except TransactionNotFound:
            return None
        if receipt["status"] != 1:
            raise ChainError("reverted", f"transaction {tx_hash} reverted")
        return [dict(e["args"]) for e in self.stock(symbol).token.events.Transfer()
                .process_receipt(receipt, errors=DISCARD)]

    def rpc(self, method: str, params: list[Any]) -> Any:
        """One raw JSON-RPC request (the indexer's log queries)."""
        answer = self.w3.provider.make_request(cast(RPCEndpoint, method), params)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def block_hashes(self, numbers: list[int]) -> list[str]:
        """The hashes of ``numbers``, asked in one JSON-RPC batch."""
        if not numbers:
            return []
        answers = cast(Any, self.w3.provider).make_batch_request(
            [(cast(RPCEndpoint, "eth_getBlockByNumber"), [hex(n), False]) for n in numbers])
        if isinstance(answers, dict):   # the node refused the batch as a whole
            raise RuntimeError(f"eth_getBlockByNumber batch: {answers.get('error')}")
        by_id = sorted(answers, key=lambda a: int(a["id"]))
        if any("error" in a or a.get("result") is None for a in by_id):
            raise RuntimeError("eth_getBlockByNumber: a block is missing")
        return [a["result"]["hash"] for a in by_id]

    def block_hash(self, number: int) -> str:
        return "0x" + bytes(self.w3.eth.get_block(number)["hash"]).hex()

    # ------------------------------------------------------------------------- errors

    def token_symbol(self, symbol: str) -> str:
        """The token's own ``symbol()`` (what the tokenization network names it)."""
        return str(self.stock(symbol).token.functions.symbol().call())

    def token_name(self, symbol: str) -> str:
        """The token's own ``name()``."""
        return str(self.stock(symbol).token.functions.name().call())

    def last_multiplier_nonce(self, symbol: str) -> int:
        return int(self.stock(symbol).token.functions.lastMultiplierNonce().call())

    def effective_at(self, symbol: str) -> int:
        """When the token's scheduled multiplier change takes effect (chain time; 0: none)."""
        return int(self.stock(symbol).token.functions.effectiveAt().call())

    def multiplier_bounds(self, symbol: str) -> MultiplierBounds:
        return MultiplierBounds(*(int(v) for v in
                                  self.stock(symbol).token.functions.multiplierBounds().call()))

    def stablecoin_unit(self) -> int:
        """One stablecoin in its smallest units (10 ** decimals)."""
        return 10 ** int(self.contract("Stablecoin").functions.decimals().call())

    def distribution(self, distribution_id: int) -> Distribution:
        entry = self.contract("DividendDistributor").functions.distribution(
            distribution_id).call()
        return Distribution(total=int(entry[3]), claimed=int(entry[4]), deadline=int(entry[5]),
                            closed=bool(entry[6]))

    def created_distribution(self, tx_hash: str) -> int:
        """The id of the distribution a mined ``createDistribution`` made."""
        receipt = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        created = self.contract("DividendDistributor").events.DistributionCreated() \
            .process_receipt(receipt, errors=DISCARD)
        return int(created[0]["args"]["id"])

    def ballot_deadline(self, meeting: bytes) -> int:
        """The holders' deadline a published ballot carries (chain time)."""
        return int(self.contract("ProxyVoteRegistry").functions.ballot(meeting).call()[3])

    def vote_signature_valid(self, wallet: str, digest: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is ``wallet``'s over ``digest`` (an EOA or an ERC-1271 wallet),
        as the vote registry checks it."""
        return bool(self.contract("ProxyVoteRegistry").functions.isValidSignature(
            wallet, digest, signature).call())

    @property
    def factory_address(self) -> str:
        """The listing factory (a new listing is its owner's call)."""
        return str(self.manifest["contracts"]["StockTokenFactory"]["address"])

    @property
    def vote_registry_address(self) -> str:
        return str(self.manifest["contracts"]["ProxyVoteRegistry"]["address"])

    def in_registry(self, wallet: str) -> bool:
        """Whether the identity registry holds ``wallet`` (verified or not)."""
        return bool(self.registry.functions.contains(wallet).call())

    @cached_property
    def calls(self) -> ChainCalls:
        """The writes, as unsigned calls for the outbox to sign (:class:`ChainCalls`)."""
        return ChainCalls(self._bind, lambda: self.contract("DividendDistributor").address,
                          lambda: self.contract("Stablecoin").address,
                          lambda symbol: self.stock(symbol).token.address)

    def _bind(self, target: str, function: str, *args: Any) -> Any:
        """A web3 contract function (or a deployment's constructor) for :class:`ChainCalls`."""
        name, _, which = target.partition(":")
        if function == "constructor":
            artifact = self.manifest["artifacts"][name]
            return self.w3.eth.contract(abi=artifact["abi"],
                                        bytecode=artifact["bytecode"]).constructor(*args)
        if name in ("token", "reserve_feed", "price_feed"):
            contract = getattr(self.stock(which), name)
        elif which:
            contract = self.at(name, which)
        else:
            contract = self.contract(name)
        return getattr(contract.functions, function)(*args)

    def _error_selectors(self) -> dict[bytes, str]:
        selectors: dict[bytes, str] = {}
        abis = [e["abi"] for e in self.manifest["contracts"].values()]
        abis += [s[k]["abi"] for s in self.manifest["stocks"].values() for k in s]
        for abi in abis:
            for item in abi:
                if item.get("type") == "error":
                    types = ",".join(i["type"] if i["type"] != "tuple" else "tuple"
                                     for i in item.get("inputs", []))
                    selectors[function_signature_to_4byte_selector(
                        f"{item['name']}({types})")] = item["name"]
        return selectors

    def decode_error(self, data: str | bytes | None) -> str:
        """The custom error name in revert data, or ``reverted`` when it is not one of ours."""
        if not data:
            return "reverted"
        try:
            raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else data
        except ValueError:
            return "reverted"
        return self._errors.get(raw[:4], "reverted")


def checksum(address: str) -> str:
    """A checksummed address, or ValueError for anything that is not exactly one (the strict
    rule of :func:`issuer.validation.address`)."""
    return validation.address(address)


def _call_params(sender: str, to: str, data: str) -> TxParams:
    """A call's parameters; ``to`` empty: a contract deployment."""
    params: TxParams = {"from": cast(ChecksumAddress, sender), "data": HexStr(data)}
    if to:
        params["to"] = cast(ChecksumAddress, to)
    return params


def _receipt(found: Any) -> Receipt:
    return Receipt(int(found["blockNumber"]), found["status"] == 1,
                   found.get("contractAddress") or None)


def _revert_data(exc: Exception) -> Any:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    return data
