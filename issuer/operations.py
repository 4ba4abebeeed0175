"""Operator commands on creations, redemptions and participants, validated before any write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import audit as audit_trail
from issuer import validation
from issuer.broker import BrokerRejected
from issuer.corporate.name_changes import listing_of
from issuer.db import utcnow
from issuer.errors import IssuerError, conflict, invalid, not_found
from issuer.lifecycle.common import move
from issuer.models import (
    Approval,
    CorporateAction,
    Creation,
    Investor,
    Participant,
    Redemption,
)
from issuer.service import Issuer
from issuer.units import shares_to_raw
from servicekit import logs
from servicekit.decimals import places

KINDS = ("cash", "in_kind")
LOG = logs.get("issuer.operations")


audit = audit_trail.audit   # the one writer (issuer.audit), under the name routes import


def register_participant(issuer: Issuer, db: Session, *, name: str, broker_account_id: str,
                         wallet: str, actor: str, email: str | None = None) -> Participant:
    wallet = _address(wallet)
    if db.scalar(select(Participant).where(Participant.name == name)) is not None:
        raise conflict("participant_exists", f"a participant named {name!r} exists")
    email = email.strip().lower() if email else None
    if email and db.scalar(select(Participant).where(Participant.email == email)) is not None:
        raise conflict("email_taken", f"a participant with the email {email!r} exists")
    if not issuer.chain.is_verified(wallet):
        raise conflict("wallet_not_verified", f"{wallet} is not a verified investor wallet")
    try:
        issuer.broker.account(broker_account_id)
    except BrokerRejected as exc:
        raise invalid("unknown_broker_account",
                      f"broker account {broker_account_id!r}: {exc.detail}") from exc
    participant = Participant(name=name, broker_account_id=broker_account_id, wallet=wallet,
                              email=email, created_at=utcnow())
    db.add(participant)
    db.flush()
    audit(db, actor, "participant.register", participant.id, name=name, wallet=wallet)
    return participant


def _request(issuer: Issuer, db: Session, participant_id: str, symbol: str, qty: Decimal,
             kind: str) -> tuple[Participant, str]:
    """The checks both requests share; returns the participant and the canonical symbol."""
    participant = _participant(db, participant_id)
    symbol = symbol_of(issuer, symbol)
    _shares(qty)
    if kind not in KINDS:
        raise invalid("invalid_kind", f"kind is one of {', '.join(KINDS)}")
    return participant, symbol


def request_approval(db: Session, action: str, payload: dict[str, Any], actor: str) -> Approval:
    """Open a maker-checker approval of ``action``, asked for by the operator ``actor``."""
    approval = Approval(action=action, payload=payload, status="pending", requested_by=actor,
                        created_at=utcnow())
    db.add(approval)
    db.flush()
    audit(db, actor, f"approval.request.{action}", approval.id, **payload)
    return approval


def _store(db: Session, row: Creation | Redemption, actor: str) -> None:
    db.add(row)
    db.flush()
    action = "creation.request" if isinstance(row, Creation) else "redemption.request"
    audit(db, actor, action, row.id, symbol=row.symbol, qty=row.qty, kind=row.kind)
    # the line that ties the request (its request id) to the lifecycle (its id)
    LOG.info("lifecycle.requested", kind=action.split(".")[0], id=row.id, symbol=row.symbol,
             qty=str(row.qty), participant_id=row.participant_id, by=actor)


def request_creation(issuer: Issuer, db: Session, *, participant_id: str, symbol: str,
                     qty: Decimal, kind: str = "cash", actor: str) -> Creation:
    participant, symbol = _request(issuer, db, participant_id, symbol, qty, kind)
    if kind == "in_kind":
        raise invalid("in_kind_creation_via_itn",
                      "Alpaca journals shares from the firm account to a user account only: "
                      "an in-kind creation comes in through Alpaca's tokenization network")
    if not issuer.chain.is_verified(participant.wallet):
        raise conflict("wallet_not_verified",
                      f"the participant's wallet {participant.wallet} is not verified")
    if (removal := winding_down(db, symbol)) is not None:
        raise conflict("symbol_removed", f"{symbol} is {_WHY[removal.kind]} on "
                       f"{removal.ex_date.isoformat()}: nothing is minted after the "
                       "announcement (redemptions go on until then)")
    now = utcnow()
    creation = Creation(symbol=symbol, participant_id=participant.id, kind=kind, qty=qty,
                        status="requested", wallet=participant.wallet, created_by=actor,
                        created_at=now, updated_at=now)
    _store(db, creation, actor)
    large = issuer.settings.large_mint_shares
    if qty > large:  # a second operator (an admin) must release it
        approval = request_approval(db, "creation", {"creation_id": creation.id}, actor)
        move(db, creation, "awaiting_approval",
             f"needs approval {approval.id} (more than {large} shares)")
    return creation


def request_redemption(issuer: Issuer, db: Session, *, participant_id: str, symbol: str,
                       qty: Decimal, kind: str = "cash", actor: str) -> Redemption:
    participant, symbol = _request(issuer, db, participant_id, symbol, qty, kind)
    if (removal := winding_down(db, symbol)) is not None and \
            issuer.broker.clock().date >= removal.ex_date:
        raise conflict("symbol_removed", f"{symbol} was {_WHY[removal.kind]} on "
                       f"{removal.ex_date.isoformat()}: its final redemption window is over")
    needed = shares_to_raw(qty, issuer.chain.multiplier(symbol), up=True)
    balance = issuer.chain.balance(symbol, participant.wallet)
    if needed > balance:
        raise invalid("insufficient_tokens",
                      f"{participant.wallet} holds {balance} raw {symbol}, {needed} needed")
    now = utcnow()
    redemption = Redemption(symbol=symbol, participant_id=participant.id, kind=kind, qty=qty,
                            wallet=participant.wallet, status="requested", created_by=actor,
                            created_at=now, updated_at=now)
    _store(db, redemption, actor)
    return redemption


#: The kinds after which nothing is minted: the symbol is on its way out.
WINDING_DOWN = ("worthless_removal", "delisting")
_WHY = {"worthless_removal": "removed as worthless", "delisting": "delisted"}


def winding_down(db: Session, symbol: str) -> CorporateAction | None:
    """``symbol``'s worthless removal or delisting, once announced (and not withdrawn)."""
    return db.scalar(select(CorporateAction).where(
        CorporateAction.symbol == symbol, CorporateAction.kind.in_(WINDING_DOWN),
        CorporateAction.status.not_in(("canceled", "failed"))).limit(1))


def cancel_creation(db: Session, creation_id: str, actor: str) -> Creation:
    creation = db.get(Creation, creation_id)
    if creation is None:
        raise not_found("creation", creation_id)
    if creation.status != "requested":
        raise conflict("not_cancelable",
                       f"creation {creation_id} is {creation.status}; only a creation not yet "
                       "sent to the broker can be canceled")
    move(db, creation, "canceled", f"canceled by {actor}")
    audit(db, actor, "creation.cancel", creation.id)
    return creation


def _participant(db: Session, participant_id: str) -> Participant:
    participant = db.get(Participant, participant_id)
    if participant is None:
        raise not_found("participant", participant_id)
    return participant


def symbol_of(issuer: Issuer, symbol: str) -> str:
    """The listing ``symbol`` names (its own symbol, or any ticker a name change gave it), or
    404 ``unknown_symbol``."""
    key = listing_of(issuer, symbol)
    if key not in issuer.chain.stocks:
        raise IssuerError(404, "unknown_symbol", f"no token for {symbol!r}")
    return key


def _shares(qty: Decimal) -> None:
    if not qty.is_finite() or qty <= 0:
        raise invalid("invalid_qty", "qty must be a positive number of shares")
    if places(qty) > 9:
        raise invalid("invalid_qty", "qty has more than 9 decimals (the broker's precision)")


def _address(value: str) -> str:
    return validation.require_address(value, "wallet")


def onboard_investor(issuer: Issuer, db: Session, *, wallet: str, country: int,
                     identity: str | None, actor: str) -> Investor:
    """Start onboarding: deploy an identity with a KYC claim, or link an existing identity."""
    wallet = _address(wallet)
    if not 1 <= country <= 999:
        raise invalid("invalid_country", "country is an ISO 3166-1 numeric code (1-999)")
    linked = _address(identity) if identity is not None else None
    existing = db.get(Investor, wallet)
    if existing is not None and existing.status not in ("offboarded", "failed"):
        raise conflict("investor_exists", f"{wallet} is {existing.status}")
    if existing is None and issuer.chain.in_registry(wallet):
        raise conflict("investor_exists", f"{wallet} is already in the identity registry")
    now = utcnow()
    investor = existing or Investor(wallet=wallet, created_at=now)
    investor.identity, investor.mode = linked, "link" if linked else "deploy"
    investor.country, investor.status, investor.status_reason = country, "requested", None
    investor.created_by, investor.created_at, investor.updated_at = actor, now, now
    db.add(investor)
    db.flush()
    audit(db, actor, "investor.onboard", wallet, country=country, identity=linked)
    return investor


def offboard_investor(issuer: Issuer, db: Session, wallet: str, actor: str) -> Investor:
    """Start removing ``wallet`` from the identity registry. A wallet that still holds any of
    the issuer's tokens is refused: its identity-keyed compliance records (holding locks, holder
    counts) would be orphaned, and the registry's storage refuses the removal on chain too."""
    investor = db.get(Investor, _address(wallet))
    if investor is None:
        raise not_found("investor", wallet)
    if investor.status != "active":
        raise conflict("not_active", f"{investor.wallet} is {investor.status}")
    held = {symbol: raw for symbol in issuer.chain.stocks
            if (raw := issuer.chain.balance(symbol, investor.wallet)) > 0}
    if held:
        raise conflict("wallet_holds_tokens",
                       f"{investor.wallet} still holds " + ", ".join(
                           f"{raw} raw {symbol}" for symbol, raw in sorted(held.items()))
                       + "; move its tokens first (forced transfer or recovery)")
    audit(db, actor, "investor.offboard", investor.wallet)   # the request, then its step
    move(db, investor, "offboarding", f"asked by {actor}", actor=actor)
    return investor
