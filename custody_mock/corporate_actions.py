"""Corporate actions: announcements (with amendments), dividends and splits on the right days.

- A cash dividend fixes each account's entitlement from its *settled* position at the end of the
  record date; on the payable date (before the open) it posts DIV with the gross amount, then a
  linked DIVNRA for withholding (the account's treaty rate, else 30 % for a non-US tax
  residence) and a linked FEE when the announcement carries a fee per share.
- A split takes effect at the start of its effective date (the ex-date): positions, pending
  trades and queued journals scale by ``new_rate / old_rate``, average prices the other way; with
  cash in lieu on, fractions of a share are paid out at the post-split price (CIL). Open forward-
  split orders are adjusted; open orders on a reverse split are canceled, each with a reason.
- An amendment adds a version with the same ``corporate_action_id``; it is refused once the step
  it would change has run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields
from decimal import Decimal

from sqlalchemy import select, update

from custody_mock import faults, ledger, market
from custody_mock.amounts import (
    ZERO,
    cash_down,
    cash_round,
    normalize,
    price_round,
    qty_down,
    whole_down,
)
from custody_mock.context import Ctx
from custody_mock.errors import BrokerError, invalid, not_found
from custody_mock.models import (
    OPEN_ORDER_STATUSES,
    Account,
    Announcement,
    Asset,
    CorporateActionRun,
    Entitlement,
    Journal,
    Order,
    Position,
    PricePoint,
    Trade,
)
from servicekit.calendar import midnight

US = "USA"
DIVIDEND, SPLIT, NAME_CHANGE, CASH_MERGER = "dividend", "split", "name_change", "cash_merger"
WORTHLESS, SPIN_OFF, STOCK_MERGER = "worthless_removal", "spin_off", "stock_merger"
SUB_TYPES = {DIVIDEND: ("cash", "stock"), SPLIT: ("stock_split", "reverse_split"),
             NAME_CHANGE: ("name_change",), CASH_MERGER: ("cash_merger",),
             WORTHLESS: ("worthless_removal",), SPIN_OFF: ("spin_off",),
             STOCK_MERGER: ("stock_merger", "stock_and_cash_merger")}
#: Kinds Alpaca lists in its corporate-actions data (``/v1/corporate-actions``), never among
#: the Broker API's announcements.
DATA_ONLY = (NAME_CHANGE, CASH_MERGER, WORTHLESS, SPIN_OFF, STOCK_MERGER)
#: The kinds whose entitlements are fixed from settled positions at the end of the record date.
RECORDED = (DIVIDEND, SPIN_OFF)


@dataclass(frozen=True)
class AnnouncementFields:
    ca_type: str
    ca_sub_type: str
    initiating_symbol: str
    declaration_date: dt.date
    ex_date: dt.date
    target_symbol: str | None = None
    record_date: dt.date | None = None
    payable_date: dt.date | None = None
    cash: Decimal | None = None
    old_rate: Decimal | None = None
    new_rate: Decimal | None = None
    fee_per_share: Decimal | None = None


def announce(ctx: Ctx, data: AnnouncementFields) -> Announcement:
    _validate(ctx, data)
    entry = Announcement(corporate_action_id=str(uuid.uuid4()), version=1, current=True,
                         created_at=ctx.now, **_columns(data))
    entry.initiating_symbol = data.initiating_symbol.upper()
    entry.target_symbol = data.target_symbol.upper() if data.target_symbol else None
    ctx.db.add(entry)
    ctx.db.flush()
    return entry


def amend(ctx: Ctx, corporate_action_id: str, changes: dict[str, object]) -> Announcement:
    """A new version of the announcement; refused when a step it would change has run."""
    current = current_version(ctx, corporate_action_id)
    unknown = set(changes) - {f.name for f in fields(AnnouncementFields)}
    if unknown:
        raise invalid("invalid_amendment", f"unknown fields: {', '.join(sorted(unknown))}")
    fixed = {"ca_type", "ca_sub_type", "initiating_symbol", "target_symbol"} & set(changes)
    if fixed:
        raise invalid("invalid_amendment", f"cannot amend {', '.join(sorted(fixed))}")
    runs = _runs(ctx, corporate_action_id)
    if runs & {"split", "pay", "rename", "merge", "remove", "spin"}:
        raise BrokerError(409, "corporate_action_processed",
                          f"corporate action {corporate_action_id} is already processed")
    if "record" in runs and {"record_date", "ex_date"} & set(changes):
        raise BrokerError(409, "corporate_action_processed",
                          "the record date has passed; only cash and dates after it can change")
    values = {f.name: getattr(current, f.name) for f in fields(AnnouncementFields)}
    values.update(changes)
    data = AnnouncementFields(**values)
    _validate(ctx, data, corporate_action_id)
    current.current = False
    entry = Announcement(corporate_action_id=corporate_action_id, version=current.version + 1,
                         current=True, created_at=ctx.now, **_columns(data))
    ctx.db.add(entry)
    ctx.db.flush()
    return entry


def _columns(data: AnnouncementFields) -> dict[str, object]:
    return {f.name: getattr(data, f.name) for f in fields(AnnouncementFields)}


def _validate(ctx: Ctx, data: AnnouncementFields, amending: str | None = None) -> None:
    """Refuse what Alpaca would never announce (``amending``: the action a new version
    replaces, which may keep its own figures)."""
    ledger.asset(ctx, data.initiating_symbol)
    if data.ca_sub_type not in SUB_TYPES.get(data.ca_type, ()):
        raise invalid("invalid_announcement",
                      f"ca_type {data.ca_type!r} with ca_sub_type {data.ca_sub_type!r} is not "
                      "supported (dividend/cash, dividend/stock, split/stock_split, "
                      "split/reverse_split, name_change/name_change, "
                      "cash_merger/cash_merger, worthless_removal/worthless_removal, "
                      "spin_off/spin_off, stock_merger/stock_merger, "
                      "stock_merger/stock_and_cash_merger)")
    if data.ca_type == STOCK_MERGER:
        _validate_stock_merger(data)
        return
    if data.ca_type == SPIN_OFF:
        _validate_spin_off(data)
        return
    if data.ca_type == WORTHLESS:
        if data.ex_date < data.declaration_date:
            raise invalid("invalid_announcement", "the process date precedes the declaration")
        return
    if data.ca_type == CASH_MERGER:
        if data.cash is None or data.cash <= 0:
            raise invalid("invalid_announcement", "a cash merger needs a positive cash rate "
                          "(cash per share)")
        if data.ex_date < data.declaration_date:
            raise invalid("invalid_announcement", "the effective date precedes the declaration")
        if data.payable_date is not None and data.payable_date < data.ex_date:
            raise invalid("invalid_announcement", "the payable date precedes the effective date")
        return
    if data.ca_type == NAME_CHANGE:
        new = (data.target_symbol or "").upper()
        if not new or new == data.initiating_symbol.upper():
            raise invalid("invalid_announcement", "a name change needs a new target_symbol")
        if ctx.db.get(Asset, new) is not None:
            raise invalid("invalid_announcement", f"{new} is an asset already")
        if ctx.db.scalar(select(Announcement.id).where(
                Announcement.current, Announcement.ca_type == NAME_CHANGE,
                Announcement.target_symbol == new,
                Announcement.corporate_action_id != (amending or "")).limit(1)) is not None:
            raise invalid("invalid_announcement", f"another name change announces {new}")
        if data.ex_date < data.declaration_date:
            raise invalid("invalid_announcement", "the process date precedes the declaration")
        return
    if data.ca_type == DIVIDEND:
        if data.ca_sub_type == "cash" and (data.cash is None or data.cash <= 0):
            raise invalid("invalid_announcement", "a cash dividend needs a positive cash rate")
        if data.ca_sub_type == "stock" and not (
                data.old_rate and data.new_rate and 0 < data.old_rate < data.new_rate):
            raise invalid("invalid_announcement", "a stock dividend needs rates with "
                          "0 < old_rate < new_rate (new_rate / old_rate - 1 new shares per "
                          "share)")
        if data.record_date is None or data.payable_date is None:
            raise invalid("invalid_announcement", "a dividend needs record and payable dates")
        if not data.declaration_date <= data.record_date <= data.payable_date:
            raise invalid("invalid_announcement",
                          "dates must run declaration <= record <= payable")
        if data.ex_date > data.record_date:
            raise invalid("invalid_announcement", "the ex-date cannot follow the record date")
        if data.fee_per_share is not None and data.fee_per_share < 0:
            raise invalid("invalid_announcement", "fee_per_share cannot be negative")
    else:
        if not data.old_rate or not data.new_rate or data.old_rate <= 0 or data.new_rate <= 0:
            raise invalid("invalid_announcement", "a split needs positive old and new rates")
        forward = data.new_rate > data.old_rate
        if forward != (data.ca_sub_type == "stock_split"):
            raise invalid("invalid_announcement",
                          "stock_split needs new_rate > old_rate, reverse_split the opposite")
        if data.ex_date < data.declaration_date:
            raise invalid("invalid_announcement", "the effective date precedes the declaration")


def _other_company_at_rates(data: AnnouncementFields, kind: str, target: str,
                            rates: str) -> None:
    """An action that gives shares of another company: its symbol in ``target_symbol`` (not
    the initiating one) and positive old and new rates."""
    other = (data.target_symbol or "").upper()
    if not other or other == data.initiating_symbol.upper():
        raise invalid("invalid_announcement", f"{kind} needs {target} as target_symbol")
    if not data.old_rate or not data.new_rate or data.old_rate <= 0 or data.new_rate <= 0:
        raise invalid("invalid_announcement", f"{kind} needs positive old and new rates "
                      f"(new_rate {rates})")


def _validate_stock_merger(data: AnnouncementFields) -> None:
    """A stock (or stock-and-cash) merger: the acquirer's symbol, ``new_rate`` of its shares
    for every ``old_rate`` shares of the acquired company (Alpaca's acquirer and acquiree
    rates), and for ``stock_and_cash_merger`` the cash per acquired share; effective on the
    ex-date."""
    _other_company_at_rates(data, "a stock merger", "the acquirer's symbol",
                            "acquirer shares per old_rate acquired shares")
    with_cash = data.ca_sub_type == "stock_and_cash_merger"
    if with_cash and (data.cash is None or data.cash <= 0):
        raise invalid("invalid_announcement", "a stock-and-cash merger needs a positive cash "
                      "rate (cash per acquired share)")
    if not with_cash and data.cash:
        raise invalid("invalid_announcement", "a stock merger pays no cash: announce a "
                      "stock_and_cash_merger")
    if data.ex_date < data.declaration_date:
        raise invalid("invalid_announcement", "the effective date precedes the declaration")


def _validate_spin_off(data: AnnouncementFields) -> None:
    """A spin-off: the new company's symbol (not the parent's), ``new_rate`` new shares for
    every ``old_rate`` shares held at the record date, delivered on the payable date."""
    _other_company_at_rates(data, "a spin-off", "the new company's symbol",
                            "shares of the new company per old_rate shares held")
    if data.record_date is None or data.payable_date is None:
        raise invalid("invalid_announcement", "a spin-off needs record and payable dates")
    if not data.declaration_date <= data.record_date <= data.payable_date:
        raise invalid("invalid_announcement", "dates must run declaration <= record <= payable")
    if data.ex_date > data.payable_date:
        raise invalid("invalid_announcement", "the ex-date cannot follow the payable date")


def current_version(ctx: Ctx, corporate_action_id: str) -> Announcement:
    found = ctx.db.scalar(select(Announcement).where(
        Announcement.corporate_action_id == corporate_action_id, Announcement.current))
    if found is None:
        raise not_found("corporate_action", corporate_action_id)
    return found


def _runs(ctx: Ctx, corporate_action_id: str) -> set[str]:
    return set(ctx.db.scalars(select(CorporateActionRun.step).where(
        CorporateActionRun.corporate_action_id == corporate_action_id)))


def _mark(ctx: Ctx, announcement: Announcement, step: str) -> None:
    ctx.db.add(CorporateActionRun(corporate_action_id=announcement.corporate_action_id,
                                  step=step, ran_at=ctx.now))
    ctx.db.flush()


def _pending(ctx: Ctx, ca_type: str, step: str) -> list[Announcement]:
    done = select(CorporateActionRun.corporate_action_id).where(CorporateActionRun.step == step)
    return list(ctx.db.scalars(select(Announcement).where(
        Announcement.current, Announcement.ca_type == ca_type,
        Announcement.corporate_action_id.not_in(done)).order_by(Announcement.created_at)))


# ----------------------------------------------------------------------------- processing


def end_of_day(ctx: Ctx) -> None:
    """After the day's settlement: injected amendments, then record-date entitlements."""
    _apply_amendment_faults(ctx)
    for ca_type in RECORDED:
        for ann in _pending(ctx, ca_type, "record"):
            if ann.record_date is not None and ann.record_date <= ctx.today:
                _take_record(ctx, ann)


def start_of_day(ctx: Ctx) -> None:
    """Before the open: name changes and splits effective today, then dividends payable
    today."""
    for ann in _pending(ctx, NAME_CHANGE, "rename"):
        if ann.ex_date <= ctx.today:
            _rename(ctx, ann)
    for ann in _pending(ctx, CASH_MERGER, "merge"):
        if ann.ex_date <= ctx.today:
            _cash_merger(ctx, ann)
    for ann in _pending(ctx, STOCK_MERGER, "merge"):
        if ann.ex_date <= ctx.today:
            _stock_merger(ctx, ann)
    for ann in _pending(ctx, WORTHLESS, "remove"):
        if ann.ex_date <= ctx.today:
            _remove_worthless(ctx, ann)
    for ann in _pending(ctx, SPLIT, "split"):
        if ann.ex_date <= ctx.today:
            _split(ctx, ann)
    recorded = set(ctx.db.scalars(select(CorporateActionRun.corporate_action_id).where(
        CorporateActionRun.step == "record")))
    for ann in _pending(ctx, SPIN_OFF, "spin"):
        if (ann.payable_date is not None and ann.payable_date <= ctx.today
                and ann.corporate_action_id in recorded):
            _spin_off(ctx, ann)
    for ann in _pending(ctx, DIVIDEND, "pay"):
        if (ann.payable_date is not None and ann.payable_date <= ctx.today
                and ann.corporate_action_id in recorded):
            _pay(ctx, ann)


def _take_record(ctx: Ctx, ann: Announcement) -> None:
    for pos in ledger.positions_in(ctx, ann.initiating_symbol):
        if pos.qty_settled > 0:
            ctx.db.add(Entitlement(corporate_action_id=ann.corporate_action_id,
                                   account_id=pos.account_id, qty=pos.qty_settled))
    _mark(ctx, ann, "record")


def withholding_rate(ctx: Ctx, account: Account) -> Decimal:
    if account.withholding_rate is not None:
        return account.withholding_rate
    return ZERO if account.country_of_tax_residence == US else ctx.settings.nra_withholding


def _pay(ctx: Ctx, ann: Announcement) -> None:
    if ann.ca_sub_type == "stock":
        _pay_stock(ctx, ann)
        return
    assert ann.cash is not None
    for ent in _unpaid(ctx, ann):
        account = ledger.account(ctx, ent.account_id)
        gross = cash_down(ent.qty * ann.cash)
        if gross <= 0:
            continue
        common = {"symbol": ann.initiating_symbol, "corporate_action_id": ann.corporate_action_id,
                  "settle_date": ctx.today}
        div = ledger.post(ctx, account.id, "DIV", qty=ent.qty, per_share_amount=ann.cash,
                          net_amount=gross, description=f"cash dividend {ann.cash}/share",
                          activity_sub_type="CDIV", **common)
        account.cash_settled += gross
        rate = withholding_rate(ctx, account)
        if (tax := cash_round(gross * rate)) > 0:
            ledger.post(ctx, account.id, "DIVNRA", qty=ent.qty, net_amount=-tax,
                        parent_id=div.id, description=f"withholding at {rate}", **common)
            account.cash_settled -= tax
        if ann.fee_per_share and (fee := cash_round(ent.qty * ann.fee_per_share)) > 0:
            ledger.post(ctx, account.id, "FEE", qty=ent.qty, per_share_amount=ann.fee_per_share,
                        net_amount=-fee, parent_id=div.id, description="dividend fee", **common)
            account.cash_settled -= fee
    _mark(ctx, ann, "pay")


def _pay_stock(ctx: Ctx, ann: Announcement) -> None:
    """A stock dividend on its payable date: each account entitled at the record date gets
    ``qty * (new_rate / old_rate - 1)`` new shares, settled at once; with cash in lieu on, the
    fraction is paid in cash at the day's price instead (``CIL``, as after a split). Booked as a
    ``DIV`` entry of sub-type ``SDIV`` (``qty``: the shares entitled, ``per_share_amount``: the
    new shares per share), as Alpaca reports one."""
    assert ann.old_rate is not None and ann.new_rate is not None
    rate = ann.new_rate / ann.old_rate - 1
    symbol = ann.initiating_symbol
    price = market.price_at(ctx, symbol)
    for ent in _unpaid(ctx, ann):
        received, fraction = _whole_or_nine_places(ctx, ent.qty * rate)
        common = {"corporate_action_id": ann.corporate_action_id, "settle_date": ctx.today}
        div = ledger.post(ctx, ent.account_id, "DIV", symbol=symbol, qty=ent.qty,
                          per_share_amount=rate, net_amount=ZERO, activity_sub_type="SDIV",
                          description=f"stock dividend: {received} new shares "
                                      f"({normalize(rate):f} per share)", **common)
        # the cost basis stays, spread over more shares
        _deliver(ctx, ent.account_id, symbol, received, ZERO)
        _pay_in_lieu(ctx, ent.account_id, symbol, fraction, price, div.id, common)
    _mark(ctx, ann, "pay")


def _rename(ctx: Ctx, ann: Announcement) -> None:
    """A name change on its process date: the asset trades under its new symbol from the open;
    positions, open orders, unsettled trades, queued journals and prices move to it, and each
    holder's account shows a ``SC`` (symbol change) entry. The old symbol stays as an asset
    that no longer trades, so its history still answers."""
    old_symbol, new_symbol = ann.initiating_symbol, ann.target_symbol
    assert new_symbol is not None
    old = ledger.asset(ctx, old_symbol)
    ctx.db.add(Asset(symbol=new_symbol, name=old.name, tradable=old.tradable,
                     fractionable=old.fractionable, slippage_bps=old.slippage_bps))
    ctx.db.flush()
    for point in list(ctx.db.scalars(select(PricePoint).where(PricePoint.symbol == old_symbol))):
        ctx.db.add(PricePoint(symbol=new_symbol, price=point.price,
                              effective_at=point.effective_at))
    held = [(p.account_id, p.qty) for p in ledger.positions_in(ctx, old_symbol)]
    for model in (Position, Trade):
        ctx.db.execute(update(model).where(model.symbol == old_symbol)
                       .values(symbol=new_symbol))
    ctx.db.execute(update(Order).where(Order.symbol == old_symbol,
                                       Order.status.in_(OPEN_ORDER_STATUSES))
                   .values(symbol=new_symbol))
    ctx.db.execute(update(Journal).where(Journal.symbol == old_symbol,
                                         Journal.status == "queued").values(symbol=new_symbol))
    old.tradable, old.halt_reason = False, f"renamed to {new_symbol} on {ann.ex_date}"
    for account_id, qty in held:
        ledger.post(ctx, account_id, "SC", symbol=new_symbol, qty=qty,
                    corporate_action_id=ann.corporate_action_id, settle_date=ctx.today,
                    description=f"symbol change {old_symbol} -> {new_symbol}")
    ctx.db.expire_all()
    _mark(ctx, ann, "rename")


def _cash_merger(ctx: Ctx, ann: Announcement) -> None:
    """A cash merger on its effective date: every position in the acquired company becomes
    cash at the rate (``qty * cash``, rounded down to the cent), booked as a ``MA`` entry (the
    shares given up, the cash received); open orders are canceled and the symbol stops
    trading."""
    assert ann.cash is not None
    symbol = ann.initiating_symbol
    for pos in ledger.positions_in(ctx, symbol):
        cash = cash_down(pos.qty * ann.cash)
        ledger.post(ctx, pos.account_id, "MA", symbol=symbol, qty=pos.qty,
                    per_share_amount=ann.cash, net_amount=cash,
                    corporate_action_id=ann.corporate_action_id, settle_date=ctx.today,
                    description=f"cash merger: {pos.qty} {symbol} at {ann.cash}"
                                + (f" (acquired by {ann.target_symbol})"
                                   if ann.target_symbol else ""))
        ledger.account(ctx, pos.account_id).cash_settled += cash
        pos.qty = pos.qty_settled = pos.cost_basis = ZERO
    _retire(ctx, symbol, f"acquired for cash on {ann.ex_date}")
    _mark(ctx, ann, "merge")


def _stock_merger(ctx: Ctx, ann: Announcement) -> None:
    """A stock (or stock-and-cash) merger on its effective date: every position in the acquired
    company becomes ``qty * new_rate / old_rate`` shares of the acquirer (and ``qty * cash`` in
    cash, rounded down to the cent), booked as two ``MA`` entries: the acquired shares given up
    (with the cash), and the acquirer's shares received (linked to it); with cash in lieu on,
    a fraction of an acquirer share is paid at its price (``CIL``). The cost basis moves to the
    acquirer's position; open orders in the acquired company are canceled and it stops
    trading."""
    assert ann.old_rate is not None and ann.new_rate is not None
    assert ann.target_symbol is not None
    rate = ann.new_rate / ann.old_rate
    acquiree, acquirer = ann.initiating_symbol, ann.target_symbol
    if ctx.db.get(Asset, acquirer) is None:
        ctx.db.add(Asset(symbol=acquirer, name=acquirer, tradable=True, fractionable=True))
        ctx.db.flush()
    price = market.price_at(ctx, acquirer)
    common = {"corporate_action_id": ann.corporate_action_id, "settle_date": ctx.today}
    for pos in ledger.positions_in(ctx, acquiree):
        received, fraction = _whole_or_nine_places(ctx, pos.qty * rate)
        cash = cash_down(pos.qty * ann.cash) if ann.cash else ZERO
        given = ledger.post(ctx, pos.account_id, "MA", symbol=acquiree, qty=pos.qty,
                            per_share_amount=ann.cash or ZERO, net_amount=cash,
                            description=f"stock merger: {pos.qty} {acquiree} for {received} "
                                        f"{acquirer}" + (f" and {cash} in cash" if cash else ""),
                            **common)
        ledger.post(ctx, pos.account_id, "MA", symbol=acquirer, qty=received,
                    per_share_amount=rate, net_amount=ZERO, parent_id=given.id,
                    description=f"stock merger: {received} {acquirer} received", **common)
        ledger.account(ctx, pos.account_id).cash_settled += cash
        _deliver(ctx, pos.account_id, acquirer, received, pos.cost_basis)
        _pay_in_lieu(ctx, pos.account_id, acquirer, fraction, price, given.id, common)
        pos.qty = pos.qty_settled = pos.cost_basis = ZERO
    _retire(ctx, acquiree, f"acquired by {acquirer} on {ann.ex_date}")
    _mark(ctx, ann, "merge")


def _spin_off(ctx: Ctx, ann: Announcement) -> None:
    """A spin-off on its payable date: each account entitled at the record date receives
    ``qty * new_rate / old_rate`` shares of the new company, settled at once, booked as an
    ``SSO`` (stock spin-off) entry in the new symbol (``qty``: the shares received,
    ``per_share_amount``: new shares per parent share); with cash in lieu on, the fraction is
    paid at the new company's price instead (``CIL``). The new company becomes a tradable
    asset (kept as it is when it already was one); its cost basis is its shares at that price
    (the parent's is not reallocated)."""
    assert ann.old_rate is not None and ann.new_rate is not None
    assert ann.target_symbol is not None
    rate = ann.new_rate / ann.old_rate
    new_symbol, parent = ann.target_symbol, ann.initiating_symbol
    if ctx.db.get(Asset, new_symbol) is None:
        ctx.db.add(Asset(symbol=new_symbol, name=f"{new_symbol} (spun off from {parent})",
                         tradable=True, fractionable=True))
        ctx.db.flush()
    price = market.price_at(ctx, new_symbol)
    for ent in _unpaid(ctx, ann):
        received, fraction = _whole_or_nine_places(ctx, ent.qty * rate)
        common = {"corporate_action_id": ann.corporate_action_id, "settle_date": ctx.today}
        entry = ledger.post(ctx, ent.account_id, "SSO", symbol=new_symbol, qty=received,
                            per_share_amount=rate, net_amount=ZERO,
                            description=f"spin-off: {received} {new_symbol} for {ent.qty} "
                                        f"{parent} ({normalize(rate):f} per share)", **common)
        _deliver(ctx, ent.account_id, new_symbol, received, received * (price or ZERO))
        _pay_in_lieu(ctx, ent.account_id, new_symbol, fraction, price, entry.id, common)
    _mark(ctx, ann, "spin")


def _unpaid(ctx: Ctx, ann: Announcement) -> list[Entitlement]:
    """The accounts entitled at the record date and not paid yet, by account, each marked paid
    (the payment that follows is in the same transaction)."""
    found = list(ctx.db.scalars(select(Entitlement).where(
        Entitlement.corporate_action_id == ann.corporate_action_id, Entitlement.paid.is_(False))
        .order_by(Entitlement.account_id)))
    for ent in found:
        ent.paid = True
    return found


def _whole_or_nine_places(ctx: Ctx, exact: Decimal) -> tuple[Decimal, Decimal]:
    """The shares delivered of ``exact`` and the fraction left: with cash in lieu on, whole
    shares (the fraction is paid in cash); else to the broker's nine places."""
    fraction = exact - whole_down(exact) if ctx.state.cash_in_lieu else exact - qty_down(exact)
    return exact - fraction, fraction


def _deliver(ctx: Ctx, account_id: str, symbol: str, qty: Decimal, cost: Decimal) -> None:
    """``qty`` shares of ``symbol`` into the account, settled at once, at ``cost`` more cost
    basis."""
    if qty <= 0:
        return
    position = ledger.position(ctx, account_id, symbol)
    position.qty += qty
    position.qty_settled += qty
    position.cost_basis += cost
    position.avg_entry_price = price_round(position.cost_basis / position.qty)


def _pay_in_lieu(ctx: Ctx, account_id: str, symbol: str, fraction: Decimal,
                 price: Decimal | None, parent_id: str, common: dict[str, object]) -> None:
    """Cash in lieu of ``fraction`` of a ``symbol`` share at ``price`` (rounded down to the
    cent), a ``CIL`` entry linked to ``parent_id``."""
    if fraction > 0 and price is not None and (cash := cash_down(fraction * price)) > 0:
        ledger.post(ctx, account_id, "CIL", symbol=symbol, qty=fraction, price=price,
                    net_amount=cash, parent_id=parent_id,
                    description=f"cash in lieu of {fraction} {symbol}", **common)
        ledger.account(ctx, account_id).cash_settled += cash


def _retire(ctx: Ctx, symbol: str, why: str) -> None:
    """``symbol`` stops trading (``why``); its open orders are canceled."""
    for order in ctx.db.scalars(select(Order).where(Order.symbol == symbol,
                                                    Order.status.in_(OPEN_ORDER_STATUSES))):
        order.status, order.status_reason = "canceled", f"{symbol} was {why}"
    asset = ledger.asset(ctx, symbol)
    asset.tradable, asset.halt_reason = False, why


def _remove_worthless(ctx: Ctx, ann: Announcement) -> None:
    """A worthless removal on its process date: every position in the symbol is removed for
    nothing (a ``REORG`` entry: the shares taken, no cash), open orders are canceled and the
    symbol stops trading."""
    symbol = ann.initiating_symbol
    for pos in ledger.positions_in(ctx, symbol):
        ledger.post(ctx, pos.account_id, "REORG", symbol=symbol, qty=pos.qty, net_amount=ZERO,
                    corporate_action_id=ann.corporate_action_id, settle_date=ctx.today,
                    description=f"worthless removal: {pos.qty} {symbol}")
        pos.qty = pos.qty_settled = pos.cost_basis = ZERO
    _retire(ctx, symbol, f"removed as worthless on {ann.ex_date}")
    _mark(ctx, ann, "remove")


def _split(ctx: Ctx, ann: Announcement) -> None:
    assert ann.old_rate is not None and ann.new_rate is not None
    ratio = ann.new_rate / ann.old_rate
    symbol = ann.initiating_symbol
    old_price = market.price_at(ctx, symbol)
    new_price = price_round(old_price / ratio) if old_price is not None else None
    if new_price is not None:
        market.set_price(ctx, symbol, new_price, max(ctx.now, midnight(ctx.today)))
    in_lieu = ctx.state.cash_in_lieu
    label = (f"{normalize(ann.new_rate):f}-for-{normalize(ann.old_rate):f} "
             f"{'forward' if ratio > 1 else 'reverse'} split")
    pending_trades = list(ctx.db.scalars(select(Trade).where(
        Trade.symbol == symbol, Trade.status == "pending")))
    for pos in ledger.positions_in(ctx, symbol):
        before = pos.qty
        exact = before * ratio
        pos.qty_settled = qty_down(pos.qty_settled * ratio)
        for trade in pending_trades:
            if trade.account_id == pos.account_id:
                trade.qty = qty_down(trade.qty * ratio)
                trade.price = price_round(trade.price / ratio)
        pending_net = sum((t.qty if t.side == "buy" else -t.qty for t in pending_trades
                           if t.account_id == pos.account_id), ZERO)
        after = pos.qty_settled + pending_net
        fraction = after - whole_down(after) if in_lieu else ZERO
        # cash in lieu comes out of the settled shares first
        pos.qty_settled -= min(fraction, max(ZERO, pos.qty_settled))
        kept = after - fraction
        pos.qty = kept
        pos.avg_entry_price = price_round(pos.avg_entry_price / ratio)
        pos.cost_basis = pos.avg_entry_price * kept
        split = ledger.post(ctx, pos.account_id, "SPLIT", symbol=symbol, qty=kept - before,
                            corporate_action_id=ann.corporate_action_id,
                            settle_date=ctx.today, description=label)
        residue = exact - kept
        if residue > 0 and new_price is not None and (cash := cash_down(residue * new_price)) > 0:
            ledger.post(ctx, pos.account_id, "CIL", symbol=symbol, qty=residue, price=new_price,
                        net_amount=cash, parent_id=split.id, settle_date=ctx.today,
                        corporate_action_id=ann.corporate_action_id,
                        description=f"cash in lieu of {residue} shares")
            ledger.account(ctx, pos.account_id).cash_settled += cash
    _adjust_orders(ctx, symbol, ratio, label)
    for journal in ctx.db.scalars(select(Journal).where(
            Journal.symbol == symbol, Journal.status == "queued")):
        journal.qty = qty_down((journal.qty or ZERO) * ratio)
    _mark(ctx, ann, "split")


def _adjust_orders(ctx: Ctx, symbol: str, ratio: Decimal, label: str) -> None:
    orders = ctx.db.scalars(select(Order).where(
        Order.symbol == symbol, Order.status.in_(OPEN_ORDER_STATUSES)))
    for order in list(orders):
        order.updated_at = ctx.now
        if ratio < 1 or (order.qty is not None and qty_down(order.qty * ratio) <= 0):
            order.status, order.canceled_at = "canceled", ctx.now
            order.status_reason = f"canceled by the {label}"
            order.reserved_cash = order.reserved_qty = ZERO
            continue
        if order.qty is not None:
            order.qty = qty_down(order.qty * ratio)
            order.filled_qty = qty_down(order.filled_qty * ratio)
            order.reserved_qty = qty_down(order.reserved_qty * ratio)
        if order.limit_price is not None:
            order.limit_price = price_round(order.limit_price / ratio)
        if order.filled_avg_price is not None:
            order.filled_avg_price = price_round(order.filled_avg_price / ratio)
        order.status_reason = f"adjusted for the {label}"


def _apply_amendment_faults(ctx: Ctx) -> None:
    """An ``announcement_amend`` fault amends the symbol's next unprocessed announcement."""
    for rule in faults.rules_of(ctx, "announcement_amend"):
        target = next((a for a in _pending(ctx, DIVIDEND, "pay") + _pending(ctx, SPLIT, "split")
                       if rule.symbol in (None, a.initiating_symbol)), None)
        if target is None or faults.take_from([rule], symbol=target.initiating_symbol) is None:
            continue
        changes = {k: _coerce(k, v) for k, v in rule.params.get("changes", {}).items()}
        try:
            amend(ctx, target.corporate_action_id, changes)
        except BrokerError as refused:  # the fault fired but could not apply: say so on it
            rule.params = {**rule.params, "last_error": refused.detail}


def _coerce(name: str, value: object) -> object:
    if name.endswith("_date"):
        return dt.date.fromisoformat(str(value))
    if name in ("cash", "old_rate", "new_rate", "fee_per_share"):
        return Decimal(str(value))
    return value
