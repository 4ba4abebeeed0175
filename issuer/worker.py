"""The worker: one pass moves every open investor onboarding, corporate action (after picking up
new announcements and amendments), creation and redemption by a step, indexes the chain
(starting redemptions from deposits), then checks the invariant for every symbol; a lifecycle
step that moved is followed by a check of its symbol. Each step runs in its own transaction, so
a crash loses at most the step in flight, which the next pass repeats idempotently."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from issuer import deposits, indexer
from issuer.corporate import discovery
from issuer.corporate import steps as corporate_actions
from issuer.lifecycle import creations, itn, onboarding, redemptions
from issuer.models import CorporateAction, Creation, Investor, ItnRequest, Redemption
from issuer.reserves import OPEN_CREATIONS, OPEN_REDEMPTIONS, Reconciliation, check_invariant
from issuer.service import Issuer
from servicekit import logs

Step = Callable[[Issuer, Session, Any], None]
LOG = logs.get("issuer.worker")


def _advance_all(issuer: Issuer, model: Any, key: Any, statuses: tuple[str, ...],
                 step: Step, *, check: bool = True) -> int:
    """Step every open row of ``model``; the number whose status changed."""
    moved = 0
    with issuer.session() as db:
        keys = list(db.scalars(select(key).where(
            model.status.in_(statuses), model.status != "halted")
            .order_by(model.updated_at)))
    for value in keys:
        try:
            with issuer.session() as db:
                row = db.get(model, value)
                if row is None:
                    continue
                before = row.status
                step(issuer, db, row)
                moved += row.status != before
                if check and row.status != before and hasattr(row, "symbol"):
                    check_invariant(issuer, db, row.symbol)  # after every step that moved
        except StaleDataError:
            # an operator's request changed the row during the step: the step's writes are
            # rolled back (as in a crash) and the next pass takes it from its new state
            LOG.info("worker.stale_row", model=model.__name__, id=value)
            continue
    return moved


def run_itn(issuer: Issuer) -> int:
    """The tokenization network's steps alone (what a confirmed ITN mint waits for): batches,
    then each request. Its steps check the invariant themselves where supply moves (a mint or
    a burn mined), not after a callback."""
    itn.mint_batches(issuer)   # ITN mints confirmed together: one attestation, one batchMint
    return _advance_all(issuer, ItnRequest, ItnRequest.id, itn.OPEN, itn.step, check=False)


def run_once(issuer: Issuer) -> dict[str, Reconciliation]:
    start, moved = time.perf_counter(), {}
    moved["investors"] = _advance_all(issuer, Investor, Investor.wallet, onboarding.OPEN,
                                      onboarding.step)
    with issuer.session() as db:
        discovery.discover(issuer, db)
    moved["corporate_actions"] = _advance_all(
        issuer, CorporateAction, CorporateAction.id, corporate_actions.ACTIVE,
        corporate_actions.step)
    moved["itn"] = run_itn(issuer)
    creations.mint_batches(issuer)   # creations settled by the last pass, minted together
    moved["creations"] = _advance_all(issuer, Creation, Creation.id, OPEN_CREATIONS,
                                      creations.step)
    moved["redemptions"] = _advance_all(issuer, Redemption, Redemption.id, OPEN_REDEMPTIONS,
                                        redemptions.step)
    with issuer.session() as db:
        indexer.run_once(issuer, db)
        deposits.start_redemptions(issuer, db)
    reports = {}
    for symbol in issuer.chain.stocks:
        with issuer.session() as db:
            reports[symbol] = check_invariant(issuer, db, symbol)
    LOG.info("worker.pass", duration_ms=round((time.perf_counter() - start) * 1000, 1),
             moved=sum(moved.values()), **{f"moved_{k}": v for k, v in moved.items() if v},
             holds=all(r.holds for r in reports.values()))
    return reports
