"""Creation (mint) lifecycle.

cash:    requested -> ordered -> filled -> settled -> attesting -> minting -> completed
in kind: over the tokenization network (:mod:`issuer.lifecycle.itn`); a legacy in-kind row
         (``journaled``, from before) still finishes: journaled -> settled -> ... -> completed

- ``requested``: waits while the symbol is halted or the token paused; then places a market
  buy in the custody account with ``client_order_id`` = ``creation-<id>`` (a retry or a restart
  finds the same order, never a second one).
- ``ordered``: when the order is final, ``filled_qty`` is what was bought (a partial fill mints
  only that; nothing filled fails the creation); the participant pays the cost by a cash journal
  into the custody account (``client_journal_id`` = ``creation-<id>-payment``).
- ``filled``: waits for every execution to settle (T+1) and the payment journal to execute;
  ``settled_qty`` is what settled (a failed or busted execution does not count). The
  participant then pays exactly for what settled: the difference (a busted or failed
  execution, a price correction) is refunded or charged by one journal
  (``client_journal_id`` = ``creation-<id>-true-up``) before anything is minted.
- ``settled``/``attesting``: waits while a corporate action holds mints (see
  :mod:`issuer.corporate.window`); then attests the custody position on chain (outbox key
  ``attest:creation:<id>``), then ``minting``: mints ``settled_qty`` shares' worth of raw tokens
  (in today's share units: times the ratio of every split the broker processed after the
  quantity was read, see ``units_date``)
  at the current multiplier to the participant's wallet (outbox key ``mint:creation:<id>``).
- A mint the reserve guard refuses (``ReserveExceeded``, a stale attestation, one that predates
  a rescale) although its shares settled is not final: another worker may have attested custody
  from a stale view of the broker between this one's attestation and its mint. Custody is
  attested again (``attest:creation:<id>:<round>``, the mint ``mint:creation:<id>:<round>``) up
  to :data:`RESERVE_ROUNDS` times; a batch is dissolved and formed again. Only a refusal that
  outlives them (a real shortfall) halts the creation, with the contract's reason.
- With ``ISSUER_MINT_POLICY=on_fill`` a fill is minted before it settles when the unsettled
  shares fit both ``ISSUER_UNSETTLED_CAP`` and the token's on-chain pending cap, less what
  unsettled shares already back; otherwise it waits for settlement like the default.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import crashpoints, passcache, units
from issuer.broker import BrokerRejected
from issuer.broker.journals import cash_journal
from issuer.broker.types import Execution
from issuer.chain import ChainError
from issuer.corporate import entitlement
from issuer.corporate.window import mint_burn_blocker, split_ratios
from issuer.lifecycle.common import (
    RESERVE_ROUNDS,
    advance,
    attest,
    batch_mint,
    chain_step,
    dispatch_supply,
    journal_executed,
    move,
    note,
    outcome_of,
    reserve_refusal,
    run_batches,
    settles_on,
)
from issuer.models import ChainTx, Creation, Participant
from issuer.reserves import check_invariant, open_halt, pending_cap, reconcile
from issuer.service import Issuer
from issuer.units import shares_to_raw


def order_id_for(creation: Creation) -> str:
    return f"creation-{creation.id}"


def step(issuer: Issuer, db: Session, creation: Creation) -> None:
    """Advance one creation by at most one step (safe to call again at any point)."""
    dispatch_supply(_STEPS, SUPPLY_STEPS, issuer, db, creation)


#: The steps that attest custody and mint: under the symbol's supply claim.
SUPPLY_STEPS = ("settled", "attesting", "minting")


def _requested(issuer: Issuer, db: Session, creation: Creation) -> None:
    if (halt := open_halt(db, creation.symbol)) is not None:
        note(creation, f"waiting: {creation.symbol} is halted ({halt.reason})")
        return
    # read once per pass (an eth_call per creation was a third of a pass over new ones)
    if passcache.once(("paused", creation.symbol),
                      lambda: issuer.chain.is_paused(creation.symbol)):
        note(creation, f"waiting: the {creation.symbol} token is paused")
        return
    if creation.kind != "cash":
        # never a participant -> custody share journal (Alpaca allows JNLS from the firm
        # account only): shares a participant holds come in over the tokenization network
        move(db, creation, "failed", "in-kind creations come in over the tokenization "
             "network (ITN), not by a share journal")
        return
    account = issuer.settings.broker_account_id
    try:
        order = issuer.broker.submit_order(
            account, symbol=creation.symbol, side="buy", qty=creation.qty,
            client_order_id=order_id_for(creation))
        crashpoints.reach("creation.after_order")
        creation.broker_order_id = order.id
        move(db, creation, "ordered")
    except BrokerRejected as exc:
        move(db, creation, "failed", f"broker refused: {exc.code}: {exc.detail}")


def _ordered(issuer: Issuer, db: Session, creation: Creation) -> None:
    account = issuer.settings.broker_account_id
    assert creation.broker_order_id is not None
    order = issuer.broker.order(account, creation.broker_order_id)
    if not order.final:
        note(creation, f"waiting: broker order {order.status}")
        return
    creation.filled_qty = order.filled_qty
    creation.filled_avg_price = order.filled_avg_price
    if order.filled_qty <= 0:
        move(db, creation, "failed", f"nothing filled: order {order.status}"
             + (f" ({order.status_reason})" if order.status_reason else ""))
        return
    executions = issuer.broker.executions(account, order)
    if sum((e.qty for e in executions), Decimal(0)) < order.filled_qty:
        # the order says filled, its fills are not all visible yet: nothing is paid for a
        # fill the issuer cannot see (a payment of 0 would be refused and halt the creation)
        note(creation, f"waiting: {order.filled_qty} filled, the broker shows the fills of "
             f"{sum((e.qty for e in executions), Decimal(0))}")
        return
    # every attempt at the payment journal commits the cost first: none stored, none made
    first_attempt = creation.cost is None
    creation.cost = sum((e.amount for e in executions if e.status != "canceled"), Decimal(0))
    db.commit()
    crashpoints.reach("creation.after_fill")
    participant = db.get(Participant, creation.participant_id)
    assert participant is not None
    try:
        payment = cash_journal(
            issuer.broker, from_account=participant.broker_account_id, to_account=account,
            amount=creation.cost, description=f"payment for creation {creation.id}",
            client_journal_id=f"creation-{creation.id}-payment", first_attempt=first_attempt)
    except BrokerRejected as exc:
        move(db, creation, "halted", f"payment refused: {exc.code}: {exc.detail}")
        return
    creation.payment_journal_id = payment.id
    move(db, creation, "filled",
         None if order.filled_qty == creation.qty else
         f"partially filled: {order.filled_qty} of {creation.qty} ({order.status_reason})")


def _filled(issuer: Issuer, db: Session, creation: Creation) -> None:
    account = issuer.settings.broker_account_id
    assert creation.broker_order_id is not None and creation.payment_journal_id is not None
    executions = issuer.broker.executions(
        account, issuer.broker.order(account, creation.broker_order_id))
    if issuer.settings.mint_policy == "on_fill" and any(e.status == "pending"
                                                        for e in executions):
        unsettled = sum((e.qty for e in executions if e.status == "pending"), Decimal(0))
        if (room := _unsettled_room(issuer, db, creation.symbol)) >= unsettled:
            creation.settled_qty = sum((e.qty for e in executions
                                        if e.status in ("pending", "settled")), Decimal(0))
            creation.units_date = _units_date(executions)
            move(db, creation, "settled", f"minting on fill: {unsettled} unsettled shares "
                 f"within the cap (room {room})")
            return
    if (settle := settles_on(executions)) is not None:
        note(creation, f"waiting: settlement on {settle.isoformat()}")
        return
    if not journal_executed(issuer, db, creation, creation.payment_journal_id,
                            "payment journal"):
        return
    counted = [e for e in executions if e.status == "settled"]
    remark = _true_up(issuer, db, creation, sum((e.amount for e in counted), Decimal(0)))
    if remark is None:
        return
    creation.settled_qty = sum((e.qty for e in counted), Decimal(0))
    creation.units_date = _units_date(counted)
    reversed_ = [e for e in executions if e.status == "canceled"]
    if reversed_:   # say which fills the broker took back (a bust or a failed settlement)
        remark = "; ".join(filter(None, [
            f"{len(reversed_)} execution(s) reversed by the broker (busted or failed at "
            f"settlement): " + ", ".join(f"{e.id} {e.qty} @ {e.price} on {e.trade_date}"
                                         for e in reversed_), remark]))
    if creation.settled_qty <= 0:
        move(db, creation, "failed", f"no execution settled; {remark}")
        return
    move(db, creation, "settled", remark or None)


def _units_date(executions: list[Execution]) -> dt.date | None:
    """The first broker date whose split the executions' quantities do not reflect: they are
    in the shares of their trade date."""
    first = min((e.trade_date for e in executions), default=None)
    return None if first is None else first + dt.timedelta(days=1)


def _true_up(issuer: Issuer, db: Session, creation: Creation, delivered: Decimal) -> str | None:
    """The participant pays for the shares delivered: what it paid beyond the settled
    executions (one failed at settlement or was busted) is refunded, and a price correction is
    charged or refunded, by one journal (``client_journal_id`` = ``creation-<id>-true-up``).
    None while that journal is not executed yet; then what was done ("" if nothing was owed).
    """
    assert creation.cost is not None
    owed = creation.cost - delivered            # > 0: the participant paid too much
    if owed == 0:
        return ""
    participant = db.get(Participant, creation.participant_id)
    assert participant is not None
    custody = issuer.settings.broker_account_id
    client_id = f"creation-{creation.id}-true-up"
    refund = owed > 0
    try:  # made once: a journal already made for this client id is found, not made again
        journal = cash_journal(
            issuer.broker,
            from_account=custody if refund else participant.broker_account_id,
            to_account=participant.broker_account_id if refund else custody,
            amount=abs(owed), client_journal_id=client_id,
            description=f"{'refund' if refund else 'charge'} for creation {creation.id}: "
                        f"paid {creation.cost}, delivered {delivered}")
    except BrokerRejected as exc:  # e.g. the participant lacks the cash: tried again
        note(creation, f"waiting: true-up of {owed} refused: {exc.code}: {exc.detail}")
        return None
    if journal.in_flight:
        note(creation, f"waiting: true-up journal of {owed}")
        return None
    if not journal.executed:
        move(db, creation, "halted", f"true-up journal {journal.status}: "
             f"{journal.status_reason}")
        return None
    creation.cost = delivered
    return (f"{'refunded' if owed > 0 else 'charged'} {abs(owed)}: paid {delivered + owed}, "
            f"delivered {delivered}")


def _unsettled_room(issuer: Issuer, db: Session, symbol: str) -> Decimal:
    """How many more unsettled shares may back supply: the tighter of the service's cap and the
    token's on-chain pending cap, less what unsettled shares already back."""
    report = reconcile(issuer, db, symbol)
    cap = pending_cap(issuer, symbol)
    used = max(Decimal(0), units.exact(Fraction(report.economic_supply)
                                       - Fraction(report.custody_settled)))
    return cap - used


def _journaled(issuer: Issuer, db: Session, creation: Creation) -> None:
    assert creation.broker_journal_id is not None
    journal = issuer.broker.journal(creation.broker_journal_id)
    if journal.in_flight:
        on = journal.settle_date.isoformat() if journal.settle_date else "a date not given yet"
        note(creation, f"waiting: journal {journal.status}, settles on {on}")
        return
    if not journal.executed:
        move(db, creation, "failed", f"journal {journal.status}: {journal.status_reason}")
        return
    creation.filled_qty = creation.settled_qty = journal.qty
    # a journal executes at the end of its settle date (the broker's date when it gives none)
    settled_on = journal.settle_date or issuer.broker.clock().date
    creation.units_date = settled_on + dt.timedelta(days=1)
    move(db, creation, "settled")


def _round_key(base: str, row: Creation) -> str:
    """An outbox key of this reserve round (the first round keeps the plain key)."""
    return base if row.reserve_round == 0 else f"{base}:{row.reserve_round}"


def _settled(issuer: Issuer, db: Session, creation: Creation) -> None:
    if (blocker := mint_burn_blocker(issuer, db, creation.symbol)) is not None:
        note(creation, f"waiting: {blocker}")
        return
    result = attest(issuer, db, creation.symbol,
                    _round_key(f"attest:creation:{creation.id}", creation))
    _after_tx(db, creation, result, next_status="minting", waiting="attesting")


def _attesting(issuer: Issuer, db: Session, creation: Creation) -> None:
    if creation.mint_batch is None:   # a batch's members move with their batch
        _settled(issuer, db, creation)


def _minting(issuer: Issuer, db: Session, creation: Creation) -> None:
    if creation.mint_batch is not None:
        return
    if creation.mint_raw is None:
        if (blocker := mint_burn_blocker(issuer, db, creation.symbol)) is not None:
            note(creation, f"waiting: {blocker}")
            return
        _fix_mint(db, creation, issuer.chain.multiplier(creation.symbol))
        db.commit()
    mint_raw = creation.mint_raw
    assert mint_raw is not None
    result = chain_step(issuer, db, _round_key(f"mint:creation:{creation.id}", creation),
                        "supply", lambda: issuer.chain.calls.mint(creation.symbol,
                                                                  creation.wallet, int(mint_raw)))
    if (refusal := reserve_refusal(result)) is not None and \
            creation.reserve_round < RESERVE_ROUNDS:
        creation.reserve_round += 1
        move(db, creation, "attesting", f"the reserve refused the mint ({refusal}): custody is "
             f"attested again (round {creation.reserve_round} of {RESERVE_ROUNDS})")
        return
    _after_tx(db, creation, result, next_status="completed", waiting="minting")


def _fix_mint(db: Session, creation: Creation, multiplier: int) -> None:
    """The raw units to mint: the settled shares in today's share units (every split the
    broker processed since they were counted), at the current multiplier, rounded down. Shares
    that earned a reinvested dividend while waiting (custody held them at its record date) are
    minted in that dividend's pre-dividend units instead: the raw fixed at its record
    (``floor(qty * 10^36 / M0)``), so the new multiplier gives them their dividend."""
    assert creation.settled_qty is not None
    shares, token_like = creation.settled_qty, 0
    if (earned := entitlement.creation_entitlement(db, creation.id)) is not None:
        assert earned.raw is not None
        shares, token_like = max(Decimal(0), shares - earned.qty), int(earned.raw)
    for ratio in split_ratios(db, creation.symbol, creation.units_date):
        shares = units.after_split(shares, ratio)
    creation.multiplier = str(multiplier)
    creation.mint_raw = str(token_like + shares_to_raw(shares, multiplier))


def _after_tx(db: Session, creation: Creation, result: ChainTx | ChainError, *,
              next_status: str, waiting: str) -> None:
    advance(db, creation, outcome_of(result), done=next_status, waiting=waiting)


# ----------------------------------------------------------------------------- batches


def mint_batches(issuer: Issuer) -> None:
    """Mint creations that are ready together: per symbol, the settled creations form batches
    (each of at least two, at most ``ISSUER_MINT_BATCH_MAX``), each with one reserve attestation
    (``attest:batch:<id>``) and one ``batchMint`` (``mint:batch:<id>``). The batch and each
    creation's raw amount are stored before anything is sent, so a restart finishes the same
    batch; a creation alone takes the one-by-one path."""
    run_batches(issuer, Creation, ("attesting", "minting"), _form_batch, _advance_batch)


def _form_batch(issuer: Issuer, db: Session, symbol: str) -> bool:
    """One batch of up to ``mint_batch_max`` ready rows; False when fewer than two wait."""
    ready = list(db.scalars(select(Creation).where(
        Creation.symbol == symbol, Creation.status == "settled", Creation.mint_batch.is_(None))
        .order_by(Creation.updated_at).limit(issuer.settings.mint_batch_max)))
    if len(ready) < 2 or mint_burn_blocker(issuer, db, symbol) is not None:
        return False
    batch, multiplier = str(uuid.uuid4()), issuer.chain.multiplier(symbol)
    for creation in ready:
        creation.mint_batch = batch
        _fix_mint(db, creation, multiplier)
        move(db, creation, "attesting", f"mint batch {batch} of {len(ready)}")
    db.commit()
    return True


def _advance_batch(issuer: Issuer, db: Session, batch: str) -> None:
    members = list(db.scalars(select(Creation).where(
        Creation.mint_batch == batch, Creation.status.in_(("attesting", "minting")))
        .order_by(Creation.created_at, Creation.id)))
    symbol = members[0].symbol
    if members[0].status == "attesting":
        result = attest(issuer, db, symbol, f"attest:batch:{batch}")
        done, waiting = "minting", "attesting"
    else:
        result = batch_mint(issuer, db, f"mint:batch:{batch}", symbol, members)
        done, waiting = "completed", "minting"
        if (refusal := reserve_refusal(result)) is not None and \
                members[0].reserve_round < RESERVE_ROUNDS:
            for creation in members:   # formed again next pass: a new attestation and mint
                creation.mint_batch = None
                creation.reserve_round += 1
                move(db, creation, "settled", f"the reserve refused batch {batch}'s mint "
                     f"({refusal}): custody is attested again (round "
                     f"{creation.reserve_round} of {RESERVE_ROUNDS})")
            db.commit()
            return
    for creation in members:
        _after_tx(db, creation, result, next_status=done, waiting=waiting)
    if members[0].status != waiting:
        check_invariant(issuer, db, symbol)
    db.commit()


_STEPS = {
    "requested": _requested,
    "ordered": _ordered,
    "filled": _filled,
    "journaled": _journaled,
    "settled": _settled,
    "attesting": _attesting,
    "minting": _minting,
}
