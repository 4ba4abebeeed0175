"""Turn rows into response bodies (computed fields such as buying power live here)."""

from __future__ import annotations

from decimal import Decimal

from custody_mock import clock, journals, ledger, market, trading
from custody_mock.amounts import ZERO, cash_round
from custody_mock.context import Ctx
from custody_mock.models import Account, Announcement, Journal, Order, Position
from custody_mock.schemas import (
    AccountOut,
    AnnouncementOut,
    Contact,
    Identity,
    JournalOut,
    OrderOut,
    PositionOut,
    TradingAccountOut,
)


def account_out(ctx: Ctx, account: Account) -> AccountOut:
    kyc = account.kyc or {}
    identity = {**kyc.get("identity", {}), "given_name": account.given_name,
                "family_name": account.family_name,
                "country_of_tax_residence": account.country_of_tax_residence}
    contact = {**kyc.get("contact", {}), "email_address": account.email_address}
    complete = all(contact.get(name) for name in ("email_address", "street_address", "city"))
    return AccountOut(
        id=account.id, account_number=account.account_number, status=account.status,
        created_at=account.created_at, last_equity=_equity(ctx, account),
        identity=Identity.model_validate(identity),
        contact=Contact.model_validate(contact) if complete else None,
        disclosures=kyc.get("disclosures"), agreements=kyc.get("agreements"),
        trusted_contact=kyc.get("trusted_contact"),
        account_type=kyc.get("account_type") or "trading",
        enabled_assets=kyc.get("enabled_assets") or ["us_equity"],
        withholding_rate=account.withholding_rate,
    )


def _long_value(ctx: Ctx, account: Account) -> Decimal:
    return sum((p.market_value or ZERO for p in positions_out(ctx, account.id)), ZERO)


def _equity(ctx: Ctx, account: Account) -> Decimal:
    return account.cash + _long_value(ctx, account)


def trading_account_out(ctx: Ctx, account: Account) -> TradingAccountOut:
    long_value = _long_value(ctx, account)
    buying_power = trading.buying_power(ctx, account)
    withdrawable = journals.withdrawable_cash(ctx, account.id)
    previous_close = clock.previous_close(ctx)
    extra = {"cash_transferable": withdrawable, "previous_close": previous_close,
             "last_long_market_value": long_value, "last_cash": account.cash,
             "last_regt_buying_power": buying_power, "last_buying_power": buying_power,
             "last_equity": account.cash + long_value,
             "portfolio_value": account.cash + long_value, "regt_buying_power": buying_power,
             "non_marginable_buying_power": buying_power}
    return TradingAccountOut(
        **extra, id=account.id, account_number=account.account_number, status=account.status,
        cash=account.cash, buying_power=buying_power, cash_withdrawable=withdrawable,
        cash_settled=account.cash_settled, cash_unsettled_credits=account.unsettled_credits,
        cash_unsettled_debits=account.unsettled_debits, long_market_value=long_value,
        equity=account.cash + long_value, trading_blocked=account.trading_blocked,
        transfers_blocked=account.transfers_blocked, account_blocked=account.account_blocked,
        created_at=account.created_at,
    )


def order_out(ctx: Ctx, order: Order) -> OrderOut:
    asset = ledger.asset(ctx, order.symbol)
    return OrderOut(
        id=order.id, client_order_id=order.client_order_id, account_id=order.account_id,
        created_at=order.created_at, updated_at=order.updated_at,
        submitted_at=order.submitted_at, filled_at=order.filled_at,
        expired_at=order.expired_at, canceled_at=order.canceled_at, failed_at=order.failed_at,
        asset_id=asset.id, symbol=order.symbol, qty=order.qty, notional=order.notional,
        filled_qty=order.filled_qty, filled_avg_price=order.filled_avg_price,
        order_type=order.type, type=order.type, side=order.side,
        time_in_force=order.time_in_force, limit_price=order.limit_price,
        stop_price=order.stop_price, status=order.status, extended_hours=order.extended_hours,
        replaced_at=order.replaced_at, replaced_by=order.replaced_by, replaces=order.replaces,
        commission=order.commission, commission_type=order.commission_type,
        status_reason=order.status_reason,
    )


def position_out(ctx: Ctx, pos: Position) -> PositionOut:
    asset = ledger.asset(ctx, pos.symbol)
    price = market.price_at(ctx, pos.symbol)
    value = cash_round(pos.qty * price) if price is not None else None
    return PositionOut(
        asset_id=asset.id, symbol=pos.symbol, qty=pos.qty, qty_settled=pos.qty_settled,
        qty_available=trading.sellable_qty(ctx, pos.account_id, pos.symbol),
        avg_entry_price=pos.avg_entry_price, cost_basis=cash_round(pos.cost_basis),
        current_price=price, market_value=value,
        unrealized_pl=value - cash_round(pos.cost_basis) if value is not None else None,
    )


def positions_out(ctx: Ctx, account_id: str) -> list[PositionOut]:
    rows = ctx.db.query(Position).filter(Position.account_id == account_id).order_by(
        Position.symbol)
    return [position_out(ctx, p) for p in rows if p.qty != 0 or p.qty_settled != 0]


def journal_out(journal: Journal) -> JournalOut:
    return JournalOut(
        id=journal.id, entry_type=journal.entry_type, from_account=journal.from_account,
        to_account=journal.to_account, symbol=journal.symbol, qty=journal.qty,
        net_amount=journal.net_amount, description=journal.description,
        client_journal_id=journal.client_journal_id, status=journal.status,
        status_reason=journal.status_reason, system_date=journal.entry_date,
        settle_date=journal.settle_date, created_at=journal.created_at,
        executed_at=journal.executed_at,
    )


def mock_cusip(symbol: str) -> str:
    """A CUSIP-shaped identifier for a mock asset: 8 characters from the symbol and the
    standard CUSIP check digit (the mock has no CUSIP database)."""
    base = (symbol.upper() + "00000000")[:8]
    total = 0
    for position, char in enumerate(base):
        value = int(char) if char.isdigit() else ord(char) - ord("A") + 10
        if position % 2:
            value *= 2
        total += value // 10 + value % 10
    return base + str((10 - total % 10) % 10)


def announcement_out(ann: Announcement) -> AnnouncementOut:
    """Alpaca gives every numeric field a number: a split's ``cash`` is 0 and a dividend's
    rates are 1 (no change in the share count)."""
    dividend = ann.ca_type == "dividend"
    return AnnouncementOut(
        id=ann.id, corporate_action_id=ann.corporate_action_id, version=ann.version,
        ca_type=ann.ca_type, ca_sub_type=ann.ca_sub_type,
        initiating_symbol=ann.initiating_symbol,
        initiating_original_cusip=mock_cusip(ann.initiating_symbol),
        target_symbol=ann.target_symbol or ann.initiating_symbol,
        target_original_cusip=mock_cusip(ann.target_symbol or ann.initiating_symbol),
        declaration_date=ann.declaration_date, ex_date=ann.ex_date,
        record_date=ann.record_date, payable_date=ann.payable_date,
        cash=ann.cash if ann.cash is not None else ZERO,
        old_rate=ann.old_rate if ann.old_rate is not None else (Decimal(1) if dividend else None),
        new_rate=ann.new_rate if ann.new_rate is not None else (Decimal(1) if dividend else None),
        fee_per_share=ann.fee_per_share, created_at=ann.created_at,
    )
