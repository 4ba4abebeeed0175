"""A chain in memory behind the same port as :class:`issuer.chain.Chain`, for fast tests of the
issuer's logic only (the anvil devnet and the real contracts stay for the integration suites).

It models the rules of the token suite the lifecycles meet, with the contracts' error names:
the supply roles, the reserve guard on every mint (``ReserveFeedUnusable``,
``ReserveAttestationStale``, ``ReserveAttestationPredatesSplit``, ``ReserveExceeded``: the
economic supply at the larger of the current and pending multiplier, rounded up, against settled
plus pending custody up to the pending cap), the receiver's verification, pauses and frozen
wallets, burns, attestations and prices, and the multiplier schedule (``MultiplierMismatch``,
``StaleNonce``, ``PendingChangeExists``, ``MultiplierUnchanged``, ``InsufficientNotice``,
``MultiplierOutOfBounds``, ``InvalidDirection``, ``DividendStepTooLarge``,
``CustodyAttestationStale``, ``IncreaseExceedsCustody``). A write it does not model raises
``NotImplementedError`` naming it, never a silent success.

Transactions are signed, sent and mined as on a node: the outbox stores them before they are
sent, each mined one is a block one second after the last, a reverted one has its error
replayed. ``auto_mine=False`` keeps sent transactions in a mempool until :meth:`FakeChain.mine`
(a crash between sending and mining). Reads answer from the current state whatever block they
name (history is not kept): the fast layer never reads the past.
"""

# ruff: noqa: ARG002  (the port's signatures: the fake answers from the current state)
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from issuer.chain import ChainCalls, ChainError, Distribution, MultiplierBounds, Receipt, Signed

ONE = 10 ** 18
DIVIDEND, FORWARD_SPLIT, REVERSE_SPLIT = 1, 2, 3


def _address(label: str) -> str:
    return "0x" + hashlib.sha256(label.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class FakeCall:
    """An unsigned call: the contract (as :class:`issuer.chain.ChainCalls` names it), the
    function and its arguments."""

    target: str
    function: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class FakeSigner:
    role: str

    @property
    def address(self) -> str:
        return _address(f"signer:{self.role}")


@dataclass
class FakeToken:
    """One stock's token, reserve feed and price feed."""

    symbol: str
    pending_cap: int = 0
    max_attestation_age: int = 86_400
    bounds: MultiplierBounds = field(default_factory=lambda: MultiplierBounds(
        ONE // 1000, ONE * 1000, ONE // 10, 3_600, 86_400))
    supply: int = 0
    balances: dict[str, int] = field(default_factory=dict)
    frozen: set[str] = field(default_factory=set)
    paused: bool = False
    market_data_paused: bool = False
    multiplier: int = ONE
    pending: tuple[int, int, int] | None = None     # (new multiplier, effective at, nonce)
    last_nonce: int = 0
    rescaled_at: int = 0
    rounds: list[tuple[int, int, int]] = field(default_factory=list)  # settled, pending, as of
    attest_txs: list[str] = field(default_factory=list)
    prices: list[tuple[int, int]] = field(default_factory=list)        # answer, as of

    @property
    def address(self) -> str:
        return _address(f"token:{self.symbol}")


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"bytes"}:
        return bytes.fromhex(value["bytes"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class FakeChain:
    """The port in memory (see the module notes)."""

    chain_id = 31_337
    confirmations = 0

    def __init__(self, symbols: tuple[str, ...] = ("AAPL",), *, start: int = 1_728_658_800,
                 pending_cap: int = 0, auto_mine: bool = True) -> None:
        self.tokens = {s: FakeToken(s, pending_cap=pending_cap) for s in symbols}
        self.signers = {role: FakeSigner(role) for role in
                        ("supply", "registrar", "corporate_action", "reserve")}
        self.block, self.time, self.auto_mine = 1, start, auto_mine
        self.unverified: set[str] = set()
        self.nonces: dict[str, int] = {}
        self.mempool: dict[str, dict[str, Any]] = {}
        self.receipts: dict[str, Receipt] = {}
        self.errors: dict[str, str] = {}
        self.transfers_of: dict[str, list[dict[str, Any]]] = {}
        #: every mined call, in order: (block, function, args, error or None)
        self._at = start
        self.history: list[tuple[int, str, tuple[Any, ...], str | None]] = []

    # ------------------------------------------------------------------------- test controls

    def advance(self, seconds: int) -> None:
        """Let chain time pass (the next block is this much later)."""
        self.time += seconds

    def mine(self) -> None:
        """Mine every sent transaction, each in its own block, in nonce order per signer."""
        for tx_hash, tx in sorted(self.mempool.items(), key=lambda i: (i[1]["signer"],
                                                                        i[1]["nonce"])):
            del self.mempool[tx_hash]
            self.block, self.time = self.block + 1, self.time + 1
            self.nonces[tx["signer"]] = tx["nonce"] + 1
            call = self._call_of(tx["to"], tx["data"])
            error: str | None = None
            try:
                self._execute(call, tx["signer"], tx_hash)
            except ChainError as refused:
                error = refused.name
                self.errors[tx_hash] = refused.name
            self.receipts[tx_hash] = Receipt(self.block, error is None)
            self.history.append((self.block, call.function, call.args, error))

    # ------------------------------------------------------------------------- the writes

    @cached_property
    def calls(self) -> ChainCalls:
        return ChainCalls(lambda target, function, *args: FakeCall(target, function, args),
                          lambda: _address("DividendDistributor"),
                          lambda: _address("Stablecoin"),
                          lambda symbol: self.token(symbol).address)

    def _call_of(self, to: str, data: str) -> FakeCall:
        target, function, args = json.loads(bytes.fromhex(data.removeprefix("0x")))
        return FakeCall(target, function, tuple(_decode(a) for a in args))

    def prepare(self, call: FakeCall, sender: str) -> tuple[str, str]:
        self.preflight(call, sender)
        return self.encode(call)

    def encode(self, call: FakeCall) -> tuple[str, str]:
        data = json.dumps([call.target, call.function, _encode(list(call.args))]).encode()
        return _address(call.target), "0x" + data.hex()

    def preflight(self, call: FakeCall, sender: str) -> None:
        self._execute(call, sender, None)

    def sign(self, role: str, to: str, data: str, nonce: int) -> Signed:
        body = json.dumps({"signer": self.signers[role].address, "nonce": nonce, "to": to,
                           "data": data}).encode()
        return Signed("0x" + body.hex(), "0x" + hashlib.sha256(body).hexdigest())

    def nonce(self, address: str, *, pending: bool) -> int:
        mined = self.nonces.get(address, 0)
        if not pending:
            return mined
        waiting = [t["nonce"] for t in self.mempool.values() if t["signer"] == address]
        return max([mined, *(n + 1 for n in waiting)])

    def send_raw(self, raw: str) -> str | None:
        tx = json.loads(bytes.fromhex(raw.removeprefix("0x")))
        tx_hash = "0x" + hashlib.sha256(bytes.fromhex(raw.removeprefix("0x"))).hexdigest()
        if tx_hash in self.receipts or tx_hash in self.mempool:
            return "already known"
        if tx["nonce"] < self.nonces.get(tx["signer"], 0):
            return "nonce too low"
        self.mempool[tx_hash] = tx
        if self.auto_mine:
            self.mine()
        return None

    def receipt(self, tx_hash: str) -> Receipt | None:
        return self.receipts.get(tx_hash)

    def wait_receipt(self, tx_hash: str) -> Receipt | None:
        return self.receipts.get(tx_hash)

    def replay_error(self, sender: str, to: str, data: str, block: int) -> str:
        found = next((h for h, r in self.receipts.items() if r.block == block), None)
        return self.errors.get(found or "", "reverted")

    def transfers(self, symbol: str, tx_hash: str) -> list[dict[str, Any]] | None:
        if tx_hash not in self.receipts:
            return None
        if not self.receipts[tx_hash].ok:
            raise ChainError("reverted", f"transaction {tx_hash} reverted")
        return list(self.transfers_of.get(tx_hash, []))

    # ------------------------------------------------------------------------- the contracts

    def _execute(self, call: FakeCall, sender: str, tx_hash: str | None) -> None:
        """Check ``call`` by the contracts' rules (ChainError on a refusal), and when
        ``tx_hash`` is given (mined), apply it."""
        kind, _, symbol = call.target.partition(":")
        if kind not in ("token", "reserve_feed", "price_feed"):
            raise NotImplementedError(f"the fake chain does not model {call.target}")
        token = self.token(symbol)
        # a dry run is judged at the next block's time, as the node estimates it
        self._at = self.time if tx_hash is not None else self.time + 1
        self._activate(token)
        handler = getattr(self, f"_{kind}_{call.function}", None)
        if handler is None:
            raise NotImplementedError(f"the fake chain does not model {kind}.{call.function}")
        handler(token, sender, tx_hash, *call.args)

    def _require(self, sender: str, role: str) -> None:
        if sender != self.signers[role].address:
            raise ChainError("AccessControlUnauthorizedAccount", f"{sender} lacks {role}")

    def _token_mint(self, token: FakeToken, sender: str, tx_hash: str | None, wallet: str,
                    raw: int) -> None:
        self._token_batchMint(token, sender, tx_hash, [wallet], [raw])

    def _token_batchMint(self, token: FakeToken, sender: str, tx_hash: str | None,
                         wallets: list[str], raws: list[int]) -> None:
        self._require(sender, "supply")
        if len(wallets) != len(raws):
            raise ChainError("ArrayLengthMismatch", "")
        for wallet in wallets:
            if wallet in self.unverified:
                raise ChainError("ReceiverNotVerified", wallet)
        self._enforce_reserve(token, token.supply + sum(raws))
        if tx_hash is None:
            return
        for wallet, raw in zip(wallets, raws, strict=True):
            token.balances[wallet] = token.balances.get(wallet, 0) + raw
            token.supply += raw
            self.transfers_of.setdefault(tx_hash, []).append(
                {"from": "0x" + "0" * 40, "to": wallet, "value": raw})

    def _enforce_reserve(self, token: FakeToken, raw_supply: int) -> None:
        if not token.rounds:
            raise ChainError("ReserveFeedUnusable", token.symbol)
        settled, pending, as_of = token.rounds[-1]
        if as_of < token.rescaled_at:
            raise ChainError("ReserveAttestationPredatesSplit", f"{as_of} < {token.rescaled_at}")
        if self._at - as_of > token.max_attestation_age:
            raise ChainError("ReserveAttestationStale", str(as_of))
        economic = -(-raw_supply * self.mint_multiplier(token.symbol) // ONE)
        capacity = settled + min(pending, token.pending_cap)
        if economic > capacity:
            raise ChainError("ReserveExceeded", f"{economic}, {capacity}")

    def _token_burn(self, token: FakeToken, sender: str, tx_hash: str | None, wallet: str,
                    raw: int) -> None:
        self._require(sender, "supply")
        balance = token.balances.get(wallet, 0)
        if raw > balance:
            raise ChainError("ERC20InsufficientBalance", f"{wallet}, {balance}, {raw}")
        if tx_hash is not None:
            token.balances[wallet] = balance - raw
            token.supply -= raw
            self.transfers_of.setdefault(tx_hash, []).append(
                {"from": wallet, "to": "0x" + "0" * 40, "value": raw})

    def _token_pause(self, token: FakeToken, sender: str, tx_hash: str | None) -> None:
        self._require(sender, "supply")
        if tx_hash is not None:
            token.paused = True

    def _token_unpause(self, token: FakeToken, sender: str, tx_hash: str | None) -> None:
        self._require(sender, "supply")
        if tx_hash is not None:
            token.paused = False

    def _token_setMarketDataPaused(self, token: FakeToken, sender: str, tx_hash: str | None,
                                   paused: bool) -> None:
        self._require(sender, "corporate_action")
        if tx_hash is not None:
            token.market_data_paused = paused

    def _token_setAddressFrozen(self, token: FakeToken, sender: str, tx_hash: str | None,
                                wallet: str, frozen: bool) -> None:
        self._require(sender, "supply")
        if tx_hash is not None:
            (token.frozen.add if frozen else token.frozen.discard)(wallet)

    def _token_scheduleMultiplier(self, token: FakeToken, sender: str, tx_hash: str | None,
                                  m0: int, m1: int, effective_at: int, kind: int, ref: bytes,
                                  nonce: int) -> None:
        self._require(sender, "corporate_action")
        if token.pending is not None:
            raise ChainError("PendingChangeExists", str(token.pending[2]))
        if m0 != token.multiplier:
            raise ChainError("MultiplierMismatch", f"{m0}, {token.multiplier}")
        if nonce != token.last_nonce + 1:
            raise ChainError("StaleNonce", f"{nonce}, {token.last_nonce}")
        if m1 == token.multiplier:
            raise ChainError("MultiplierUnchanged", str(m1))
        bounds = token.bounds
        if not bounds.min_multiplier <= m1 <= bounds.max_multiplier:
            raise ChainError("MultiplierOutOfBounds", str(m1))
        notice = max(bounds.min_notice, bounds.split_notice if kind == FORWARD_SPLIT else 0)
        if effective_at < self._at + notice:
            raise ChainError("InsufficientNotice", f"{effective_at}, {self._at + notice}")
        up = m1 > m0
        if (kind == REVERSE_SPLIT and up) or (kind not in (0, REVERSE_SPLIT) and not up):
            raise ChainError("InvalidDirection", f"{kind}, {m0}, {m1}")
        if up and kind != FORWARD_SPLIT:
            if kind == DIVIDEND and m1 > m0 + m0 * bounds.max_dividend_step // ONE:
                raise ChainError("DividendStepTooLarge", f"{m0}, {m1}")
            settled, _, as_of = token.rounds[-1] if token.rounds else (0, 0, 0)
            if not token.rounds or self._at - as_of > token.max_attestation_age:
                raise ChainError("CustodyAttestationStale", "")
            economic = -(-token.supply * m1 // ONE)
            if economic > settled:
                raise ChainError("IncreaseExceedsCustody", f"{economic}, {settled}")
        if tx_hash is not None:
            token.pending, token.last_nonce = (m1, effective_at, nonce), nonce

    def _token_cancelScheduledMultiplier(self, token: FakeToken, sender: str,
                                         tx_hash: str | None, nonce: int) -> None:
        self._require(sender, "corporate_action")
        if token.pending is None or token.pending[2] != nonce:
            raise ChainError("NoPendingChange", str(nonce))
        if tx_hash is not None:
            token.pending = None

    def _reserve_feed_attest(self, token: FakeToken, sender: str, tx_hash: str | None,
                             settled: int, pending: int, as_of: int) -> None:
        self._require(sender, "reserve")
        if as_of > self._at:
            raise ChainError("AttestationInFuture", str(as_of))
        if tx_hash is not None:
            token.rounds.append((settled, pending, as_of))
            token.attest_txs.append(tx_hash)

    def _price_feed_report(self, token: FakeToken, sender: str, tx_hash: str | None,
                           answer: int, as_of: int) -> None:
        self._require(sender, "reserve")
        if answer <= 0:
            raise ChainError("InvalidPrice", str(answer))
        if tx_hash is not None:
            token.prices.append((answer, as_of))

    def _activate(self, token: FakeToken) -> None:
        """A scheduled multiplier takes effect at its time (as the token reads it)."""
        if token.pending is not None and self.time >= token.pending[1]:
            token.multiplier, token.rescaled_at = token.pending[0], token.pending[1]
            token.pending = None

    # ------------------------------------------------------------------------- reads

    def token(self, symbol: str) -> FakeToken:
        try:
            return self.tokens[symbol.upper()]
        except KeyError:
            raise KeyError(symbol) from None

    @property
    def stocks(self) -> dict[str, FakeToken]:
        return self.tokens

    def list_stock(self, symbol: str) -> FakeToken:
        """A new listing (the factory's owner's call, as :mod:`deploy.list_stock` makes it)."""
        self.tokens[symbol.upper()] = FakeToken(symbol.upper())
        return self.tokens[symbol.upper()]

    @property
    def factory_address(self) -> str:
        return _address("StockTokenFactory")

    def stock(self, symbol: str) -> FakeToken:
        return self.token(symbol)

    def head(self) -> int:
        return self.block

    def block_time(self, block: Any = "latest") -> int:
        return self.time

    def has_code(self, symbol: str, block: int) -> bool:
        return symbol.upper() in self.tokens

    def multiplier(self, symbol: str, block: Any = "latest") -> int:
        token = self.token(symbol)
        self._activate(token)
        return token.multiplier

    def mint_multiplier(self, symbol: str) -> int:
        token = self.token(symbol)
        self._activate(token)
        return max(token.multiplier, token.pending[0] if token.pending else 0)

    def pending_multiplier(self, symbol: str, block: Any = "latest") -> tuple[int, int]:
        token = self.token(symbol)
        self._activate(token)
        return (token.pending[0], token.pending[1]) if token.pending else (token.multiplier, 0)

    def effective_at(self, symbol: str) -> int:
        return self.pending_multiplier(symbol)[1]

    def last_multiplier_nonce(self, symbol: str) -> int:
        return self.token(symbol).last_nonce

    def multiplier_bounds(self, symbol: str) -> MultiplierBounds:
        return self.token(symbol).bounds

    def reserve_round(self, symbol: str, block: Any = "latest") -> tuple[int, int, int, int]:
        rounds = self.token(symbol).rounds
        return (len(rounds), *rounds[-1]) if rounds else (0, 0, 0, 0)

    def attestation_tx(self, symbol: str, round_id: int) -> str | None:
        txs = self.token(symbol).attest_txs
        return txs[round_id - 1] if 0 < round_id <= len(txs) else None

    def price_round(self, symbol: str) -> tuple[int, int, int]:
        prices = self.token(symbol).prices
        return (len(prices), *prices[-1]) if prices else (0, 0, 0)

    def pending_cap(self, symbol: str) -> int:
        return self.token(symbol).pending_cap

    def total_supply(self, symbol: str, block: Any = "latest") -> int:
        return self.token(symbol).supply

    def balance(self, symbol: str, wallet: str, block: Any = "latest") -> int:
        return self.token(symbol).balances.get(wallet, 0)

    def is_paused(self, symbol: str) -> bool:
        return self.token(symbol).paused

    def is_verified(self, wallet: str) -> bool:
        return wallet not in self.unverified

    def in_registry(self, wallet: str) -> bool:
        return wallet not in self.unverified

    def token_symbol(self, symbol: str) -> str:
        return self.token(symbol).symbol

    def token_name(self, symbol: str) -> str:
        return f"{self.token(symbol).symbol} tokenized share"

    def distribution(self, distribution_id: int) -> Distribution:
        raise NotImplementedError("the fake chain does not model the dividend distributor")

    def decode_error(self, data: str | bytes | None) -> str:
        return "reverted"
