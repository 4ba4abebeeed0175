"""A stock dividend (n new shares per share), folded into the multiplier: a step bounded by
custody, like a reinvested dividend without a purchase.

announced -> recorded -> proposed -> awaiting_approval -> approved -> scheduling -> scheduled ->
completed (or halted with the reason)

- ``announced``: the record snapshot, as for a cash dividend
  (:func:`issuer.corporate.dividends._announced`): raw supply R, M0, E = R * M0, checked against
  settled custody. Mints and burns have waited since the ex-date.
- ``recorded``: on the payable date the broker books a ``DIV`` entry of sub-type ``SDIV``
  (Q shares entitled, ``rate`` new shares per share) and pays any fraction as cash in lieu
  (``CIL``); custody received N = Q * rate - fractions new shares. Then
  M1 = floor(M0 * (Q + N) / Q), capped so that the supply at M1 is no more than settled custody
  (:mod:`issuer.corporate.arithmetic`); the cash in lieu stays in custody as cash (the tokens
  cannot hold a fraction the broker did not deliver).
- ``proposed`` .. ``scheduled``: the maker-checker approval and the schedule, as a dividend's
  (:mod:`issuer.corporate.schedule`: custody attested first, then ``scheduleMultiplier`` of
  kind ``Other``, which the token bounds by its fresh custody attestation, not by the dividend
  step: a stock dividend may be larger than any cash dividend).
- ``scheduled``: ``completed`` once the multiplier is in force; the residue recorded again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer.corporate import custody, dividends
from issuer.models import CorporateAction
from issuer.service import Issuer


def _recorded(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.payable_date is not None and action.m0 is not None
    shares = dividends.paid_out(
        issuer, db, action, lambda: custody.stock_dividend(issuer, action.corporate_action_id),
        f"waiting: the new shares on {action.payable_date.isoformat()}")
    if shares is None:
        return
    action.custody_entitled, action.filled_qty = shares.entitled, shares.received
    action.cash_in_lieu = shares.cash_in_lieu
    dividends.propose(issuer, db, action, shares.entitled, shares.received,
                      "the new shares stay as surplus collateral")


STEPS = {
    "announced": dividends.STEPS["announced"],
    "recorded": _recorded,
    "approved": dividends.STEPS["approved"],
    "scheduling": dividends.STEPS["scheduling"],
    "scheduled": dividends.STEPS["scheduled"],
}
