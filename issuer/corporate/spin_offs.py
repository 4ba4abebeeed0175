"""A spin-off: the parent's holders of record get shares of a new company, which custody
receives from the broker; the new company is listed through the factory and its tokens minted
to those holders pro rata.

announced -> recorded -> proposed -> awaiting_approval -> approved -> listing -> distributing ->
completed (or halted with the reason)

- ``announced``: the record snapshot, as for a cash dividend
  (:func:`issuer.corporate.dividends._announced`): raw supply R, M0, E = R * M0, checked against
  settled custody. The parent's mints and burns wait from the ex-date until the snapshot is
  taken (:func:`issuer.corporate.window.holds`); the holders at that block are the holders of
  record.
- ``recorded``: on the payable date the broker books ``SSO`` entries (the new company's shares
  delivered to custody, N) and ``CIL`` for a fraction it paid in cash. The figures
  (:func:`issuer.corporate.arithmetic.new_token_raws`): each holder of record (a deposit in
  the redemption wallet not burned yet counted as its sender's, as for a stablecoin
  dividend, and a creation or tokenization mint in flight whose shares custody held at the
  record, at its wallet: :func:`record_raws`) gets
  ``floor(raw_i * D / R)`` raw units of the new token, D = min(floor(R * M0 * rate / 1e18),
  N * 1e18); the rest of N (the floors, and what redemptions in flight or the surplus earned)
  stays in custody as the new listing's surplus (``residue``) -> ``proposed``.
- ``proposed`` .. ``approved``: the maker-checker approval, as a multiplier change's.
- ``approved``: the new listing's parameters (symbol and name) are stored for the factory's
  owner, who alone can list (the issuer holds no owner key): ``owner_calls`` -> ``listing``.
- ``listing``: once the deployment manifest lists the new company (:mod:`deploy.list_stock`
  replaces it; :attr:`issuer.chain.Chain.stocks` reads it again) -> ``distributing``.
- ``distributing``: custody's new shares are attested on the new token's reserve feed, then one
  ``batchMint`` per ``ISSUER_MINT_BATCH_MAX`` holders (outbox keys per batch, the same batches
  after a restart: the holders come from the indexed snapshot), then the invariant of the new
  listing is checked -> ``completed``. The new listing's own mints and burns wait until then.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer import indexer, units
from issuer.broker import BrokerRejected
from issuer.chain import checksum
from issuer.corporate import arithmetic, custody, dividends, entitlement, stablecoin
from issuer.corporate.schedule import key
from issuer.lifecycle.common import advance, attest, chain_step, move, note, outcome_of
from issuer.models import CorporateAction
from issuer.reserves import check_invariant
from issuer.service import Issuer


def record_raws(issuer: Issuer, db: Session, action: CorporateAction,
                kinds: tuple[str, ...] = entitlement.MINTING_KINDS) -> dict[str, int]:
    """Raw tokens per wallet at the record: the indexed holders at the snapshot block (a
    deposit in the redemption wallet counted as its sender's), and each creation (or
    tokenization mint, of ``kinds``) in flight that owned custody shares then, at its
    wallet, for the raw its shares are worth at M0."""
    assert action.m0 is not None
    raws = stablecoin.snapshot_raw(issuer, db, action)
    for _, minter, raw in entitlement.owed_raw(db, action.id, int(action.m0), kinds):
        wallet = checksum(minter)
        raws[wallet] = raws.get(wallet, 0) + raw
    return raws


def distribution(issuer: Issuer, db: Session, action: CorporateAction) -> dict[str, int]:
    """The new token's raw units per holder of record, computed the same way every time from
    the record (:func:`record_raws`) and the stored figures (``filled_qty``: the new shares
    received)."""
    assert action.snapshot_block is not None and action.m0 is not None
    assert action.old_rate and action.new_rate and action.filled_qty is not None
    holders = record_raws(issuer, db, action)
    rate = units.split_ratio(action.old_rate, action.new_rate)
    return {w: raw for w, raw in arithmetic.new_token_raws(
        holders, int(action.m0), rate, action.filled_qty).items() if raw > 0}


def _recorded(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.payable_date is not None and action.snapshot_block is not None
    assert action.new_symbol is not None
    shares = dividends.paid_out(
        issuer, db, action, lambda: custody.spin_off(issuer, action.corporate_action_id),
        f"waiting: the {action.new_symbol} shares on {action.payable_date.isoformat()}")
    if shares is None:
        return
    if (indexer.indexed_to(db) or 0) < action.snapshot_block:
        note(action, f"waiting: the holders of record (block {action.snapshot_block}) are "
             "not indexed yet")
        return
    action.custody_entitled, action.filled_qty = shares.entitled, shares.received
    action.cash_in_lieu = shares.cash_in_lieu
    raws = distribution(issuer, db, action)
    minted = sum(raws.values())
    action.supply_raw = str(minted)
    action.residue = arithmetic.residue(shares.received, minted, units.ONE)
    action.token_symbol = action.new_symbol
    action.token_name = _name(issuer, action.new_symbol)
    move(db, action, "proposed", f"{len(raws)} holders of record get "
         f"{units.raw_to_shares(minted, units.ONE)} {action.new_symbol} of the "
         f"{shares.received} custody received; {action.residue} stay as surplus")


def _name(issuer: Issuer, symbol: str) -> str:
    """The new token's name: the broker's name of the company, as a tokenized share (the
    symbol when the broker has no such asset; a broker that is down is waited for)."""
    try:
        name = issuer.broker.asset(symbol).name
    except BrokerRejected:
        name = None
    return f"{name or symbol} tokenized share"


def listing_calls(issuer: Issuer, action: CorporateAction) -> list[dict[str, str]]:
    """What the factory's owner does to list ``token_symbol`` (the issuer holds no owner key):
    the factory, the symbol and name, and the tool that makes the call and hands out roles."""
    assert action.token_symbol is not None and action.token_name is not None
    return [{
        "function": f"deployStock({action.token_symbol!r}, {action.token_name!r})",
        "to": issuer.chain.factory_address,
        "symbol": action.token_symbol, "name": action.token_name,
        "how": f"LIST_SYMBOL={action.token_symbol} LIST_NAME='{action.token_name}' "
               "MANIFEST=<the issuer's manifest> python -m toolchain.run deploy.list_stock"}]


def _approved(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    action.owner_calls = listing_calls(issuer, action)
    move(db, action, "listing", f"waiting for the factory's owner to list {action.token_symbol} "
         "(owner_calls)")


def _listing(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.token_symbol is not None
    if action.token_symbol not in issuer.chain.stocks:
        note(action, f"waiting: {action.token_symbol} is not in the deployment manifest yet")
        return
    move(db, action, "distributing", f"{action.token_symbol} is listed")


def minted_to_holders(issuer: Issuer, db: Session, action: CorporateAction, symbol: str,
                      raws: dict[str, int]) -> bool:
    """``symbol``'s custody attested, then ``raws`` minted to the holders of record, one
    ``batchMint`` per ``ISSUER_MINT_BATCH_MAX`` of them (an outbox key per batch: each sent
    once, whatever crashes); True once every batch is mined."""
    attested = attest(issuer, db, symbol, key(action, "attest"))
    if advance(db, action, outcome_of(attested, f"attesting {symbol} custody")) is None:
        return False
    items = list(raws.items())
    size = issuer.settings.mint_batch_max
    for start in range(0, len(items), size):
        part = items[start:start + size]
        wallets, amounts = [w for w, _ in part], [r for _, r in part]
        result = chain_step(issuer, db, key(action, f"mint-{start // size}"), "supply",
                            lambda w=wallets, a=amounts: issuer.chain.calls.batch_mint(
                                symbol, w, a))
        if advance(db, action, outcome_of(result, f"minting {symbol} to holders of record")) \
                is None:
            return False
    return True


def _distributing(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    symbol = action.token_symbol
    assert symbol is not None
    raws = distribution(issuer, db, action)
    if not minted_to_holders(issuer, db, action, symbol, raws):
        return
    report = check_invariant(issuer, db, symbol)
    if not report.holds:
        move(db, action, "halted", f"the {symbol} invariant fails after the distribution")
        return
    action.custody_settled, action.final_supply_raw = report.custody_settled, \
        str(report.raw_supply)
    move(db, action, "completed", f"{len(raws)} holders hold "
         f"{report.economic_supply} {symbol}; custody {report.custody_settled}")


STEPS = {
    "announced": dividends.STEPS["announced"],
    "recorded": _recorded,
    "approved": _approved,
    "listing": _listing,
    "distributing": _distributing,
}
