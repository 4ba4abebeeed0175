"""A cash dividend, reinvested through the multiplier (or, for the symbols that pay their
dividends as stablecoin claims, distributed from ``paid`` on: :mod:`issuer.corporate.stablecoin`).

announced -> recorded -> paid -> reinvesting -> proposed -> awaiting_approval -> approved ->
scheduling -> scheduled -> completed (or halted with the reason; failed/canceled are final)

- ``announced``: once the broker's date is past the record date (the broker fixed entitlements
  at the end of it), snapshot the chain: raw supply R without issuer-held tokens, M0 and
  E = R * M0, and check E against the settled custody shares. Mints and burns have waited since
  the ex-date (:mod:`issuer.corporate.window`), so the supply now is the supply at the record.
- ``recorded``: on the payable date the broker posts DIV (gross), DIVNRA (withholding) and FEE;
  net = gross - withholding - fees.
- ``paid``: reinvests the net cash with a notional market buy (``client_order_id`` =
  ``ca-<id>-reinvest``, placed at most once).
- ``reinvesting``: when the order is final and its executions settled, computes
  M1 = M0 * (1 + filled / Q) (Q: the shares the broker paid on, = E when custody holds no
  surplus), capped so that totalSupply * M1 <= settled custody, and the residue that stays as
  surplus collateral (:mod:`issuer.corporate.arithmetic`).
- ``proposed`` .. ``scheduled``: approval and the schedule (:mod:`issuer.corporate.schedule`),
  to take effect ``ISSUER_CA_NOTICE_SECONDS`` after it is sent.
- ``scheduled``: ``completed`` once the multiplier is active; the residue is recorded again.

Issuer-held tokens are those in the redemption wallet that no open redemption is about to burn
(a deposit waiting to be burned still belongs to its redeemer, who is paid at the multiplier of
the burn).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import units
from issuer.broker import BrokerRejected
from issuer.broker.journals import cash_journal
from issuer.chain import checksum
from issuer.corporate import arithmetic, custody, entitlement, stablecoin
from issuer.corporate.schedule import send_schedule
from issuer.deposits import UNBURNED, deposit_raw
from issuer.lifecycle.common import move, note, settles_on
from issuer.models import CorporateAction, DividendEntitlement, Participant, Redemption
from issuer.reserves import custody_shares
from issuer.service import Issuer


def issuer_held_raw(issuer: Issuer, db: Session, symbol: str, block: int) -> int:
    wallet = issuer.settings.redemption_wallet
    if not wallet:
        return 0
    balance = issuer.chain.balance(symbol, checksum(wallet), block)
    owed = sum(deposit_raw(db, source) or 0 for source in db.scalars(
        select(Redemption.source_event).where(
            Redemption.symbol == symbol, Redemption.status.in_(UNBURNED),
            Redemption.source_event.is_not(None))))
    return max(0, balance - owed)


def _announced(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.record_date is not None
    today = issuer.broker.clock().date
    if today <= action.record_date:
        note(action, f"waiting: record date {action.record_date.isoformat()}")
        return
    block = issuer.chain.head()
    total = issuer.chain.total_supply(action.symbol, block)
    held = issuer_held_raw(issuer, db, action.symbol, block)
    m0 = issuer.chain.multiplier(action.symbol, block)
    raw = total - held
    entitled = arithmetic.entitled_shares(raw, m0)
    settled = custody_shares(issuer, action.symbol)[1]
    action.snapshot_block, action.raw_supply, action.issuer_held_raw = block, str(raw), str(held)
    action.m0, action.entitled, action.custody_settled = str(m0), entitled, settled
    owed = record_entitlements(issuer, db, action, m0)
    # custody now must still hold the tokens' shares and what creations and redemptions in
    # flight own (a redemption's shares may have left since the record: its sale settled)
    still = entitlement.in_flight(issuer, db, action.symbol, by=None).redemption_shares
    if entitled + owed - (action.owed_redemptions or Decimal(0)) + still > settled:
        move(db, action, "halted", f"entitled shares {entitled} (+ {owed} owed to creations "
             f"and redemptions in flight) exceed settled custody {settled} at the record date")
        return
    move(db, action, "recorded")


def record_entitlements(issuer: Issuer, db: Session, action: CorporateAction,
                         m0: int) -> Decimal:
    """Store who besides the tokens owns shares custody held at the end of the record date
    (:mod:`issuer.corporate.entitlement`); returns those shares. A creation already made
    token-like by an earlier dividend is counted through its raw amount at this M0."""
    assert action.record_date is not None
    found = entitlement.in_flight(issuer, db, action.symbol, by=action.record_date)
    for stale in entitlement.entitlements(db, action.id):  # a snapshot taken again
        db.delete(stale)
    db.flush()
    reinvest = action.payout == "reinvest"
    owed_creations = Decimal(0)
    for creation_id, (kind, qty) in found.minting().items():
        if (earlier := entitlement.token_like(db, creation_id)) is not None:
            shares = units.raw_to_shares(earlier[0], m0)
            raw = None
        else:
            shares = qty
            # the raw tokens its shares are worth at M0, rounded down once
            raw = str(units.shares_to_raw(qty, m0)) if reinvest else None
        db.add(DividendEntitlement(action_id=action.id, kind=kind,
                                   lifecycle_id=creation_id, qty=shares, raw=raw))
        owed_creations += shares
    for redemption_id, qty in found.redemptions.items():
        db.add(DividendEntitlement(action_id=action.id, kind="redemption",
                                   lifecycle_id=redemption_id, qty=qty))
    action.owed_creations = owed_creations
    action.owed_redemptions = found.redemption_shares
    db.flush()
    return owed_creations + found.redemption_shares


class Paid(Protocol):
    """What the broker reports of a payment: whether it is there yet."""

    @property
    def paid(self) -> bool: ...


P = TypeVar("P", bound=Paid)


def paid_out(issuer: Issuer, db: Session, action: CorporateAction, read: Callable[[], P],
             waiting: str) -> P | None:
    """What the broker paid for ``action`` (``read()``, asked from its payable date on), once
    it has; until then the action notes ``waiting`` (None), and with nothing paid after the
    payable date and no settled custody at the record it completes: nothing to pay on."""
    assert action.payable_date is not None
    today = issuer.broker.clock().date
    if today >= action.payable_date and (found := read()).paid:
        return found
    if today > action.payable_date and not action.custody_settled:
        move(db, action, "completed", "custody held no settled shares at the record date")
    else:
        note(action, waiting)
    return None


def _recorded(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.payable_date is not None
    cash = paid_out(issuer, db, action,
                    lambda: custody.dividend_cash(issuer, action.corporate_action_id),
                    f"waiting: payment on {action.payable_date.isoformat()}")
    if cash is None:
        return
    action.custody_entitled, action.gross = cash.shares, cash.gross
    action.withholding, action.fees = cash.withholding, cash.fees
    action.net = action.gross - action.withholding - action.fees
    move(db, action, "paid")


def _pay_redeemers(issuer: Issuer, db: Session, action: CorporateAction) -> bool:
    """Each redeemer owed this dividend gets its cash share by journal (at most once: its
    client id); False (and halted) when the broker refuses one."""
    assert action.net is not None and action.custody_entitled
    paid = Decimal(0)
    for owed in entitlement.entitlements(db, action.id, "redemption"):
        if owed.amount is None:
            owed.amount = entitlement.cash_share(action.net, owed.qty, action.custody_entitled)
        if owed.amount > 0 and owed.journal_id is None:
            redemption = db.get(Redemption, owed.lifecycle_id)
            assert redemption is not None
            participant = db.get(Participant, redemption.participant_id)
            assert participant is not None
            try:
                journal = cash_journal(
                    issuer.broker, from_account=issuer.settings.broker_account_id,
                    to_account=participant.broker_account_id, amount=owed.amount,
                    description=f"dividend {action.corporate_action_id} on {owed.qty} shares "
                                f"of redemption {redemption.id}",
                    client_journal_id=f"ca-{action.id}-redemption-{redemption.id}")
            except BrokerRejected as exc:
                move(db, action, "halted", f"dividend to redemption {redemption.id} refused: "
                     f"{exc.code}: {exc.detail}")
                return False
            owed.journal_id = journal.id
            db.commit()
        paid += owed.amount
    action.redeemers_paid = paid
    return True


def _paid(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.net is not None
    if action.net > 0 and action.custody_entitled and not _pay_redeemers(issuer, db, action):
        return
    if action.net <= 0 or not (action.entitled or action.owed_creations):
        move(db, action, "completed", "nothing to reinvest" if action.net <= 0 else
             "no tokens at the record date: the dividend stays in custody as cash")
        return
    if action.payout == "stablecoin":
        stablecoin.pay(issuer, db, action)
        return
    try:
        order = issuer.broker.submit_order(
            issuer.settings.broker_account_id, symbol=action.symbol, side="buy",
            notional=entitlement.reinvested_net(action), client_order_id=f"ca-{action.id}-reinvest")
    except BrokerRejected as exc:
        move(db, action, "halted", f"reinvestment refused: {exc.code}: {exc.detail}")
        return
    action.order_id = order.id
    move(db, action, "reinvesting")


def _reinvesting(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    account = issuer.settings.broker_account_id
    assert action.order_id is not None and action.m0 is not None
    order = issuer.broker.order(account, action.order_id)
    if not order.final:
        note(action, f"waiting: reinvestment order {order.status}")
        return
    executions = issuer.broker.executions(account, order)
    if (settle := settles_on(executions)) is not None:
        note(action, f"waiting: reinvestment settles on {settle.isoformat()}")
        return
    counted = [e for e in executions if e.status == "settled"]
    action.filled_qty = sum((e.qty for e in counted), Decimal(0))
    action.filled_cost = sum((e.amount for e in counted), Decimal(0))
    if action.filled_qty <= 0:
        move(db, action, "halted", f"the reinvestment bought nothing: order {order.status}"
             + (f" ({order.status_reason})" if order.status_reason else ""))
        return
    assert action.custody_entitled is not None
    # Q' = the shares whose dividend was reinvested: Q less the redeemers' shares (paid in cash)
    propose(issuer, db, action,
            action.custody_entitled - (action.owed_redemptions or Decimal(0)),
            action.filled_qty, "the reinvested shares stay as surplus collateral")


def propose(issuer: Issuer, db: Session, action: CorporateAction, on_shares: Decimal,
            new_shares: Decimal, surplus: str) -> None:
    """M1 for ``new_shares`` that came to custody for ``on_shares`` (a reinvested dividend's
    purchase, a stock dividend's new shares): M1 = floor(M0 * (Q + N) / Q), capped by settled
    custody less what creations and redemptions in flight own, then ``proposed`` (or
    ``completed`` when the multiplier would not change: ``surplus`` says where the shares
    stay; ``halted`` when another change took effect since the record)."""
    assert action.m0 is not None and action.entitled is not None
    m0 = int(action.m0)
    current = issuer.chain.multiplier(action.symbol)
    if current != m0:
        move(db, action, "halted", f"the multiplier is {current}, not M0 {m0}: another change "
             "took effect since the record date")
        return
    uncapped = arithmetic.dividend_multiplier(
        m0, action.entitled + (action.owed_creations or Decimal(0)), on_shares, new_shares)
    supply = issuer.chain.total_supply(action.symbol)
    settled = custody_shares(issuer, action.symbol)[1]
    owes = entitlement.obligations(issuer, db, action.symbol)
    # the cap counts what tokens and in-flight obligations own: the supply plus the raw the
    # entitled creations will receive, against custody less what is owed at face value
    m1 = arithmetic.cap_multiplier(uncapped, supply + owes.owed_raw,
                                   settled - owes.face_shares)
    action.m1_uncapped, action.m1, action.supply_raw = str(uncapped), str(m1), str(supply)
    action.custody_settled = settled
    _residue(action, settled, supply, m1, owes)
    if m1 <= m0:
        move(db, action, "completed", f"the multiplier would not change; {surplus}")
        return
    move(db, action, "proposed", None if m1 == uncapped else
         f"capped by settled custody: {uncapped} -> {m1}")


def _approved(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    effective_at = issuer.chain.block_time() + issuer.settings.ca_notice_seconds
    send_schedule(issuer, db, action, effective_at)


def _scheduled(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.m1 is not None and action.supply_raw is not None
    if issuer.chain.multiplier(action.symbol) != int(action.m1):
        note(action, f"waiting: takes effect at chain time {action.effective_at}")
        return
    settled = custody_shares(issuer, action.symbol)[1]
    supply = issuer.chain.total_supply(action.symbol)
    action.custody_settled, action.final_supply_raw = settled, str(supply)
    _residue(action, settled, supply, int(action.m1),
             entitlement.obligations(issuer, db, action.symbol))
    move(db, action, "completed")


def _residue(action: CorporateAction, settled: Decimal, supply: int, m1: int,
             owes: entitlement.Obligations) -> None:
    """Custody beyond the token supply at M1, split into what creations and redemptions in
    flight own and the free rest."""
    action.residue = arithmetic.residue(settled, supply, m1)
    action.residue_owed = owes.shares(m1)
    action.residue_free = action.residue - action.residue_owed


STEPS = {
    "announced": _announced,
    "recorded": _recorded,
    "paid": _paid,
    "reinvesting": _reinvesting,
    "approved": _approved,
    "scheduling": _approved,
    "scheduled": _scheduled,
    **stablecoin.STEPS,
}
