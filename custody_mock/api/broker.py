"""The Broker API surface, with Alpaca's paths and field names."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from custody_mock import (
    accounts,
    activities,
    clock,
    corporate_actions,
    journals,
    ledger,
    market,
    trading,
)
from custody_mock.amounts import ZERO
from custody_mock.api.deps import BrokerDep, authenticate
from custody_mock.api.views import (
    account_out,
    announcement_out,
    journal_out,
    order_out,
    position_out,
    positions_out,
    trading_account_out,
)
from custody_mock.errors import invalid, not_found
from custody_mock.inputs import Day, DayOrTime, LimitPrice, OrderQty, Timestamp
from custody_mock.journals import JournalRequest
from custody_mock.models import Account, Activity, Announcement, Asset, Journal, Order
from custody_mock.schemas import (
    AccountCreate,
    AccountOut,
    ActivityOut,
    AllPositionsOut,
    AnnouncementOut,
    AssetOut,
    CancelOrderOut,
    JournalCreate,
    JournalOut,
    MarketClockOut,
    OrderCreate,
    OrderOut,
    OrderReplace,
    PositionOut,
    TradingAccountOut,
    TransferCreate,
    TransferOut,
)
from custody_mock.trading import OrderRequest
from servicekit.calendar import midnight

router = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)])
AccountPath = "/trading/accounts/{account_id}"


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


# ----------------------------------------------------------------------------- activities

#: A comma-separated list of activity types, in either case.
ACTIVITY_TYPES_PATTERN = "^{one}(,{one})*$".format(one="(" + "|".join(
    "".join(f"[{c}{c.lower()}]" for c in kind) for kind in sorted(activities.TYPES)) + ")")


@router.get("/accounts/activities", response_model=list[ActivityOut], tags=["activities"])
def list_activities(
    broker: BrokerDep,
    account_id: str | None = None,
    activity_types: Annotated[str | None, Query(pattern=ACTIVITY_TYPES_PATTERN)] = None,
    page_token: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    direction: Literal["asc", "desc"] = "desc",
    date: Day | None = None,
    after: DayOrTime | None = None,
    until: DayOrTime | None = None,
) -> list[ActivityOut]:
    """Activities, newest first by default; page with ``page_token`` = the last id you have.

    Declared before ``/accounts/{account_id}`` so that ``activities`` is not taken for an id.

    Ids sort in stream order. To consume the stream exactly once, ask with ``direction=asc``,
    keep the largest id you processed as the next ``page_token`` and skip ids at or below it.
    """
    with broker.transaction() as ctx:
        rows = activities.page(
            ctx, account_id=account_id, activity_types=[t.upper() for t in _csv(activity_types)],
            page_token=page_token, page_size=page_size, direction=direction, date=date,
            after=after, until=until)
        return [ActivityOut.model_validate(r) for r in rows]


# ----------------------------------------------------------------------------- accounts


@router.get("/accounts/positions", response_model=AllPositionsOut, tags=["positions"])
def all_positions(broker: BrokerDep) -> AllPositionsOut:
    """Every account's open positions, keyed by account id (declared before
    ``/accounts/{account_id}``)."""
    with broker.transaction() as ctx:
        held = sorted({p.account_id for p in ctx.db.scalars(select(ledger.Position).where(
            ledger.Position.qty != ZERO))})
        return AllPositionsOut(as_of=ctx.now, positions={
            account: [p for p in positions_out(ctx, account) if p.qty != 0] for account in held})


@router.post("/accounts", response_model=AccountOut, tags=["accounts"],
             response_model_exclude_none=True)
def create_account(body: AccountCreate, broker: BrokerDep) -> AccountOut:
    with broker.transaction() as ctx:
        kyc = body.model_dump(mode="json", exclude_none=True,
                              include={"identity", "contact", "disclosures", "agreements",
                                       "documents", "trusted_contact", "account_type",
                                       "enabled_assets"})
        kyc.pop("documents", None)  # content stays out of the database; the type is enough
        if body.documents:
            kyc["document_types"] = [d.document_type for d in body.documents]
        account = accounts.open_account(
            ctx, given_name=body.identity.given_name, family_name=body.identity.family_name,
            email_address=body.contact.email_address,
            country_of_tax_residence=body.identity.country_of_tax_residence,
            withholding_rate=body.withholding_rate, kyc=kyc)
        return account_out(ctx, account)


@router.get("/accounts", response_model=list[AccountOut], tags=["accounts"],
             response_model_exclude_none=True)
def list_accounts(broker: BrokerDep) -> list[AccountOut]:
    with broker.transaction() as ctx:
        return [account_out(ctx, a) for a in ctx.db.scalars(select(Account).order_by(
            Account.account_number))]


@router.get("/accounts/{account_id}", response_model=AccountOut, tags=["accounts"],
             response_model_exclude_none=True)
def get_account(account_id: str, broker: BrokerDep) -> AccountOut:
    with broker.transaction() as ctx:
        return account_out(ctx, ledger.account(ctx, account_id))


@router.get(AccountPath + "/account", response_model=TradingAccountOut, tags=["accounts"])
def get_trading_account(account_id: str, broker: BrokerDep) -> TradingAccountOut:
    with broker.transaction() as ctx:
        return trading_account_out(ctx, ledger.account(ctx, account_id))


#: Transfers are the CSD/CSW activities; their id is a UUID derived from the activity's, as
#: Alpaca's transfer ids are UUIDs.
_TRANSFER_IDS = uuid.UUID("6f1d7a52-6c8e-4c43-9a0e-5b9f3b1f2a10")


def _transfer_out(entry: Activity) -> TransferOut:
    assert entry.net_amount is not None
    return TransferOut(
        id=str(uuid.uuid5(_TRANSFER_IDS, entry.id)), account_id=entry.account_id,
        type=entry.description.split()[0],
        direction="INCOMING" if entry.activity_type == "CSD" else "OUTGOING",
        amount=abs(entry.net_amount), status="COMPLETE", created_at=entry.transaction_time,
        updated_at=entry.transaction_time)


@router.post("/accounts/{account_id}/transfers", response_model=TransferOut, tags=["funding"])
def create_transfer(account_id: str, body: TransferCreate, broker: BrokerDep) -> TransferOut:
    with broker.transaction() as ctx:
        entry = accounts.transfer(ctx, account_id, direction=body.direction,
                                  amount=body.amount, transfer_type=body.transfer_type)
        out = _transfer_out(entry)
        return out.model_copy(update={"relationship_id": body.relationship_id,
                                      "bank_id": body.bank_id,
                                      "additional_information": body.additional_information})


@router.get("/accounts/{account_id}/transfers", response_model=list[TransferOut],
            tags=["funding"])
def list_transfers(
    account_id: str,
    broker: BrokerDep,
    direction: Literal["INCOMING", "OUTGOING"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> list[TransferOut]:
    """Newest first, as Alpaca lists them; ``limit`` and ``offset`` page through."""
    with broker.transaction() as ctx:
        ledger.account(ctx, account_id)
        kinds = {"INCOMING": ("CSD",), "OUTGOING": ("CSW",)}.get(direction or "", ("CSD", "CSW"))
        rows = ctx.db.scalars(select(Activity).where(
            Activity.account_id == account_id, Activity.activity_type.in_(kinds))
            .order_by(Activity.seq.desc()).offset(offset).limit(limit))
        return [_transfer_out(r) for r in rows]


# ----------------------------------------------------------------------------- orders


@router.post(AccountPath + "/orders", response_model=OrderOut, tags=["orders"])
def create_order(account_id: str, body: OrderCreate, broker: BrokerDep) -> OrderOut:
    if (why := body.unsupported()) is not None:
        raise invalid("unsupported_order", why)
    with broker.transaction() as ctx:
        order = trading.submit(ctx, account_id, OrderRequest(
            symbol=body.symbol.upper(), side=body.side, type=body.type,
            time_in_force=body.time_in_force, qty=body.qty, notional=body.notional,
            limit_price=body.limit_price, extended_hours=body.extended_hours,
            client_order_id=body.client_order_id, stop_price=body.stop_price,
            commission=body.commission, commission_type=body.commission_type))
        return order_out(ctx, order)


@router.delete(AccountPath + "/orders", status_code=207, response_model=list[CancelOrderOut],
               tags=["orders"])
def cancel_all_orders(account_id: str, broker: BrokerDep) -> list[CancelOrderOut]:
    """Cancel every open order of the account: one entry per order, with its status."""
    with broker.transaction() as ctx:
        return [CancelOrderOut(id=o.id, status=200) for o in trading.cancel_all(ctx, account_id)]


@router.patch(AccountPath + "/orders/{order_id}", response_model=OrderOut, tags=["orders"])
def replace_order(account_id: str, order_id: str, body: OrderReplace,
                  broker: BrokerDep) -> OrderOut:
    """Replace an open, unfilled order: a new order with the changed fields (``replaces``),
    the old one ``replaced`` (``replaced_by``); a refused replacement changes nothing."""
    if body.trail is not None:
        raise invalid("unsupported_order", "trailing stops are not supported by this broker")
    with broker.transaction() as ctx:
        new = trading.replace(ctx, trading.get(ctx, account_id, order_id), qty=body.qty,
                              time_in_force=body.time_in_force, limit_price=body.limit_price,
                              stop_price=body.stop_price, client_order_id=body.client_order_id)
        return order_out(ctx, new)


@router.get(AccountPath + "/orders", response_model=list[OrderOut], tags=["orders"])
def list_orders(
    account_id: str,
    broker: BrokerDep,
    status: Literal["open", "closed", "all"] = "open",
    symbols: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    direction: Literal["asc", "desc"] = "desc",
    side: Literal["buy", "sell"] | None = None,
    after: Timestamp | None = None,
    until: Timestamp | None = None,
    nested: bool = False,  # noqa: ARG001 (accepted: the mock has no multi-leg orders)
) -> list[OrderOut]:
    """Alpaca's order list: ``after``/``until`` bound the submission time (exclusive), ``side``
    and ``symbols`` filter; ``nested`` is accepted (the mock has no multi-leg orders)."""
    with broker.transaction() as ctx:
        ledger.account(ctx, account_id)
        query = select(Order).where(Order.account_id == account_id)
        if side:
            query = query.where(Order.side == side)
        if after:
            query = query.where(Order.created_at > after)
        if until:
            query = query.where(Order.created_at < until)
        if status == "open":
            query = query.where(Order.status.in_(("accepted", "new", "partially_filled")))
        elif status == "closed":
            query = query.where(Order.status.not_in(("accepted", "new", "partially_filled")))
        if wanted := [s.upper() for s in _csv(symbols)]:
            query = query.where(Order.symbol.in_(wanted))
        order = Order.created_at.asc() if direction == "asc" else Order.created_at.desc()
        rows = ctx.db.scalars(query.order_by(order, Order.id).limit(limit))
        return [order_out(ctx, o) for o in rows]


@router.get(AccountPath + "/orders:by_client_order_id", response_model=OrderOut,
            tags=["orders"])
def get_order_by_client_id(account_id: str, client_order_id: str,
                           broker: BrokerDep) -> OrderOut:
    with broker.transaction() as ctx:
        ledger.account(ctx, account_id)
        order = trading.find_by_client_order_id(ctx, account_id, client_order_id)
        if order is None:
            raise not_found("order", client_order_id)
        return order_out(ctx, order)


@router.get(AccountPath + "/orders/{order_id}", response_model=OrderOut, tags=["orders"])
def get_order(account_id: str, order_id: str, broker: BrokerDep) -> OrderOut:
    with broker.transaction() as ctx:
        return order_out(ctx, trading.get(ctx, account_id, order_id))


@router.delete(AccountPath + "/orders/{order_id}", status_code=204, tags=["orders"])
def cancel_order(account_id: str, order_id: str, broker: BrokerDep) -> Response:
    with broker.transaction() as ctx:
        trading.cancel(ctx, trading.get(ctx, account_id, order_id))
    return Response(status_code=204)


# ----------------------------------------------------------------------------- positions


@router.get(AccountPath + "/positions", response_model=list[PositionOut], tags=["positions"])
def list_positions(account_id: str, broker: BrokerDep) -> list[PositionOut]:
    with broker.transaction() as ctx:
        ledger.account(ctx, account_id)
        return positions_out(ctx, account_id)


@router.delete(AccountPath + "/positions/{symbol}", response_model=OrderOut,
               tags=["positions"])
def close_position(account_id: str, symbol: str, broker: BrokerDep,
                   qty: OrderQty | None = None,
                   percentage: LimitPrice | None = None) -> OrderOut:
    """Liquidate the position (all of it, ``qty`` shares or ``percentage`` %) by one market
    sell; its order."""
    with broker.transaction() as ctx:
        return order_out(ctx, trading.close_position(ctx, account_id, symbol.upper(), qty=qty,
                                                     percentage=percentage))


@router.get(AccountPath + "/positions/{symbol}", response_model=PositionOut, tags=["positions"])
def get_position(account_id: str, symbol: str, broker: BrokerDep) -> PositionOut:
    with broker.transaction() as ctx:
        ledger.account(ctx, account_id)
        pos = ctx.db.get(ledger.Position, (account_id, symbol.upper()))
        if pos is None or (pos.qty == 0 and pos.qty_settled == 0):
            raise not_found("position", symbol)
        return position_out(ctx, pos)


# ----------------------------------------------------------------------------- journals


@router.post("/journals", response_model=JournalOut, tags=["journals"])
def create_journal(body: JournalCreate, broker: BrokerDep) -> JournalOut:
    with broker.transaction() as ctx:
        journal = journals.create(ctx, JournalRequest(
            entry_type=body.entry_type, from_account=body.from_account,
            to_account=body.to_account, symbol=body.symbol.upper() if body.symbol else None,
            qty=body.qty, amount=body.amount, description=body.description,
            client_journal_id=body.client_journal_id))
        return journal_out(journal)


@router.get("/journals", response_model=list[JournalOut], tags=["journals"])
def list_journals(
    broker: BrokerDep,
    status: str | None = None,
    entry_type: Literal["JNLS", "JNLC"] | None = None,
    from_account: str | None = None,
    to_account: str | None = None,
    client_journal_id: str | None = None,
    after: Day | None = None,
    before: Day | None = None,
) -> list[JournalOut]:
    """Alpaca's journal list; ``after``/``before`` bound the journal's date (exclusive)."""
    with broker.transaction() as ctx:
        query = select(Journal)
        if after:
            query = query.where(Journal.created_at >= midnight(after + dt.timedelta(days=1)))
        if before:
            query = query.where(Journal.created_at < midnight(before))
        if status:
            query = query.where(Journal.status == status)
        if entry_type:
            query = query.where(Journal.entry_type == entry_type)
        if from_account:
            query = query.where(Journal.from_account == from_account)
        if to_account:
            query = query.where(Journal.to_account == to_account)
        if client_journal_id:
            query = query.where(Journal.client_journal_id == client_journal_id)
        rows = ctx.db.scalars(query.order_by(Journal.created_at, Journal.id))
        return [journal_out(j) for j in rows]


@router.get("/journals/{journal_id}", response_model=JournalOut, tags=["journals"])
def get_journal(journal_id: str, broker: BrokerDep) -> JournalOut:
    with broker.transaction() as ctx:
        return journal_out(journals.get(ctx, journal_id))


@router.delete("/journals/{journal_id}", status_code=204, tags=["journals"])
def cancel_journal(journal_id: str, broker: BrokerDep) -> Response:
    with broker.transaction() as ctx:
        journals.cancel(ctx, journals.get(ctx, journal_id))
    return Response(status_code=204)


# ----------------------------------------------------------------------------- corporate actions


@router.get("/corporate_actions/announcements", response_model=list[AnnouncementOut],
            tags=["corporate actions"])
def list_announcements(
    broker: BrokerDep,
    ca_types: str | None = None,
    symbol: str | None = None,
    since: Day | None = None,
    until: Day | None = None,
    include_history: bool = False,
) -> list[AnnouncementOut]:
    """Current versions by default; ``include_history`` adds superseded ones (amendments)."""
    with broker.transaction() as ctx:
        query = select(Announcement).where(
            Announcement.ca_type.not_in(corporate_actions.DATA_ONLY))
        if not include_history:
            query = query.where(Announcement.current)
        if types := _csv(ca_types):
            query = query.where(Announcement.ca_type.in_(types))
        if symbol:
            query = query.where(Announcement.initiating_symbol == symbol.upper())
        if since:
            query = query.where(Announcement.ex_date >= since)
        if until:
            query = query.where(Announcement.ex_date <= until)
        rows = ctx.db.scalars(query.order_by(Announcement.ex_date, Announcement.created_at,
                                             Announcement.version))
        return [announcement_out(a) for a in rows]


@router.get("/corporate_actions/announcements/{announcement_id}",
            response_model=AnnouncementOut, tags=["corporate actions"])
def get_announcement(announcement_id: str, broker: BrokerDep) -> AnnouncementOut:
    with broker.transaction() as ctx:
        found = ctx.db.get(Announcement, announcement_id)
        if found is None:
            raise not_found("announcement", announcement_id)
        return announcement_out(found)


# ----------------------------------------------------------------------------- assets and clock


@router.get("/assets", response_model=list[AssetOut], tags=["assets"])
def list_assets(broker: BrokerDep) -> list[AssetOut]:
    with broker.transaction() as ctx:
        return [AssetOut.model_validate(a) for a in ctx.db.scalars(
            select(Asset).order_by(Asset.symbol))]


@router.get("/assets/{symbol}", response_model=AssetOut, tags=["assets"])
def get_asset(symbol: str, broker: BrokerDep) -> AssetOut:
    with broker.transaction() as ctx:
        return AssetOut.model_validate(ledger.asset(ctx, symbol))


@router.get("/clock", response_model=MarketClockOut, tags=["assets"])
def get_clock(broker: BrokerDep) -> MarketClockOut:
    """Market clock at the simulated time (Alpaca's ``/v1/clock``)."""
    with broker.transaction() as ctx:
        return MarketClockOut(timestamp=ctx.now, is_open=market.is_open(ctx, extended=False),
                              next_open=clock.next_open(ctx), next_close=clock.next_close(ctx))
