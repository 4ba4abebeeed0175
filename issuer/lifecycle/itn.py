"""Mints and redemptions over the broker's tokenization network (ITN), step by step; each step
is persisted and safe to run again after a crash.

mint:   created -> confirmed -> minting -> minted -> completed
- ``created``: waits for the broker's journal confirmation (:mod:`issuer.itn`).
- ``confirmed``: waits while a corporate action holds mints, the symbol is halted or the token
  paused; then fixes the raw amount once (:func:`fix_raw`: the shares at the multiplier of the
  moment, rounded down; shares custody held at a dividend's record date mint in pre-dividend
  units, so the AP gets the dividend they earned, as a creation's creator does), attests
  custody (``attest:itn:<id>``: the shares arrived settled, out of the AP's position) and
  mints to the AP's wallet (``mint:itn:<tokenization request id>``: the outbox
  finds a mint already on chain by its key before anything new is signed).
- ``minted``: calls ``callback/mint`` with the transaction hash, at least once, until the broker
  acknowledges it; then ``completed``.

redeem: detected -> pending [-> review] -> burning -> completed, or rejected
- ``detected`` (a deposit into the redemption wallet from a linked participant, at the
  indexer's confirmation depth, :mod:`issuer.deposits`): waits while a corporate action holds
  burns (as a cash redemption does), then fixes the quantity once (the deposit's raw units at
  the multiplier of that moment, rounded down to the broker's 9 decimals) and calls
  ``callback/redeem`` (issuer request id = the deposit, ``<tx hash>:<log index>``; the broker
  keeps one request per id).
- ``pending``: polls the broker's request until ``completed`` (burn) or ``rejected`` (the
  tokens stay in the redemption wallet, reported in the audit log).
- ``review``: still pending after ``ISSUER_ITN_REDEEM_TIMEOUT``: the operators' queue; polled
  as ``pending`` is (:mod:`issuer.itn_desk` has the tools for what an operator finds there).
- ``burning``: burns the deposit's raw units from the redemption wallet (``burn:itn:<id>``),
  less the dust below the broker's 9 decimals, which goes back to the AP's wallet
  (``dust:itn:<id>``, a forced transfer by the supply agent); ``completed``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import crashpoints, units
from issuer.broker import BrokerRejected
from issuer.chain import ChainError
from issuer.corporate import entitlement
from issuer.corporate.window import mint_burn_blocker, split_ratios
from issuer.db import utcnow
from issuer.lifecycle.common import (
    RESERVE_ROUNDS,
    Done,
    Waiting,
    advance,
    attest,
    batch_mint,
    chain_step,
    dispatch_supply,
    move,
    note,
    outcome_of,
    reserve_refusal,
    run_batches,
)
from issuer.models import ChainTx, ItnRequest, new_id
from issuer.reserves import check_invariant, open_halt
from issuer.service import Issuer
from issuer.statuses import OPEN_ITN
from issuer.units import raw_to_shares, shares_to_raw

OPEN = OPEN_ITN


def step(issuer: Issuer, db: Session, row: ItnRequest) -> None:
    dispatch_supply(_STEPS, SUPPLY_STEPS, issuer, db, row)


#: The steps that attest custody and mint: under the symbol's supply claim.
SUPPLY_STEPS = ("confirmed", "minting")


def _confirmed(issuer: Issuer, db: Session, row: ItnRequest) -> None:
    if row.mint_batch is not None:
        return   # it moves with its batch
    if (blocker := _mint_blocker(issuer, db, row.symbol, fixed=row.raw is not None)):
        note(row, f"waiting: {blocker}")
        return
    if row.raw is None:
        fix_raw(issuer, db, row, issuer.chain.multiplier(row.symbol))
        db.commit()
    result = attest(issuer, db, row.symbol, _round_key(f"attest:itn:{row.id}", row))
    if _mined(db, row, result, "waiting: reserve attestation") is None:
        return
    if row.status != "minting":
        move(db, row, "minting")
    _minting(issuer, db, row)


def fix_raw(issuer: Issuer, db: Session, row: ItnRequest, multiplier: int) -> None:
    """The raw units to mint, as a creation's (:func:`issuer.lifecycle.creations._fix_mint`):
    the shares in today's share units (every split the broker processed since they arrived),
    at ``multiplier``, rounded down. Shares that earned a reinvested dividend while waiting
    (custody held them at its record date) mint in that dividend's pre-dividend units instead,
    so the new multiplier gives the AP its dividend."""
    shares, token_like = row.qty, 0
    if (earned := entitlement.creation_entitlement(db, row.id)) is not None:
        assert earned.raw is not None
        shares, token_like = max(Decimal(0), shares - earned.qty), int(earned.raw)
    arrived = entitlement.arrived_on(issuer, row)
    since = None if arrived is None else arrived + dt.timedelta(days=1)
    for ratio in split_ratios(db, row.symbol, since):
        shares = units.after_split(shares, ratio)
    row.multiplier, row.raw = str(multiplier), str(token_like + shares_to_raw(shares, multiplier))


def _mint_blocker(issuer: Issuer, db: Session, symbol: str, *, fixed: bool) -> str | None:
    """Why a mint of ``symbol`` waits now: a halt, a paused token, or (until its raw amount is
    fixed) a corporate action's window or a scheduled multiplier change."""
    if (halt := open_halt(db, symbol)) is not None:
        return f"{symbol} is halted ({halt.reason})"
    if issuer.chain.is_paused(symbol):
        return f"the {symbol} token is paused"
    return None if fixed else mint_burn_blocker(issuer, db, symbol)


def _minting(issuer: Issuer, db: Session, row: ItnRequest) -> None:
    if row.mint_batch is not None:
        return   # it moves with its batch
    assert row.raw is not None
    result = chain_step(issuer, db, _round_key(f"mint:itn:{row.tokenization_request_id}", row),
                        "supply", lambda: issuer.chain.calls.mint(row.symbol, row.wallet,
                                                                  int(row.raw or 0)))
    if (refusal := reserve_refusal(result)) is not None and row.reserve_round < RESERVE_ROUNDS:
        row.reserve_round += 1
        move(db, row, "confirmed", f"the reserve refused the mint ({refusal}): custody is "
             f"attested again (round {row.reserve_round} of {RESERVE_ROUNDS})")
        return
    if (mined := _mined(db, row, result, "waiting: the mint is not mined yet")) is None:
        return
    row.tx_hash, row.block_number = mined.tx_hash, mined.block_number
    move(db, row, "minted", tx=mined.tx_hash, block=mined.block_number)
    check_invariant(issuer, db, row.symbol)
    _minted(issuer, db, row)


def _minted(issuer: Issuer, db: Session, row: ItnRequest) -> None:
    assert row.tx_hash is not None and row.tokenization_request_id is not None
    row.callback_attempts += 1
    try:
        answer = issuer.broker.tokenization_callback_mint(
            issuer.settings.broker_account_id,
            tokenization_request_id=row.tokenization_request_id, client_id=row.participant_id,
            wallet_address=row.wallet, tx_hash=row.tx_hash, network=row.network)
    except BrokerRejected as exc:
        move(db, row, "halted", f"callback/mint refused: {exc.code}: {exc.detail}")
        return
    crashpoints.reach("itn_mint.after_callback")
    row.callback_acknowledged, row.broker_status, row.fees = True, answer.status, answer.fees
    move(db, row, "completed", tx=row.tx_hash)


def _detected(issuer: Issuer, db: Session, row: ItnRequest) -> None:
    assert row.tx_hash is not None
    if row.callback_attempts == 0:
        # the same window and rule as a cash redemption of a deposit: nothing is asked of the
        # broker while a corporate action holds burns, and the deposit is redeemed whole, for
        # the shares it is worth at the multiplier after the window (a deposit held across a
        # reinvested dividend carries the dividend its tokens earned)
        if (blocker := mint_burn_blocker(issuer, db, row.symbol, burn=True)) is not None:
            note(row, f"waiting: {blocker}")
            return
        if row.raw is not None:
            _fix_redeemed(row, issuer.chain.multiplier(row.symbol))
        db.commit()   # the quantity asked for is fixed before the first call
    row.callback_attempts += 1
    try:
        answer = issuer.broker.tokenization_callback_redeem(
            issuer.settings.broker_account_id, issuer_request_id=row.issuer_request_id,
            underlying_symbol=row.symbol, token_symbol=row.token_symbol,
            client_id=row.participant_id, qty=row.qty, network=row.network,
            wallet_address=row.wallet, tx_hash=row.tx_hash)
    except BrokerRejected as exc:
        move(db, row, "rejected", f"callback/redeem refused: {exc.code}: {exc.detail}; the "
             "tokens stay in the redemption wallet")
        return
    row.tokenization_request_id, row.callback_acknowledged = answer.tokenization_request_id, True
    row.broker_status, row.fees = answer.status, answer.fees
    row.pending_since = utcnow()
    move(db, row, "pending")


def _fix_redeemed(row: ItnRequest, multiplier: int) -> None:
    """The shares a deposit of ``row.raw`` asks the broker for (rounded down to its 9
    decimals) and the raw dust below them, which goes back to the AP instead of being burned:
    the burn takes the raw the delivered shares are worth, rounded up, so custody never holds
    less than the supply is worth; the rest was worth less than a broker unit."""
    raw = int(row.raw or 0)
    row.multiplier = str(multiplier)
    row.qty = units.broker_qty_down(raw_to_shares(raw, multiplier))
    row.dust_raw = str(raw - shares_to_raw(row.qty, multiplier, up=True))


def _pending(issuer: Issuer, db: Session, row: ItnRequest) -> None:
    """``pending`` and ``review`` (the operators' queue, after ``ISSUER_ITN_REDEEM_TIMEOUT``):
    polls the broker's request; an operator may force-complete a redemption in review whose
    burn landed (:mod:`issuer.itn_desk`)."""
    if row.pending_since is None:
        row.pending_since = utcnow()
    account = issuer.settings.broker_account_id
    found = issuer.broker.tokenization_request(account, issuer_request_id=row.issuer_request_id)
    if found is None and row.tokenization_request_id is not None:
        # a keyed lookup may miss a request just created, or one aged out: ask by id
        found = issuer.broker.tokenization_request(
            account, tokenization_request_id=row.tokenization_request_id)
    if found is None:
        _waiting(issuer, db, row, "waiting: the broker does not find the request yet")
        return
    row.broker_status = found.status
    if found.status == "rejected":
        move(db, row, "rejected", f"the broker rejected the redemption: "
             f"{found.status_reason or 'no reason given'}; the tokens stay in the redemption "
             "wallet")
        return
    if found.status != "completed":
        _waiting(issuer, db, row, f"waiting: broker request {found.status}, transfer "
                 f"{found.transfer_status or 'not started'}")
        return
    move(db, row, "burning")
    check_invariant(issuer, db, row.symbol)   # the shares left custody: their tokens are out
    _burning(issuer, db, row)


def _waiting(issuer: Issuer, db: Session, row: ItnRequest, reason: str) -> None:
    """Still waiting for the broker: past the timeout, a pending redemption goes to the
    operators' queue (``review``), where it is still polled."""
    waited = (utcnow() - row.pending_since).total_seconds() if row.pending_since else 0.0
    if row.status == "pending" and waited > issuer.settings.itn_redeem_timeout:
        move(db, row, "review", f"the broker has not delivered the shares in {int(waited)} s "
             f"(ISSUER_ITN_REDEEM_TIMEOUT {issuer.settings.itn_redeem_timeout:g} s): in the "
             f"operators' queue; still polled ({reason})")
        return
    if row.status == "pending":   # in review, the reason it went there stays
        note(row, reason)


def burn_raw(row: ItnRequest) -> int:
    """The raw units a redemption burns: its deposit less the dust returned to the AP."""
    return int(row.raw or 0) - int(row.dust_raw or 0)


def _burning(issuer: Issuer, db: Session, row: ItnRequest) -> None:
    assert row.raw is not None
    calls, wallet = issuer.chain.calls, issuer.settings.redemption_wallet
    result = chain_step(issuer, db, f"burn:itn:{row.id}", "supply",
                        lambda: calls.burn(row.symbol, wallet, burn_raw(row)))
    if (burned := _mined(db, row, result, "waiting: the burn is not mined yet")) is None:
        return
    if (dust := int(row.dust_raw or 0)) > 0:
        returned = chain_step(issuer, db, f"dust:itn:{row.id}", "supply",
                              lambda: calls.forced_transfer(row.symbol, wallet, row.wallet,
                                                            dust))
        if _mined(db, row, returned, f"waiting: {dust} raw of dust are being returned to "
                  f"{row.wallet}") is None:
            return
    move(db, row, "completed", burn_tx=burned.tx_hash, block=burned.block_number,
         dust_returned=row.dust_raw)
    check_invariant(issuer, db, row.symbol)


def _round_key(base: str, row: ItnRequest) -> str:
    """An outbox key of this reserve round (the first round keeps the plain key)."""
    return base if row.reserve_round == 0 else f"{base}:{row.reserve_round}"


def _mined(db: Session, row: ItnRequest, result: ChainTx | ChainError,
           waiting: str) -> ChainTx | None:
    """A chain step's outcome for ``row`` (:func:`issuer.lifecycle.common.advance`): the mined
    transaction, or None when the row halted (refused or reverted) or waits (a transaction in
    flight noted in this step's words, ``waiting``)."""
    outcome = outcome_of(result)
    if isinstance(outcome, Waiting) and outcome.tx is not None:
        outcome = Waiting(waiting, outcome.tx)
    return advance(db, row, outcome)


# ----------------------------------------------------------------------------- batches


def mint_batches(issuer: Issuer) -> None:
    """Mints confirmed together are minted together: per symbol, the confirmed requests (at
    least two, at most ``ISSUER_MINT_BATCH_MAX``) get their raw amounts fixed and a batch id,
    stored before anything is sent; then one attestation (``attest:itnbatch:<id>``) and one
    ``batchMint`` (``mint:itnbatch:<id>``); each request then reports its own callback. A
    request alone takes the one-by-one path (``mint:itn:<tokenization request id>``)."""
    run_batches(issuer, ItnRequest, ("minting",), _form_batch, _advance_batch)


def _form_batch(issuer: Issuer, db: Session, symbol: str) -> bool:
    """One batch of up to ``mint_batch_max`` ready rows; False when fewer than two wait."""
    ready = list(db.scalars(select(ItnRequest).where(
        ItnRequest.symbol == symbol, ItnRequest.type == "mint",
        ItnRequest.status == "confirmed", ItnRequest.mint_batch.is_(None),
        ItnRequest.raw.is_(None)).order_by(ItnRequest.updated_at)
        .limit(issuer.settings.mint_batch_max)))
    if len(ready) < 2 or _mint_blocker(issuer, db, symbol, fixed=False) is not None:
        return False
    batch, multiplier = new_id(), issuer.chain.multiplier(symbol)
    for row in ready:
        row.mint_batch = batch
        fix_raw(issuer, db, row, multiplier)
        move(db, row, "minting", f"mint batch {batch} of {len(ready)}")
    db.commit()
    return True


def _advance_batch(issuer: Issuer, db: Session, batch: str) -> None:
    members = list(db.scalars(select(ItnRequest).where(
        ItnRequest.mint_batch == batch, ItnRequest.status == "minting")
        .order_by(ItnRequest.created_at, ItnRequest.id)))
    symbol = members[0].symbol
    attested = attest(issuer, db, symbol, f"attest:itnbatch:{batch}")
    if not isinstance(outcome_of(attested), Done):
        for row in members:   # each halts on a refusal, or notes why it waits
            _mined(db, row, attested, f"waiting: reserve attestation of batch {batch}")
        db.commit()
        return
    result = batch_mint(issuer, db, f"mint:itnbatch:{batch}", symbol, members)
    if (refusal := reserve_refusal(result)) is not None and \
            members[0].reserve_round < RESERVE_ROUNDS:
        for row in members:   # formed again next pass: a new attestation and mint
            row.mint_batch, row.raw, row.multiplier = None, None, None
            row.reserve_round += 1
            move(db, row, "confirmed", f"the reserve refused batch {batch}'s mint ({refusal}): "
                 f"custody is attested again (round {row.reserve_round} of {RESERVE_ROUNDS})")
        db.commit()
        return
    for row in members:
        if (mined := _mined(db, row, result, f"waiting: batch {batch} is not mined yet")) is None:
            continue
        row.tx_hash, row.block_number = mined.tx_hash, mined.block_number
        move(db, row, "minted", tx=mined.tx_hash, block=mined.block_number)
    check_invariant(issuer, db, symbol)
    db.commit()


_STEPS = {
    "confirmed": _confirmed,
    "minting": _minting,
    "minted": _minted,
    "detected": _detected,
    "pending": _pending,
    "review": _pending,
    "burning": _burning,
}
