"""The issuer's side of the broker's tokenization network (ITN, ``../shared/ITN.md``): what the
broker calls, checked and stored before anything moves.

- ``/accounts/connect``: links the participant whose email the broker presents to the AP's
  broker account number; answers the participant's id as ``client_id``.
- ``/tokenized-assets``: the tokens offered, with their network.
- the mint request (``/inkind/issuance``): refused with a reason (wallet not the client's, token
  not on that network, client not eligible, asset frozen or in a corporate-action window, bad
  payload), else stored as ``created`` under the broker's ``tokenization_request_id``: asked
  again, it answers the same request, never a second one.
- the journal confirmation (``/inkind/issuance/confirm``): ``completed`` moves the request to
  ``confirmed`` (the worker mints, :mod:`issuer.lifecycle.itn`); ``rejected`` ends it. A
  rejection after the shares were confirmed is refused (nothing is ever un-minted).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import validation
from issuer.corporate.name_changes import listing_of
from issuer.corporate.window import mint_burn_blocker
from issuer.db import utcnow
from issuer.errors import IssuerError
from issuer.lifecycle.common import move
from issuer.models import ItnRequest, Participant, new_id
from issuer.operations import audit
from issuer.reserves import open_halt
from issuer.service import Issuer

#: Statuses after which a mint request's shares were confirmed (never rejected any more).
CONFIRMED = ("confirmed", "minting", "minted", "completed", "halted")


def refused(code: str, reason: str) -> IssuerError:
    """ITN refusals are 400 with a reason the broker shows the AP."""
    return IssuerError(400, code, reason, reason=reason)


def token_symbol(issuer: Issuer, symbol: str) -> str:
    """The token's ERC-20 symbol (read once per process: it never changes)."""
    address = issuer.chain.stock(symbol).token.address
    if address not in _SYMBOLS:
        _SYMBOLS[address] = issuer.chain.token_symbol(symbol)
    return _SYMBOLS[address]


_SYMBOLS: dict[str, str] = {}


def tokenized_assets(issuer: Issuer) -> list[dict[str, Any]]:
    """Each listing's token, under every ticker its underlying has traded under (a name
    change's new ticker beside the listing's own: requests under either are the listing's,
    :func:`issuer.corporate.name_changes.listing_of`)."""
    tickers: dict[str, list[str]] = {symbol: [symbol] for symbol in issuer.chain.stocks}
    for rename in issuer.renames():
        if rename.listing in tickers and rename.new not in tickers[rename.listing]:
            tickers[rename.listing].append(rename.new)
    return [{"underlying_symbol": ticker, "token_symbol": token_symbol(issuer, listing),
             "networks": [issuer.settings.itn_network],
             "token_address": issuer.chain.stock(listing).token.address}
            for listing, names in tickers.items() for ticker in names]


def connect(db: Session, *, email: str, account: str) -> Participant:
    participant = db.scalar(select(Participant).where(Participant.email == email.lower()))
    if participant is None:
        raise IssuerError(404, "unknown_email", f"no participant with the email {email!r}")
    if participant.itn_account_number not in (None, account):
        raise IssuerError(409, "already_linked", "the participant is linked to another "
                          "broker account")
    if participant.itn_account_number is None:
        participant.itn_account_number = account
        audit(db, "broker", "itn.connect", participant.id, account=account)
    return participant


def request_mint(issuer: Issuer, db: Session, body: dict[str, Any]) -> ItnRequest:
    """The broker's mint request: a stored ``created`` request, or a refusal with its reason."""
    request_id = body.get("tokenization_request_id")
    if not isinstance(request_id, str) or not request_id or len(request_id) > 64:
        raise refused("invalid_payload", "tokenization_request_id is a string of 1-64 chars")
    existing = db.scalar(select(ItnRequest).where(
        ItnRequest.tokenization_request_id == request_id))
    if existing is not None:
        if existing.payload != body:
            raise IssuerError(409, "request_replayed_differently",
                              f"request {request_id} was made with another payload")
        return existing
    qty = _qty(body.get("qty"))
    participant = db.get(Participant, str(body.get("client_id")))
    if participant is None or participant.itn_account_number is None:
        raise refused("client_not_eligible", "the client is no participant linked for ITN")
    wallet = str(body.get("wallet_address", ""))
    if wallet.lower() != participant.wallet.lower():
        raise refused("wallet_not_client", "the wallet is not the client's registered wallet")
    # the listing, under its own symbol or a ticker a name change gave it
    symbol = listing_of(issuer, str(body.get("underlying_symbol", "")))
    if symbol not in issuer.chain.stocks:
        raise refused("token_not_on_network", f"{symbol!r} is not tokenized here")
    if body.get("network") != issuer.settings.itn_network or body.get(
            "token_symbol") != token_symbol(issuer, symbol):
        raise refused("token_not_on_network", f"the token of {symbol} is "
                      f"{token_symbol(issuer, symbol)} on {issuer.settings.itn_network}")
    if not issuer.chain.is_verified(participant.wallet):
        raise refused("client_not_eligible", "the client's wallet is not verified")
    if (halt := open_halt(db, symbol)) is not None or issuer.chain.is_paused(symbol):
        raise refused("asset_frozen", f"{symbol} is halted or paused"
                      + (f": {halt.reason}" if halt else ""))
    if (blocker := mint_burn_blocker(issuer, db, symbol)) is not None:
        raise refused("corporate_action_window", f"mints of {symbol} wait: {blocker}")
    now = utcnow()
    row = ItnRequest(type="mint", status="created", tokenization_request_id=request_id,
                     issuer_request_id="", participant_id=participant.id, symbol=symbol,
                     token_symbol=str(body["token_symbol"]), network=str(body["network"]),
                     qty=qty, wallet=participant.wallet, payload=body, created_at=now,
                     updated_at=now)
    row.issuer_request_id = row.id = new_id()
    db.add(row)
    db.flush()
    audit(db, "broker", "itn.mint.created", row.id, tokenization_request_id=request_id,
          symbol=symbol, qty=str(qty), participant=participant.id)
    return row


def _qty(value: object) -> Decimal:
    qty = validation.parse_quantity(value)
    if qty is None:
        raise refused("invalid_payload", "qty is a positive decimal string (ASCII digits, at "
                      "most 12 before the point and 9 after; no exponent, sign or spaces)")
    return qty


def confirm(issuer: Issuer, db: Session,  # noqa: ARG001 (as the other endpoints)
            body: dict[str, Any]) -> ItnRequest:
    """The broker's journal confirmation."""
    row = db.scalar(select(ItnRequest).where(
        ItnRequest.tokenization_request_id == str(body.get("tokenization_request_id")),
        ItnRequest.type == "mint"))
    if row is None or body.get("issuer_request_id") not in (None, row.issuer_request_id):
        raise IssuerError(404, "request_not_found", "no mint request "
                          f"{body.get('tokenization_request_id')!r} with that issuer request id")
    status = body.get("status")
    if status not in ("completed", "rejected"):
        raise refused("invalid_payload", "status is completed or rejected")
    if status == "completed":
        if row.status == "created":
            move(db, row, "confirmed", "the broker journaled the shares", actor="broker")
        elif row.status == "rejected":
            raise IssuerError(409, "request_rejected", f"request {row.id} was rejected")
        return row
    if row.status in CONFIRMED:
        raise IssuerError(409, "request_confirmed", f"request {row.id} was confirmed "
                          "completed: its mint is not undone")
    if row.status != "rejected":
        move(db, row, "rejected",
             str(body.get("reason") or "the broker rejected the journal")[:500], actor="broker")
    return row
