"""What the broker says about one corporate action in the issuer's custody account."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DividendCash:
    """What the broker paid custody for a cash dividend: the shares it paid on, the gross, the
    tax withheld and the fees (positive amounts); ``paid`` False until the DIV entry is there."""

    paid: bool
    shares: Decimal
    gross: Decimal
    withholding: Decimal
    fees: Decimal


def dividend_cash(issuer: Issuer, corporate_action_id: str) -> DividendCash:
    """The dividend's cash in custody, from Alpaca's activity types (DIV, DIVNRA for the
    non-resident withholding, FEE): the one place that knows those codes."""
    entries = [e for e in activities(issuer, corporate_action_id, ["DIV", "DIVNRA", "FEE"])
               if e.activity_sub_type != STOCK_DIVIDEND]
    paid = [e for e in entries if e.activity_type == "DIV"]
    return DividendCash(
        paid=bool(paid), shares=sum((e.qty or Decimal(0) for e in paid), Decimal(0)),
        gross=total(paid),
        withholding=-total([e for e in entries if e.activity_type == "DIVNRA"]),
        fees=-total([e for e in entries if e.activity_type == "FEE"]))


#: Alpaca's sub-type of a ``DIV`` entry that pays shares, not cash.
STOCK_DIVIDEND = "SDIV"


@dataclass(frozen=True)
class StockDividendShares:
    """What the broker gave custody for a stock dividend: the shares entitled (``DIV``/``SDIV``
    quantity), the new shares per share, the new shares received (entitled * rate less the
    fraction paid in cash) and the cash in lieu (``CIL``); ``paid`` False until the entry is
    there."""

    paid: bool
    entitled: Decimal
    rate: Decimal
    received: Decimal
    cash_in_lieu: Decimal


def stock_dividend(issuer: Issuer, corporate_action_id: str) -> StockDividendShares:
    """The stock dividend's shares in custody, from Alpaca's ``DIV`` entries of sub-type
    ``SDIV`` and the ``CIL`` entries of their fractions."""
    entries = list(activities(issuer, corporate_action_id, ["DIV", "CIL"]))
    paid = [e for e in entries if e.activity_type == "DIV"
            and e.activity_sub_type == STOCK_DIVIDEND]
    in_lieu = [e for e in entries if e.activity_type == "CIL"]
    entitled = sum((e.qty or Decimal(0) for e in paid), Decimal(0))
    exact = sum(((e.qty or Decimal(0)) * (e.per_share_amount or Decimal(0)) for e in paid),
                Decimal(0))
    fractions = sum((e.qty or Decimal(0) for e in in_lieu), Decimal(0))
    rate = paid[0].per_share_amount or Decimal(0) if paid else Decimal(0)
    return StockDividendShares(paid=bool(paid), entitled=entitled, rate=rate,
                               received=exact - fractions, cash_in_lieu=total(in_lieu))


@dataclass(frozen=True)
class MergerCash:
    """What a cash merger gave custody: the shares it took (``MA`` quantity) and the cash paid
    for them; ``paid`` False until the entry is there."""

    paid: bool
    shares: Decimal
    cash: Decimal


def merger_cash(issuer: Issuer, corporate_action_id: str) -> MergerCash:
    """The cash merger's conversion of custody, from Alpaca's ``MA`` entries."""
    entries = list(activities(issuer, corporate_action_id, ["MA"]))
    return MergerCash(paid=bool(entries),
                      shares=sum((e.qty or Decimal(0) for e in entries), Decimal(0)),
                      cash=total(entries))


@dataclass(frozen=True)
class SpinOffShares:
    """What a spin-off gave custody: the new company's shares received (``SSO`` quantity), the
    new shares per parent share, the fraction paid as cash in lieu (``CIL`` quantity) and that
    cash; ``paid`` False until the entry is there."""

    paid: bool
    received: Decimal
    rate: Decimal
    fraction: Decimal
    cash_in_lieu: Decimal

    @property
    def entitled(self) -> Decimal:
        """The parent shares custody was entitled on at the record date."""
        return (self.received + self.fraction) / self.rate if self.rate else Decimal(0)


def spin_off(issuer: Issuer, corporate_action_id: str) -> SpinOffShares:
    """The spin-off's new shares in custody, from Alpaca's ``SSO`` (stock spin-off) entries and
    the ``CIL`` entries of their fractions."""
    entries = list(activities(issuer, corporate_action_id, ["SSO", "CIL"]))
    paid = [e for e in entries if e.activity_type == "SSO"]
    in_lieu = [e for e in entries if e.activity_type == "CIL"]
    return SpinOffShares(
        paid=bool(paid), received=sum((e.qty or Decimal(0) for e in paid), Decimal(0)),
        rate=paid[0].per_share_amount or Decimal(0) if paid else Decimal(0),
        fraction=sum((e.qty or Decimal(0) for e in in_lieu), Decimal(0)),
        cash_in_lieu=total(in_lieu))


@dataclass(frozen=True)
class MergerShares:
    """What a stock (or stock-and-cash) merger gave custody: the acquired shares it took and
    the cash paid with them (the ``MA`` entry in the acquired company), the acquirer's shares
    received (the ``MA`` entry in the acquirer) and the cash in lieu of a fraction of one
    (``CIL``); ``paid`` False until the entries are there."""

    paid: bool
    given: Decimal
    cash: Decimal
    received: Decimal
    cash_in_lieu: Decimal


def merger_shares(issuer: Issuer, corporate_action_id: str, acquiree: str,
                  acquirer: str) -> MergerShares:
    """The stock merger's conversion of custody, from Alpaca's ``MA`` entries (one per side)
    and ``CIL``."""
    entries = list(activities(issuer, corporate_action_id, ["MA", "CIL"]))
    gave = [e for e in entries if e.activity_type == "MA" and e.symbol == acquiree]
    got = [e for e in entries if e.activity_type == "MA" and e.symbol == acquirer]
    in_lieu = [e for e in entries if e.activity_type == "CIL"]
    return MergerShares(paid=bool(gave and got),
                        given=sum((e.qty or Decimal(0) for e in gave), Decimal(0)),
                        cash=total(gave),
                        received=sum((e.qty or Decimal(0) for e in got), Decimal(0)),
                        cash_in_lieu=total(in_lieu))


def removed_shares(issuer: Issuer, corporate_action_id: str) -> Decimal | None:
    """The custody shares a worthless removal took (Alpaca's ``REORG`` entries), or None
    before the broker booked it."""
    entries = list(activities(issuer, corporate_action_id, ["REORG"]))
    return sum((e.qty or Decimal(0) for e in entries), Decimal(0)) if entries else None


def total(entries: list[Activity]) -> Decimal:
    """The sum of ``net_amount`` (cash in, positive; cash out, negative)."""
    return sum((e.net_amount or Decimal(0) for e in entries), Decimal(0))


def price(issuer: Issuer, symbol: str) -> Decimal | None:
    """The broker's current price of ``symbol`` (from the custody position)."""
    position = issuer.broker.position(issuer.settings.broker_account_id, symbol)
    return position.current_price if position is not None else None
