"""A listing and the tickers it has traded under: the name changes the issuer recorded, for the
broker port (:class:`issuer.broker.tickers.TickerBroker`; inputs that name a stock go through
:func:`issuer.corporate.name_changes.listing_of`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.broker.tickers import Rename
from issuer.models import CorporateAction

#: A name change in these statuses never took effect at the broker (as far as the issuer
#: knows): its ticker is not used.
DROPPED = ("canceled", "failed")


def renames_of(db: Session) -> list[Rename]:
    """Every name change the issuer recorded, as renames of its listing (each from the ticker
    before it: the listing's own, or the previous rename's)."""
    rows = db.execute(select(CorporateAction.symbol, CorporateAction.new_symbol,
                             CorporateAction.ex_date).where(
        CorporateAction.kind == "name_change", CorporateAction.new_symbol.is_not(None),
        CorporateAction.status.not_in(DROPPED))
        .order_by(CorporateAction.symbol, CorporateAction.ex_date)).all()
    renames: list[Rename] = []
    previous: dict[str, str] = {}
    for listing, new, on in rows:
        renames.append(Rename(listing, previous.get(listing, listing), str(new), on))
        previous[listing] = str(new)
    return renames
