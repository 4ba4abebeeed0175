"""The worker: one pass moves every open creation and redemption by a step, then checks the
invariant for every symbol. Each lifecycle step runs in its own transaction, so a crash loses at
most the step in flight, which the next pass repeats idempotently."""

from __future__ import annotations

from sqlalchemy import select

from issuer import deposits, indexer
from issuer.lifecycle import creations, onboarding, redemptions
from issuer.models import Creation, Investor, Redemption
from issuer.reserves import OPEN_CREATIONS, OPEN_REDEMPTIONS, Reconciliation, check_invariant
from issuer.service import Issuer


def run_once(issuer: Issuer) -> dict[str, Reconciliation]:
    with issuer.session() as db:
        creation_ids = list(db.scalars(select(Creation.id).where(
            Creation.status.in_(OPEN_CREATIONS), Creation.status != "halted")
            .order_by(Creation.created_at)))
        redemption_ids = list(db.scalars(select(Redemption.id).where(
            Redemption.status.in_(OPEN_REDEMPTIONS), Redemption.status != "halted")
            .order_by(Redemption.created_at)))
    for creation_id in creation_ids:
        with issuer.session() as db:
            row = db.get(Creation, creation_id)
            if row is not None:
                creations.step(issuer, db, row)
    with issuer.session() as db:
        wallets = list(db.scalars(select(Investor.wallet).where(
            Investor.status.in_(onboarding.OPEN)).order_by(Investor.updated_at)))
    for wallet in wallets:
        with issuer.session() as db:
            investor = db.get(Investor, wallet)
            if investor is not None:
                onboarding.step(issuer, db, investor)
    for redemption_id in redemption_ids:
        with issuer.session() as db:
            row = db.get(Redemption, redemption_id)
            if row is not None:
                redemptions.step(issuer, db, row)
    with issuer.session() as db:
        indexer.run_once(issuer, db)
        deposits.start_redemptions(issuer, db)
    reports = {}
    for symbol in issuer.chain.stocks:
        with issuer.session() as db:
            reports[symbol] = check_invariant(issuer, db, symbol)
    return reports
