"""What the broker says about one corporate action in the issuer's custody account."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from issuer.broker.types import Activity
from issuer.service import Issuer


def activities(issuer: Issuer, corporate_action_id: str,
               types: list[str]) -> Iterator[Activity]:
    """The custody account's activities of ``types`` that belong to the corporate action."""
    account = issuer.settings.broker_account_id
    for entry in issuer.broker.new_activities(None, account_id=account, types=types):
        if entry.corporate_action_id == corporate_action_id:
            yield entry


def total(entries: list[Activity]) -> Decimal:
    """The sum of ``net_amount`` (cash in, positive; cash out, negative)."""
    return sum((e.net_amount or Decimal(0) for e in entries), Decimal(0))


def price(issuer: Issuer, symbol: str) -> Decimal | None:
    """The broker's current price of ``symbol`` (from the custody position)."""
    position = issuer.broker.position(issuer.settings.broker_account_id, symbol)
    return position.current_price if position is not None else None
