"""Journals between accounts: JNLS moves settled shares, JNLC moves settled cash.

A journal is validated and its shares or cash are held when it is created (``queued``); it
executes at the end of its entry date when that is a settlement day, else at the end of the next
one (``executed``), or is ``rejected`` by an injected settlement failure, or ``canceled`` by the
client while still queued. Settlement delays move its settle date like a trade's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from custody_mock import ledger, trading
from custody_mock.amounts import ZERO, places
from custody_mock.context import Ctx
from custody_mock.errors import BrokerError, invalid, not_found
from custody_mock.models import Journal
from custody_mock.settlement import take_settlement_fault


@dataclass(frozen=True)
class JournalRequest:
    entry_type: str
    from_account: str
    to_account: str
    symbol: str | None = None
    qty: Decimal | None = None
    amount: Decimal | None = None
    description: str = ""
    client_journal_id: str | None = None


def create(ctx: Ctx, request: JournalRequest) -> Journal:
    if request.from_account == request.to_account:
        raise invalid("same_account", "a journal moves between two different accounts")
    source = ledger.account(ctx, request.from_account)
    target = ledger.account(ctx, request.to_account)
    for acct in (source, target):
        if acct.account_blocked or acct.transfers_blocked:
            raise BrokerError(403, "transfers_blocked",
                              f"transfers are blocked on account {acct.id}")
    if request.client_journal_id is not None and (
            existing := find_by_client_id(ctx, request.client_journal_id)) is not None:
        raise BrokerError(409, "duplicate_client_journal_id",
                          f"client_journal_id {request.client_journal_id!r} is already used "
                          f"by journal {existing.id}", journal_id=existing.id)
    journal = Journal(
        entry_type=request.entry_type, from_account=source.id, to_account=target.id,
        description=request.description, client_journal_id=request.client_journal_id,
        status="queued", entry_date=ctx.today, created_at=ctx.now,
        settle_date=_first_settlement_day_from(ctx),
    )
    if request.entry_type == "JNLS":
        if request.symbol is None or request.qty is None or request.amount is not None:
            raise invalid("invalid_journal", "a JNLS journal takes symbol and qty, no amount")
        if not source.firm or target.firm:
            raise BrokerError(403, "journal_not_allowed",
                              "share journals (JNLS) move shares from the firm account to a "
                              "user account only; shares from a user account come in through "
                              "the tokenization network")
        if request.qty <= 0 or places(request.qty) > 9:
            raise invalid("invalid_qty", "qty must be positive with at most 9 decimals")
        asset = ledger.asset(ctx, request.symbol)
        pos = ctx.db.get(ledger.Position, (source.id, asset.symbol))
        settled = pos.qty_settled if pos is not None else ZERO
        free = min(settled - _queued_out_qty(ctx, source.id, asset.symbol),
                   trading.sellable_qty(ctx, source.id, asset.symbol))
        if request.qty > free:
            raise BrokerError(403, "insufficient_qty",
                              f"journal moves {request.qty} {asset.symbol}, {free} settled "
                              "and free in the source account")
        journal.symbol, journal.qty = asset.symbol, request.qty
    elif request.entry_type == "JNLC":
        if request.amount is None or request.symbol is not None or request.qty is not None:
            raise invalid("invalid_journal", "a JNLC journal takes amount, no symbol or qty")
        if request.amount <= 0 or places(request.amount) > 2:
            raise invalid("invalid_amount", "amount must be positive with at most 2 decimals")
        free = withdrawable_cash(ctx, source.id)
        if request.amount > free:
            raise BrokerError(403, "insufficient_cash",
                              f"journal moves {request.amount}, {free} withdrawable")
        journal.net_amount = request.amount
    else:
        raise invalid("invalid_journal", "entry_type is JNLS or JNLC")
    ctx.db.add(journal)
    ctx.db.flush()
    return journal


def withdrawable_cash(ctx: Ctx, account_id: str) -> Decimal:
    """Settled cash not needed for unsettled buys, open buy orders or queued cash journals."""
    account = ledger.account(ctx, account_id)
    queued = ctx.db.scalars(select(Journal.net_amount).where(
        Journal.from_account == account_id, Journal.status == "queued",
        Journal.entry_type == "JNLC"))
    free = min(account.cash_settled - account.unsettled_debits,
               trading.buying_power(ctx, account))
    return max(ZERO, free - sum((a or ZERO for a in queued), ZERO))


def _queued_out_qty(ctx: Ctx, account_id: str, symbol: str) -> Decimal:
    rows = ctx.db.scalars(select(Journal.qty).where(
        Journal.from_account == account_id, Journal.symbol == symbol,
        Journal.status == "queued"))
    return sum((q or ZERO for q in rows), ZERO)


def _first_settlement_day_from(ctx: Ctx):  # noqa: ANN202
    day = ctx.today
    return day if ctx.calendar.is_settlement_day(day) else ctx.calendar.settlement_date(day)


def get(ctx: Ctx, journal_id: str) -> Journal:
    journal = ctx.db.get(Journal, journal_id)
    if journal is None:
        raise not_found("journal", journal_id)
    return journal


def find_by_client_id(ctx: Ctx, client_journal_id: str) -> Journal | None:
    return ctx.db.scalar(select(Journal).where(Journal.client_journal_id == client_journal_id))


def cancel(ctx: Ctx, journal: Journal) -> None:  # noqa: ARG001 (every operation takes ctx)
    if journal.status != "queued":
        raise invalid("journal_not_cancelable", f"journal {journal.id} is {journal.status}")
    journal.status, journal.status_reason = "canceled", "canceled by the client"


def execute_due(ctx: Ctx) -> None:
    day = ctx.today
    if not ctx.calendar.is_settlement_day(day):
        return
    due = ctx.db.scalars(select(Journal).where(
        Journal.status == "queued", Journal.settle_date <= day).order_by(Journal.created_at))
    for journal in list(due):
        scope = {"symbol": journal.symbol, "account_id": journal.from_account}
        if (fault := take_settlement_fault(ctx, "settlement_fail", "journal", **scope)):
            journal.status = "rejected"
            journal.status_reason = fault.params.get("reason", "journal failed at settlement")
            continue
        if (fault := take_settlement_fault(ctx, "settlement_delay", "journal", **scope)):
            journal.settle_date = ctx.calendar.settlement_date(
                day, int(fault.params.get("days", 1)))
            continue
        _execute(ctx, journal)


def _execute(ctx: Ctx, journal: Journal) -> None:
    source = ledger.account(ctx, journal.from_account)
    target = ledger.account(ctx, journal.to_account)
    common = {"journal_id": journal.id, "settle_date": ctx.today,
              "description": journal.description}
    if journal.entry_type == "JNLS":
        assert journal.symbol is not None and journal.qty is not None
        out = ledger.position(ctx, source.id, journal.symbol)
        basis = out.avg_entry_price
        ledger.remove_shares(out, journal.qty)
        out.qty_settled -= journal.qty
        into = ledger.position(ctx, target.id, journal.symbol)
        ledger.add_shares(into, journal.qty, basis)
        into.qty_settled += journal.qty
        ledger.post(ctx, source.id, "JNLS", symbol=journal.symbol, qty=-journal.qty, **common)
        ledger.post(ctx, target.id, "JNLS", symbol=journal.symbol, qty=journal.qty, **common)
    else:
        assert journal.net_amount is not None
        source.cash_settled -= journal.net_amount
        target.cash_settled += journal.net_amount
        ledger.post(ctx, source.id, "JNLC", net_amount=-journal.net_amount, **common)
        ledger.post(ctx, target.id, "JNLC", net_amount=journal.net_amount, **common)
    journal.status, journal.executed_at = "executed", ctx.now
