"""The mock's control API: clock, end of day, assets and prices, announcements, faults."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy import delete, select

from custody_mock import (
    accounts,
    clock,
    corporate_actions,
    faults,
    keys,
    ledger,
    market,
    trading,
)
from custody_mock.api.deps import BrokerDep, authenticate_control
from custody_mock.api.views import account_out, announcement_out
from custody_mock.context import Ctx
from custody_mock.corporate_actions import AnnouncementFields
from custody_mock.errors import BrokerError, invalid, not_found
from custody_mock.models import Asset, Fault, PricePoint, Trade
from custody_mock.schemas import (
    AccountFlags,
    AccountOut,
    ActivityOut,
    AnnouncementAmend,
    AnnouncementCreate,
    AnnouncementOut,
    AssetOut,
    AssetSet,
    BrokerSettingsSet,
    ClockAdvance,
    ClockOut,
    ClockSet,
    ExecutionOut,
    FaultCreate,
    FaultOut,
    FeeCreate,
    InterestIn,
    PriceOut,
    PriceSet,
    TradingKeyOut,
)

router = APIRouter(prefix="/_mock", tags=["mock control"],
                   dependencies=[Depends(authenticate_control)])


def _clock_out(ctx: Ctx) -> ClockOut:
    return ClockOut(now=ctx.now, date=ctx.today, is_open=market.is_open(ctx, extended=False),
                    is_settlement_day=ctx.calendar.is_settlement_day(ctx.today),
                    next_open=clock.next_open(ctx), cash_in_lieu=ctx.state.cash_in_lieu)


@router.get("/clock", response_model=ClockOut)
def read_clock(broker: BrokerDep) -> ClockOut:
    with broker.transaction() as ctx:
        return _clock_out(ctx)


def _covered(broker: BrokerDep, moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC, when the calendar data covers it (else 422 ``clock_out_of_range``)."""
    if moment.tzinfo is None:
        raise invalid("invalid_time", "give the time with its UTC offset")
    calendar = broker.calendar
    if not calendar.covers(moment):
        raise invalid("clock_out_of_range",
                      f"the clock runs from {calendar.first_day} to {calendar.last_day} (the "
                      "NYSE calendar data this broker has)")
    return moment.astimezone(dt.UTC)


@router.put("/clock", response_model=ClockOut)
def set_clock(body: ClockSet, broker: BrokerDep) -> ClockOut:
    """Move the clock forward to ``now``, running every market event and end of day on the way."""
    moment = _covered(broker, body.now)
    with broker.transaction() as ctx:
        clock.advance_to(ctx, moment)
        return _clock_out(ctx)


@router.post("/clock/advance", response_model=ClockOut)
def advance_clock(body: ClockAdvance, broker: BrokerDep) -> ClockOut:
    step = dt.timedelta(days=body.days, hours=body.hours, minutes=body.minutes,
                        seconds=body.seconds)
    with broker.transaction() as ctx:
        clock.advance_to(ctx, _covered(broker, ctx.now + step))
        return _clock_out(ctx)


@router.post("/eod", response_model=ClockOut)
def end_of_day(broker: BrokerDep) -> ClockOut:
    """Run to the next regular open: today's close, end of day, weekends and holidays between."""
    with broker.transaction() as ctx:
        clock.advance_to(ctx, clock.next_open(ctx))
        return _clock_out(ctx)


@router.post("/reset", response_model=ClockOut)
def reset(body: ClockSet, broker: BrokerDep) -> ClockOut:
    """Forget everything and restart the clock at ``now``."""
    broker.reset(_covered(broker, body.now))
    with broker.transaction() as ctx:
        return _clock_out(ctx)


@router.put("/settings", response_model=ClockOut)
def set_settings(body: BrokerSettingsSet, broker: BrokerDep) -> ClockOut:
    with broker.transaction() as ctx:
        ctx.state.cash_in_lieu = body.cash_in_lieu
        return _clock_out(ctx)


#: A symbol: 1 to 16 ASCII letters or digits.
SYMBOL_PATTERN = r"^[A-Za-z0-9]{1,16}$"


@router.put("/assets/{symbol}", response_model=AssetOut)
def set_asset(symbol: Annotated[str, Path(json_schema_extra={"pattern": SYMBOL_PATTERN})],
              body: AssetSet, broker: BrokerDep) -> AssetOut:
    """Create or update a tradable symbol (halt it with ``tradable: false``)."""
    key = symbol.upper()
    if not re.fullmatch(SYMBOL_PATTERN, symbol, flags=re.ASCII):
        raise invalid("invalid_symbol", "a symbol is 1 to 16 letters or digits")
    with broker.transaction() as ctx:
        asset = ctx.db.get(Asset, key) or Asset(symbol=key)
        asset.name, asset.tradable, asset.fractionable = body.name, body.tradable, \
            body.fractionable
        asset.halt_reason, asset.slippage_bps = body.halt_reason, body.slippage_bps
        ctx.db.add(asset)
        ctx.db.flush()
        trading.step_all(ctx)
        return AssetOut.model_validate(asset)


@router.put("/prices/{symbol}", response_model=PriceOut)
def set_price(symbol: str, body: PriceSet, broker: BrokerDep) -> PriceOut:
    """Set the price from now (or from a later ``effective_at``) on; open orders match at once."""
    with broker.transaction() as ctx:
        asset = ledger.asset(ctx, symbol)
        when = body.effective_at.astimezone(dt.UTC) if body.effective_at else ctx.now
        if body.effective_at is not None and body.effective_at.tzinfo is None:
            raise invalid("invalid_time", "give effective_at with its UTC offset")
        if when < ctx.now:
            raise BrokerError(409, "price_in_the_past", "prices cannot be set in the past")
        point = market.set_price(ctx, asset.symbol, body.price, when)
        trading.step_all(ctx)
        return PriceOut.model_validate(point)


@router.get("/prices/{symbol}", response_model=list[PriceOut])
def list_prices(symbol: str, broker: BrokerDep) -> list[PriceOut]:
    with broker.transaction() as ctx:
        asset = ledger.asset(ctx, symbol)
        rows = ctx.db.scalars(select(PricePoint).where(PricePoint.symbol == asset.symbol)
                              .order_by(PricePoint.effective_at, PricePoint.id))
        return [PriceOut.model_validate(p) for p in rows]


@router.post("/announcements", response_model=AnnouncementOut)
def seed_announcement(body: AnnouncementCreate, broker: BrokerDep) -> AnnouncementOut:
    with broker.transaction() as ctx:
        ann = corporate_actions.announce(ctx, AnnouncementFields(**body.model_dump()))
        return announcement_out(ann)


@router.patch("/announcements/{corporate_action_id}", response_model=AnnouncementOut)
def amend_announcement(corporate_action_id: str, body: AnnouncementAmend,
                       broker: BrokerDep) -> AnnouncementOut:
    """Amend: a new version with the same corporate action id."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise invalid("invalid_amendment", "nothing to amend")
    with broker.transaction() as ctx:
        return announcement_out(corporate_actions.amend(ctx, corporate_action_id, changes))


@router.patch("/accounts/{account_id}", response_model=AccountOut)
def set_account_flags(account_id: str, body: AccountFlags, broker: BrokerDep) -> AccountOut:
    with broker.transaction() as ctx:
        account = ledger.account(ctx, account_id)
        for name in ("trading_blocked", "transfers_blocked", "account_blocked", "firm",
                     "country_of_tax_residence", "withholding_rate"):
            if (value := getattr(body, name)) is not None:
                setattr(account, name, value)
        if body.clear_withholding_rate:
            account.withholding_rate = None
        return account_out(ctx, account)


@router.post("/accounts/{account_id}/keys", response_model=TradingKeyOut, status_code=201)
def create_trading_key(account_id: str, broker: BrokerDep) -> TradingKeyOut:
    """A Trading API key pair for the account (what Alpaca's dashboard hands an account
    holder): the secret is in this answer only."""
    with broker.transaction() as ctx:
        row, secret = keys.create(ctx, account_id)
        return TradingKeyOut(key_id=row.key_id, secret=secret, account_id=row.account_id)


@router.post("/accounts/{account_id}/interest", response_model=ActivityOut)
def credit_interest(account_id: str, body: InterestIn, broker: BrokerDep) -> ActivityOut:
    """Credit interest on the account's cash: an ``INT`` activity (Alpaca's sweep interest)."""
    with broker.transaction() as ctx:
        return ActivityOut.model_validate(accounts.credit_interest(
            ctx, account_id, body.amount, body.description))


@router.post("/accounts/{account_id}/fees", response_model=ActivityOut)
def charge_fee(account_id: str, body: FeeCreate, broker: BrokerDep) -> ActivityOut:
    with broker.transaction() as ctx:
        entry = accounts.charge_fee(ctx, account_id, body.amount, body.description,
                                    body.symbol.upper() if body.symbol else None)
        return ActivityOut.model_validate(entry)


@router.post("/faults", response_model=FaultOut)
def add_fault(body: FaultCreate, broker: BrokerDep) -> FaultOut:
    """Arm a fault: on the next ``count`` matching calls, or with ``probability`` and ``seed``."""
    if body.kind not in faults.ALL_KINDS:
        raise invalid("invalid_fault", f"unknown fault kind {body.kind!r}; one of "
                      f"{', '.join(sorted(faults.ALL_KINDS))}")
    if body.count is None and body.probability is None:
        raise invalid("invalid_fault", "give a count, a probability, or both")
    if body.endpoint is not None and body.kind not in faults.HTTP_KINDS:
        raise invalid("invalid_fault", "only HTTP faults are scoped by endpoint")
    with broker.transaction() as ctx:
        rule = Fault(kind=body.kind, symbol=body.symbol.upper() if body.symbol else None,
                     account_id=body.account_id, endpoint=body.endpoint, remaining=body.count,
                     probability=body.probability, seed=body.seed, params=body.params,
                     calls=0, fired=0, created_at=ctx.now)
        ctx.db.add(rule)
        ctx.db.flush()
        out = FaultOut.model_validate(rule)
    broker.faults_changed()
    return out


@router.get("/faults", response_model=list[FaultOut])
def list_faults(broker: BrokerDep) -> list[FaultOut]:
    with broker.transaction() as ctx:
        return [FaultOut.model_validate(f) for f in ctx.db.scalars(
            select(Fault).order_by(Fault.created_at, Fault.id))]


@router.delete("/faults/{fault_id}", status_code=204)
def remove_fault(fault_id: str, broker: BrokerDep) -> Response:
    with broker.transaction() as ctx:
        rule = ctx.db.get(Fault, fault_id)
        if rule is None:
            raise not_found("fault", fault_id)
        ctx.db.delete(rule)
    broker.faults_changed()
    return Response(status_code=204)


@router.delete("/faults", status_code=204)
def clear_faults(broker: BrokerDep) -> Response:
    with broker.transaction() as ctx:
        ctx.db.execute(delete(Fault))
    broker.faults_changed()
    return Response(status_code=204)


@router.get("/accounts/{account_id}/orders/{order_id}/executions",
            response_model=list[ExecutionOut])
def list_executions(account_id: str, order_id: str, broker: BrokerDep) -> list[ExecutionOut]:
    """Not in Alpaca's API (the mock's inspection): each execution of the order and its
    settlement status as the mock's ledger holds it. The issuer never reads it: it derives
    executions from FILL activities and the settlement calendar."""
    with broker.transaction() as ctx:
        order = trading.get(ctx, account_id, order_id)
        rows = ctx.db.scalars(select(Trade).where(Trade.order_id == order.id)
                              .order_by(Trade.transaction_time, Trade.id))
        return [ExecutionOut.model_validate(r) for r in rows]
