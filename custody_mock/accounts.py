"""Accounts and money in and out: CSD (deposit), CSW (withdrawal), FEE, INT (interest)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from custody_mock import journals, ledger
from custody_mock.amounts import ZERO, places
from custody_mock.context import Ctx
from custody_mock.errors import BrokerError, invalid
from custody_mock.models import Account, Activity


def open_account(ctx: Ctx, *, given_name: str, family_name: str, email_address: str | None,
                 country_of_tax_residence: str, withholding_rate: Decimal | None,
                 kyc: dict[str, Any] | None = None) -> Account:
    count = ctx.db.scalar(select(func.count()).select_from(Account)) or 0
    account = Account(
        account_number=f"9{count + 1:09d}", given_name=given_name, family_name=family_name,
        email_address=email_address, country_of_tax_residence=country_of_tax_residence,
        withholding_rate=withholding_rate, cash_settled=ZERO, unsettled_credits=ZERO,
        unsettled_debits=ZERO, created_at=ctx.now, kyc=kyc or {},
    )
    ctx.db.add(account)
    ctx.db.flush()
    return account


def transfer(ctx: Ctx, account_id: str, *, direction: str, amount: Decimal,
             transfer_type: str) -> Activity:
    """Cash in (CSD) or out (CSW); sandbox-style, it completes at once in settled cash."""
    account = ledger.account(ctx, account_id)
    if places(amount) > 2 or amount <= 0:
        raise invalid("invalid_amount", "amount must be positive with at most 2 decimals")
    if account.account_blocked or account.transfers_blocked:
        raise BrokerError(403, "transfers_blocked", "transfers are blocked on this account")
    if direction == "INCOMING":
        account.cash_settled += amount
        return ledger.post(ctx, account.id, "CSD", net_amount=amount, settle_date=ctx.today,
                           description=f"{transfer_type} deposit")
    free = journals.withdrawable_cash(ctx, account.id)
    if amount > free:
        raise BrokerError(403, "insufficient_cash",
                          f"withdrawal of {amount} exceeds withdrawable cash {free}")
    account.cash_settled -= amount
    return ledger.post(ctx, account.id, "CSW", net_amount=-amount, settle_date=ctx.today,
                       description=f"{transfer_type} withdrawal")


def charge_fee(ctx: Ctx, account_id: str, amount: Decimal, description: str,
               symbol: str | None) -> Activity:
    if places(amount) > 2:
        raise invalid("invalid_amount", "amount has more than 2 decimals")
    return ledger.charge(ctx, account_id, amount, description, symbol)


def credit_interest(ctx: Ctx, account_id: str, amount: Decimal, description: str) -> Activity:
    """Interest paid on the account's cash, settled at once (``INT``)."""
    account = ledger.account(ctx, account_id)
    if amount <= 0 or places(amount) > 2:
        raise invalid("invalid_amount", "amount is positive with at most 2 decimals")
    account.cash_settled += amount
    return ledger.post(ctx, account.id, "INT", net_amount=amount, settle_date=ctx.today,
                       description=description)
