"""A name or symbol change (FB became META): the broker's ticker moves on the process date; the
token's name and symbol follow through its owner; the supply does not change.

announced -> proposed -> awaiting_approval -> approved -> renaming -> completed (or halted)

- ``announced``: waits for the process date (the window holds mints and burns from it until the
  token follows, so nothing is minted under a name the broker no longer uses). From it on, the
  broker's port reads the listing under its new ticker (:mod:`issuer.broker.tickers`); the
  custody position must be there and cover the supply (the invariant, read through the new
  ticker), else the action waits (the broker has not processed it yet) or halts (custody
  short). The figures: M0 (unchanged), the supply, settled custody, and the token's new name
  and symbol (the old ticker replaced by the new one in each) -> ``proposed``.
- ``proposed`` .. ``approved``: the same maker-checker approval as a multiplier change.
- ``approved``: the calls the token's owner sends (``setName``, ``setSymbol``: the issuer holds
  no owner key) are stored with their target and data -> ``renaming``.
- ``renaming``: once the token's ``name()`` and ``symbol()`` read the approved ones, the
  invariant is checked again -> ``completed``.

The listing keeps its symbol in every record (the deployment's key); the API answers for the
old and the new ticker alike (:func:`listing_of`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer.lifecycle.common import move, note
from issuer.listings import renames_of
from issuer.models import CorporateAction
from issuer.reserves import check_invariant, reconcile
from issuer.service import Issuer


def listing_of(issuer: Issuer, symbol: str) -> str:
    """The listing a symbol names: the listing itself, or any ticker it has traded under."""
    key = symbol.upper()
    if key in issuer.chain.stocks:
        return key
    tickers = getattr(issuer.broker, "tickers", None)
    return tickers.listing(key) if tickers is not None else key


def _followed(old: str, new: str, text: str) -> str:
    """``text`` (the token's name or symbol) with the old ticker replaced by the new one; a text
    without the old ticker gets the new one in front."""
    return text.replace(old, new) if old in text else f"{new} {text}"


def _announced(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.new_symbol is not None
    today = issuer.broker.clock().date
    if today < action.ex_date:
        note(action, f"waiting: the broker renames {action.symbol} to {action.new_symbol} on "
             f"{action.ex_date.isoformat()}")
        return
    report = reconcile(issuer, db, action.symbol)
    if report.custody_settled == 0 and report.economic_supply > 0:
        note(action, f"waiting: no custody position under {action.new_symbol} yet")
        return
    if not report.holds:
        move(db, action, "halted", f"custody under {action.new_symbol} "
             f"({report.custody_settled}) does not cover the supply ({report.economic_supply})")
        return
    old = issuer.chain.token_symbol(action.symbol)
    previous = _ticker_before(db, action)
    action.m0 = str(report.multiplier)
    action.supply_raw, action.custody_settled = str(report.raw_supply), report.custody_settled
    action.token_name = _followed(previous, action.new_symbol,
                                  issuer.chain.token_name(action.symbol))
    action.token_symbol = _followed(previous, action.new_symbol, old)
    move(db, action, "proposed", f"token {old} -> {action.token_symbol}")


def _ticker_before(db: Session, action: CorporateAction) -> str:
    earlier = [r for r in renames_of(db) if r.listing == action.symbol and r.on < action.ex_date]
    return earlier[-1].new if earlier else action.symbol


def _approved(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.token_name is not None and action.token_symbol is not None
    calls = issuer.chain.calls
    owner_calls = []
    for function, call in (
            (f"setName({action.token_name!r})",
             calls.set_token_name(action.symbol, action.token_name)),
            (f"setSymbol({action.token_symbol!r})",
             calls.set_token_symbol(action.symbol, action.token_symbol))):
        to, data = issuer.chain.encode(call)
        owner_calls.append({"function": function, "to": to, "data": data})
    action.owner_calls = owner_calls
    move(db, action, "renaming", "waiting for the token's owner to send setName and setSymbol "
         "(owner_calls)")


def _renaming(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    name, symbol = issuer.chain.token_name(action.symbol), issuer.chain.token_symbol(
        action.symbol)
    if (name, symbol) != (action.token_name, action.token_symbol):
        note(action, f"waiting: the token reads {name!r} / {symbol!r}; its owner sends "
             f"{action.token_name!r} / {action.token_symbol!r}")
        return
    report = check_invariant(issuer, db, action.symbol)
    if not report.holds:
        move(db, action, "halted", "the invariant fails after the name change")
        return
    action.custody_settled = report.custody_settled
    action.final_supply_raw = str(report.raw_supply)
    move(db, action, "completed", f"{action.symbol} trades as {action.new_symbol}; the token "
         f"is {symbol}")


STEPS = {"announced": _announced, "approved": _approved, "renaming": _renaming}
