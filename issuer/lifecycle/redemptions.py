"""Redemption (burn) lifecycle: tokens are burned only when there is a path to deliver.

cash:    requested -> burning -> burned -> ordered -> filled -> settled -> paying -> completed
in kind: requested -> burning -> burned -> paying -> completed

- ``requested``: checks the holder's balance, that the broker will trade the symbol (or take the
  journal) and that no corporate action holds burns (:mod:`issuer.corporate.window`);
  otherwise ``paused`` with the reason, and tried again. Then burns the raw tokens (outbox key
  ``burn:redemption:<id>``), computed once at the multiplier of the moment (a redemption
  started by a deposit redeems the deposit's raw units at that multiplier).
- ``burned``: sells the shares (``client_order_id`` = ``redemption-<id>-<n>``, ``n`` counting
  refused attempts) or journals them out in kind; a refused sale pauses the redemption and is
  tried again, since the tokens are gone and the shares must still be delivered.
- ``filled``: once every execution settled, the proceeds are what settled; a sale that failed
  at settlement or was busted put the shares back in custody, so the redemption goes back to
  ``burned`` and sells them again.
- ``settled``/``paying``: the proceeds (or shares) go to the participant's broker account by
  journal (``client_journal_id`` = ``redemption-<id>-payout``); ``completed`` once it executes.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from issuer import crashpoints, units
from issuer.broker import BrokerRejected
from issuer.broker.journals import cash_journal, share_journal
from issuer.corporate.window import mint_burn_blocker
from issuer.deposits import deposit_raw
from issuer.lifecycle.common import (
    Refused,
    advance,
    chain_step,
    dispatch,
    journal_executed,
    move,
    note,
    outcome_of,
)
from issuer.models import Participant, Redemption
from issuer.service import Issuer
from issuer.units import raw_to_shares, shares_to_raw


def step(issuer: Issuer, db: Session, redemption: Redemption) -> None:
    """Advance one redemption by at most one step (safe to call again at any point)."""
    dispatch(_STEPS, issuer, db, redemption)


def _participant(db: Session, redemption: Redemption) -> Participant:
    participant = db.get(Participant, redemption.participant_id)
    assert participant is not None
    return participant


def _requested(issuer: Issuer, db: Session, redemption: Redemption) -> None:
    if redemption.burn_raw is None:
        if (blocker := mint_burn_blocker(issuer, db, redemption.symbol, burn=True)) is not None:
            _pause(db, redemption, blocker)
            return
        multiplier = issuer.chain.multiplier(redemption.symbol)
        raw = shares_to_raw(redemption.qty, multiplier, up=True)
        if redemption.source_event is not None:
            raw, redemption.qty = _deposit(db, redemption, multiplier, raw)
        balance = issuer.chain.balance(redemption.symbol, redemption.wallet)
        if raw > balance:
            move(db, redemption, "failed",
                 f"wallet holds {balance} raw units, the redemption needs {raw}")
            return
        if (blocker := _delivery_blocker(issuer, redemption)) is not None:
            _pause(db, redemption, blocker)
            return
        redemption.multiplier, redemption.burn_raw = str(multiplier), str(raw)
        db.commit()
    result = chain_step(issuer, db, f"burn:redemption:{redemption.id}", "supply",
                        lambda: issuer.chain.calls.burn(redemption.symbol, redemption.wallet,
                                                        int(redemption.burn_raw or 0)))
    def refused(refusal: Refused) -> None:
        if refusal.tx is not None:   # reverted: a burn that cannot be explained halts
            move(db, redemption, "halted", refusal.detail, error=refusal.error,
                 tx=refusal.tx.tx_hash)
            return
        redemption.burn_raw = None   # not sent: computed again when it can go
        _pause(db, redemption, refusal.detail)

    advance(db, redemption, outcome_of(result, "burn"), waiting="burning", refused=refused,
            done=lambda tx: move(db, redemption, "burned", burn_tx=tx.tx_hash,
                                 block=tx.block_number))


def _deposit(db: Session, redemption: Redemption, multiplier: int,
             raw: int) -> tuple[int, Decimal]:
    """A deposit is redeemed whole: all its raw units are burned, and the shares they are worth
    at the multiplier of the burn (a deposit held across a corporate action is worth what the
    action made of it), rounded down to what the broker trades, are sold."""
    deposited = deposit_raw(db, redemption.source_event or "")
    if deposited is None:
        return raw, redemption.qty
    return deposited, units.broker_qty_down(raw_to_shares(deposited, multiplier))


def _delivery_blocker(issuer: Issuer, redemption: Redemption) -> str | None:
    """Why the broker could not take delivery now, or None."""
    asset = issuer.broker.asset(redemption.symbol)
    if redemption.kind == "cash" and not asset.tradable:
        return f"{redemption.symbol} is not tradable at the broker: {asset.halt_reason}"
    account = issuer.broker.trading_account(issuer.settings.broker_account_id)
    if redemption.kind == "cash" and account.trading_blocked:
        return "trading is blocked on the custody account"
    if redemption.kind == "in_kind" and account.transfers_blocked:
        return "transfers are blocked on the custody account"
    position = issuer.broker.position(issuer.settings.broker_account_id, redemption.symbol)
    if position is None or position.qty_available < redemption.qty:
        return "custody does not hold the shares to deliver"
    return None


def _pause(db: Session, redemption: Redemption, reason: str) -> None:
    if redemption.status != "paused" or redemption.status_reason != reason:
        move(db, redemption, "paused", reason)


def _paused(issuer: Issuer, db: Session, redemption: Redemption) -> None:
    if redemption.burn_raw is None:
        _requested(issuer, db, redemption)
    else:
        _burned(issuer, db, redemption)


def _burned(issuer: Issuer, db: Session, redemption: Redemption) -> None:
    account = issuer.settings.broker_account_id
    participant = _participant(db, redemption)
    if redemption.kind == "in_kind":
        _payout(issuer, db, redemption, participant)
        return
    remaining = redemption.qty - (redemption.filled_qty or Decimal(0))
    attempt = redemption.sale_attempts + 1
    try:
        order = issuer.broker.submit_order(
            account, symbol=redemption.symbol, side="sell", qty=remaining,
            client_order_id=f"redemption-{redemption.id}-{attempt}")
    except BrokerRejected as exc:  # nothing was placed: the same id is tried again later
        _pause(db, redemption, f"sale refused: {exc.code}: {exc.detail}")
        return
    crashpoints.reach("redemption.after_order")
    redemption.sale_attempts, redemption.broker_order_id = attempt, order.id
    move(db, redemption, "ordered")


def _ordered(issuer: Issuer, db: Session, redemption: Redemption) -> None:
    account = issuer.settings.broker_account_id
    assert redemption.broker_order_id is not None
    order = issuer.broker.order(account, redemption.broker_order_id)
    if not order.final:
        note(redemption, f"waiting: broker order {order.status}")
        return
    redemption.filled_qty = (redemption.filled_qty or Decimal(0)) + order.filled_qty
    if redemption.filled_qty < redemption.qty:
        # the tokens are burned: the rest is sold by a new order on the next pass
        _pause(db, redemption, f"sale incomplete: order {order.status}, sold "
               f"{redemption.filled_qty} of {redemption.qty}"
               + (f" ({order.status_reason})" if order.status_reason else ""))
        return
    move(db, redemption, "filled")


def _filled(issuer: Issuer, db: Session, redemption: Redemption) -> None:
    account = issuer.settings.broker_account_id
    executions = [e for o in issuer.broker.orders(account, symbols=redemption.symbol)
                  if o.client_order_id.startswith(f"redemption-{redemption.id}-")
                  for e in issuer.broker.executions(account, o)]
    if any(e.status == "pending" for e in executions):
        note(redemption, "waiting: settlement")
        return
    settled = [e for e in executions if e.status == "settled"]
    sold = sum((e.qty for e in settled), Decimal(0))
    if sold < redemption.qty:
        # a sale failed at settlement or was busted: those shares are back in custody and the
        # burned tokens still owe them, so they are sold again (the next order's id)
        redemption.filled_qty = sold
        move(db, redemption, "burned", f"sold {sold} of {redemption.qty}: an execution "
             f"{'/'.join(sorted({e.status for e in executions} - {'settled'}))}; selling again")
        return
    redemption.proceeds = sum((e.amount for e in settled), Decimal(0))
    move(db, redemption, "settled")


def _settled(issuer: Issuer, db: Session, redemption: Redemption) -> None:
    _payout(issuer, db, redemption, _participant(db, redemption))


def _payout(issuer: Issuer, db: Session, redemption: Redemption,
            participant: Participant) -> None:
    account = issuer.settings.broker_account_id
    proceeds = redemption.proceeds
    if redemption.kind != "in_kind" and proceeds is None:   # never the case once settled
        note(redemption, "waiting: the sale's proceeds are not known yet")
        return
    try:
        if redemption.kind == "in_kind":
            journal = share_journal(
                issuer.broker, from_account=account,
                to_account=participant.broker_account_id, symbol=redemption.symbol,
                qty=redemption.qty, description=f"in-kind redemption {redemption.id}",
                client_journal_id=f"redemption-{redemption.id}-payout")
        else:
            assert proceeds is not None   # checked above
            journal = cash_journal(
                issuer.broker, from_account=account,
                to_account=participant.broker_account_id,
                amount=proceeds,
                description=f"proceeds of redemption {redemption.id}",
                client_journal_id=f"redemption-{redemption.id}-payout")
    except BrokerRejected as exc:
        _pause(db, redemption, f"payout refused: {exc.code}: {exc.detail}")
        return
    redemption.broker_journal_id = journal.id
    move(db, redemption, "paying")


def _paying(issuer: Issuer, db: Session, redemption: Redemption) -> None:
    assert redemption.broker_journal_id is not None
    if journal_executed(issuer, db, redemption, redemption.broker_journal_id,
                        "payout journal"):
        move(db, redemption, "completed")


_STEPS = {
    "requested": _requested,
    "burning": _requested,
    "paused": _paused,
    "burned": _burned,
    "ordered": _ordered,
    "filled": _filled,
    "settled": _settled,
    "paying": _paying,
}
