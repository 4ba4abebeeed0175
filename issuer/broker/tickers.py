"""A listing's symbol at the broker after name changes, in one place: the port's edge.

The issuer names a stock by its listing (the symbol it was listed under: the deployment's key,
every record's ``symbol``); the broker names it by its ticker, which a name change moves (FB
became META) from its process date. :class:`TickerBroker` wraps the broker port: every symbol
the issuer sends is the listing's ticker on the broker's date, and every symbol the broker
answers with (old or new) is read back as the listing, so no domain module knows a stock was
renamed. The renames come from the issuer's name-change records (:func:`renames_of`).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from issuer.broker import types as t
from issuer.broker.port import BrokerPort

M = TypeVar("M")
#: Fields of the broker's answers that name a stock.
SYMBOL_FIELDS = ("symbol", "initiating_symbol", "underlying_symbol")


@dataclass(frozen=True)
class Rename:
    """``listing`` trades as ``new`` (before: ``old``) from the broker date ``on``."""

    listing: str
    old: str
    new: str
    on: dt.date


class Tickers:
    """Listing <-> ticker for a set of renames."""

    def __init__(self, renames: Sequence[Rename]) -> None:
        self.renames = sorted(renames, key=lambda r: (r.listing, r.on))
        self._listing = {}
        for rename in self.renames:
            self._listing[rename.old] = self._listing[rename.new] = rename.listing

    def ticker(self, listing: str, today: dt.date) -> str:
        """The broker's symbol for ``listing`` on ``today``."""
        current = listing
        for rename in self.renames:
            if rename.listing == listing and rename.on <= today:
                current = rename.new
        return current

    def listing(self, symbol: str) -> str:
        """The listing a ticker (old or new) names; any other symbol is its own listing."""
        return self._listing.get(symbol.upper(), symbol)

    def renamed(self, listing: str) -> bool:
        return any(r.listing == listing for r in self.renames)


class TickerBroker:
    """The broker port with listings translated to tickers and back (see the module notes).
    ``load`` returns the renames; they are read again at most every ``ttl`` seconds, and at
    once after :meth:`forget` (the worker that records a name change calls it)."""

    def __init__(self, inner: BrokerPort, load: Callable[[], Sequence[Rename]], *,
                 ttl: float = 1.0) -> None:
        self.inner, self._load, self._ttl = inner, load, ttl
        self._tickers: Tickers | None = None
        self._loaded_at = 0.0
        self._guard = threading.Lock()

    def __getattr__(self, name: str) -> Any:   # test controls of a fake, and the like
        return getattr(self.inner, name)

    def forget(self) -> None:
        """Read the renames again on the next call."""
        self._tickers = None

    @property
    def tickers(self) -> Tickers:
        with self._guard:
            if self._tickers is None or time.monotonic() - self._loaded_at > self._ttl:
                self._tickers, self._loaded_at = Tickers(self._load()), time.monotonic()
            return self._tickers

    def _to(self, listing: str) -> str:
        tickers = self.tickers
        if not tickers.renamed(listing.upper()):
            return listing
        return tickers.ticker(listing.upper(), self.inner.clock().date)

    def _back(self, answer: M) -> M:
        tickers = self.tickers
        if not tickers.renames or answer is None:
            return answer
        update = {name: tickers.listing(value) for name in SYMBOL_FIELDS
                  if isinstance(value := getattr(answer, name, None), str)}
        return answer.model_copy(update=update) if update else answer  # type: ignore[attr-defined]

    # ------------------------------------------------------------------------- the port

    def account(self, account_id: str) -> t.Account:
        return self.inner.account(account_id)

    def trading_account(self, account_id: str) -> t.TradingAccount:
        return self.inner.trading_account(account_id)

    def submit_order(self, account_id: str, *, symbol: str, side: str,
                     qty: Decimal | None = None, notional: Decimal | None = None,
                     type: str = "market", time_in_force: str = "day",  # noqa: A002
                     limit_price: Decimal | None = None,
                     client_order_id: str | None = None) -> t.Order:
        return self._back(self.inner.submit_order(
            account_id, symbol=self._to(symbol), side=side, qty=qty, notional=notional,
            type=type, time_in_force=time_in_force, limit_price=limit_price,
            client_order_id=client_order_id))

    def order(self, account_id: str, order_id: str) -> t.Order:
        return self._back(self.inner.order(account_id, order_id))

    def order_by_client_id(self, account_id: str, client_order_id: str) -> t.Order | None:
        return self._back(self.inner.order_by_client_id(account_id, client_order_id))

    def orders(self, account_id: str, *, status: str = "all", symbols: str | None = None,
               limit: int = 500, direction: str = "asc") -> list[t.Order]:
        asked = ",".join(self._to(s) for s in symbols.split(",")) if symbols else None
        return [self._back(o) for o in self.inner.orders(
            account_id, status=status, symbols=asked, limit=limit, direction=direction)]

    def executions(self, account_id: str, order: t.Order) -> list[t.Execution]:
        return [self._back(e) for e in self.inner.executions(account_id, order)]

    def position(self, account_id: str, symbol: str) -> t.Position | None:
        return self._back(self.inner.position(account_id, self._to(symbol)))

    def new_activities(self, cursor: str | None, *, account_id: str | None = None,
                       types: list[str] | None = None,
                       page_size: int = 100) -> Iterator[t.Activity]:
        for entry in self.inner.new_activities(cursor, account_id=account_id, types=types,
                                               page_size=page_size):
            yield self._back(entry)

    def create_journal(self, *, entry_type: str, from_account: str, to_account: str,
                       symbol: str | None = None, qty: Decimal | None = None,
                       amount: Decimal | None = None, description: str = "",
                       client_journal_id: str | None = None,
                       first_attempt: bool = False) -> t.Journal:
        return self._back(self.inner.create_journal(
            entry_type=entry_type, from_account=from_account, to_account=to_account,
            symbol=self._to(symbol) if symbol else symbol, qty=qty, amount=amount,
            description=description, client_journal_id=client_journal_id,
            first_attempt=first_attempt))

    def journal(self, journal_id: str) -> t.Journal:
        return self._back(self.inner.journal(journal_id))

    def journal_by_client_id(self, client_journal_id: str, *, from_account: str,
                             to_account: str, entry_type: str) -> t.Journal | None:
        return self._back(self.inner.journal_by_client_id(
            client_journal_id, from_account=from_account, to_account=to_account,
            entry_type=entry_type))

    def announcements(self, *, ca_types: str | None = None, symbol: str | None = None,
                      since: dt.date | None = None,
                      until: dt.date | None = None) -> list[t.Announcement]:
        return [self._back(a) for a in self.inner.announcements(
            ca_types=ca_types, symbol=self._to(symbol) if symbol else symbol, since=since,
            until=until)]

    def corporate_actions_data(self, *, since: dt.date,
                     until: dt.date | None = None) -> list[t.Announcement]:
        return [self._back(a) for a in self.inner.corporate_actions_data(since=since, until=until)]

    def asset(self, symbol: str) -> t.Asset:
        return self._back(self.inner.asset(self._to(symbol)))

    def latest_trade(self, symbol: str) -> t.Trade | None:
        return self._back(self.inner.latest_trade(self._to(symbol)))

    def clock(self) -> t.MarketClock:
        return self.inner.clock()

    def tokenization_callback_mint(self, account_id: str, *, tokenization_request_id: str,
                                   client_id: str, wallet_address: str, tx_hash: str,
                                   network: str) -> t.TokenizationRequest:
        return self._back(self.inner.tokenization_callback_mint(
            account_id, tokenization_request_id=tokenization_request_id, client_id=client_id,
            wallet_address=wallet_address, tx_hash=tx_hash, network=network))

    def tokenization_callback_redeem(self, account_id: str, *, issuer_request_id: str,
                                     underlying_symbol: str, token_symbol: str, client_id: str,
                                     qty: Decimal, network: str, wallet_address: str,
                                     tx_hash: str) -> t.TokenizationRequest:
        return self._back(self.inner.tokenization_callback_redeem(
            account_id, issuer_request_id=issuer_request_id,
            underlying_symbol=self._to(underlying_symbol), token_symbol=token_symbol,
            client_id=client_id, qty=qty, network=network, wallet_address=wallet_address,
            tx_hash=tx_hash))

    def tokenization_request(self, account_id: str, *, tokenization_request_id: str | None = None,
                             issuer_request_id: str | None = None
                             ) -> t.TokenizationRequest | None:
        return self._back(self.inner.tokenization_request(
            account_id, tokenization_request_id=tokenization_request_id,
            issuer_request_id=issuer_request_id))

    def close(self) -> None:
        self.inner.close()
