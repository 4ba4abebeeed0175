"""Journals in the issuer's words: cash moved between two accounts, or shares. The broker's own
entry codes (Alpaca's ``JNLC`` and ``JNLS``) stay behind the port, here."""

from __future__ import annotations

from decimal import Decimal

from issuer.broker.port import BrokerPort
from issuer.broker.types import Journal

CASH, SHARES = "JNLC", "JNLS"


def cash_journal(broker: BrokerPort, *, from_account: str, to_account: str, amount: Decimal,
                 description: str, client_journal_id: str,
                 first_attempt: bool = False) -> Journal:
    """Move ``amount`` of cash, at most once per ``client_journal_id``."""
    return broker.create_journal(entry_type=CASH, from_account=from_account,
                                 to_account=to_account, amount=amount, description=description,
                                 client_journal_id=client_journal_id,
                                 first_attempt=first_attempt)


def share_journal(broker: BrokerPort, *, from_account: str, to_account: str, symbol: str,
                  qty: Decimal, description: str, client_journal_id: str) -> Journal:
    """Move ``qty`` shares of ``symbol``, at most once per ``client_journal_id``."""
    return broker.create_journal(entry_type=SHARES, from_account=from_account,
                                 to_account=to_account, symbol=symbol, qty=qty,
                                 description=description, client_journal_id=client_journal_id)


def cash_journal_by_client_id(broker: BrokerPort, client_journal_id: str, *, from_account: str,
                              to_account: str) -> Journal | None:
    """The cash journal made under ``client_journal_id`` between the two accounts, if any."""
    return broker.journal_by_client_id(client_journal_id, from_account=from_account,
                                       to_account=to_account, entry_type=CASH)
