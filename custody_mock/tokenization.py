"""The broker's side of Alpaca's Instant Tokenization Network (ITN), as ``../shared/ITN.md``
models it.

Mint: an AP asks (``POST /v1/accounts/{ap}/tokenization/mint`` or ``POST /v2/tokenization/mint``)
-> the broker checks the link and the AP's settled, free shares (an AP without them is refused
here and the issuer is never asked) -> the dispatcher calls the issuer's mint request -> on
``created`` it journals the shares AP -> issuer at once (they are settled: they come out of the
AP's position) and calls the issuer's journal confirmation (``completed``, or ``rejected`` when
the journal failed) -> the issuer mints and calls ``callback/mint`` with the transaction hash ->
the request reads ``completed``.

Redeem: the issuer calls ``callback/redeem`` after tokens reached its redemption wallet -> the
broker journals the shares issuer -> AP -> the request reads ``completed`` (or ``rejected``); the
issuer polls it. Its ``tx_hash`` is empty while it is pending.

Calls to the issuer are deliveries (:class:`TokenizationDelivery`), sent by the dispatcher
(:mod:`custody_mock.itn_dispatch`) outside the broker's lock until the issuer answers, with
backoff. Share journals of the network move settled shares directly, whatever the direction:
this is the tokenization flow Alpaca runs, not a journal a client asks for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from custody_mock import accounts, faults, ledger, market, trading
from custody_mock.amounts import ZERO, cash_round, places
from custody_mock.context import Ctx
from custody_mock.errors import BrokerError, invalid, not_found
from custody_mock.journals import _execute, _queued_out_qty
from custody_mock.models import (
    Journal,
    TokenizationDelivery,
    TokenizationIssuer,
    TokenizationLink,
    TokenizationRequest,
)
from servicekit.tokenization import NETWORKS

#: The issuer's paths (ST0x's names for the mint request and the confirmation).
PATHS = {"issuance": "/inkind/issuance", "confirm": "/inkind/issuance/confirm",
         "connect": "/accounts/connect", "assets": "/tokenized-assets"}
#: Attempts before the broker gives up on an issuer that does not answer.
MAX_ATTEMPTS = 40


def wall_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def issuer(ctx: Ctx, name: str) -> TokenizationIssuer:
    found = ctx.db.get(TokenizationIssuer, name)
    if found is None:
        raise not_found("issuer", name)
    return found


def register_issuer(ctx: Ctx, *, name: str, account_id: str, base_url: str, api_key: str,
                    networks: Sequence[str]) -> TokenizationIssuer:
    ledger.account(ctx, account_id)
    row = ctx.db.get(TokenizationIssuer, name) or TokenizationIssuer(name=name)
    row.account_id, row.base_url, row.api_key = account_id, base_url.rstrip("/"), api_key
    row.networks = list(networks)
    ctx.db.add(row)
    ctx.db.flush()
    return row


def store_link(ctx: Ctx, *, account_id: str, issuer_name: str, email: str,
               client_id: str) -> TokenizationLink:
    ledger.account(ctx, account_id)
    existing = ctx.db.scalar(select(TokenizationLink).where(
        TokenizationLink.account_id == account_id, TokenizationLink.issuer == issuer_name))
    if existing is not None:
        raise BrokerError(409, "already_linked",
                          f"account {account_id} is already linked to {issuer_name}")
    link = TokenizationLink(account_id=account_id, issuer=issuer_name, email=email,
                            client_id=client_id, created_at=ctx.now)
    ctx.db.add(link)
    ctx.db.flush()
    return link


def _link(ctx: Ctx, account_id: str, issuer_name: str) -> TokenizationLink:
    link = ctx.db.scalar(select(TokenizationLink).where(
        TokenizationLink.account_id == account_id, TokenizationLink.issuer == issuer_name))
    if link is None:
        raise BrokerError(403, "not_linked", f"account {account_id} is not linked to the "
                          f"issuer {issuer_name}: connect it first")
    return link


def free_settled(ctx: Ctx, account_id: str, symbol: str) -> Decimal:
    """Settled shares not promised to a sale or a queued journal."""
    pos = ctx.db.get(ledger.Position, (account_id, symbol))
    settled = pos.qty_settled if pos is not None else ZERO
    return min(settled - _queued_out_qty(ctx, account_id, symbol),
               trading.sellable_qty(ctx, account_id, symbol))


def request_mint(ctx: Ctx, account_id: str, *, underlying_symbol: str, qty: Decimal,
                 issuer_name: str, network: str, wallet_address: str,
                 client_request_id: str | None) -> TokenizationRequest:
    """An AP's mint request: checked here (link, network, shares), then delivered."""
    account = ledger.account(ctx, account_id)
    if account.account_blocked or account.transfers_blocked:
        raise BrokerError(403, "transfers_blocked", f"transfers are blocked on {account_id}")
    link = _link(ctx, account_id, issuer_name)   # 403 for an issuer it is not linked to
    found = issuer(ctx, issuer_name)
    _known_network(network)
    if network not in found.networks:
        raise invalid("invalid_network", f"{issuer_name} does not issue on {network!r}; "
                      f"networks: {', '.join(found.networks)}")
    asset = ledger.asset(ctx, underlying_symbol)
    if qty <= 0 or places(qty) > 9:
        raise invalid("invalid_qty", "qty must be positive with at most 9 decimals")
    if qty > (free := free_settled(ctx, account_id, asset.symbol)):
        raise BrokerError(403, "insufficient_qty", f"the mint needs {qty} {asset.symbol} "
                          f"settled and free; the account has {free}")
    token = dict(found_assets(found)).get(asset.symbol, f"{asset.symbol}x")
    request = TokenizationRequest(
        type="mint", underlying_symbol=asset.symbol, token_symbol=token, qty=qty,
        issuer=issuer_name, network=network, wallet_address=wallet_address,
        client_request_id=client_request_id, client_account_id=account_id,
        client_external_account_id=link.client_id, created_at=ctx.now, updated_at=ctx.now,
        fees=fee_of(ctx, found, asset.symbol, qty))
    request.seq = _next_seq(ctx)
    scope = {"account_id": account_id, "symbol": asset.symbol}
    if faults.take(ctx, "itn_aged_out", **scope):
        request.aged_out = True
    ctx.db.add(request)
    ctx.db.flush()
    _deliver(ctx, request, "issuance", {
        "tokenization_request_id": request.id, "qty": format(qty, "f"),
        "underlying_symbol": asset.symbol, "token_symbol": token, "network": network,
        "client_id": link.client_id, "wallet_address": wallet_address},
        duplicates=1 if faults.take(ctx, "itn_callback_twice", **scope) else 0)
    return request


def found_assets(found: TokenizationIssuer) -> list[tuple[str, str]]:
    """(underlying, token symbol) pairs the issuer listed (``/tokenized-assets``)."""
    return [(a["underlying_symbol"], a["token_symbol"]) for a in (found.assets or [])]


def _deliver(ctx: Ctx, request: TokenizationRequest, kind: str, body: dict[str, Any], *,
             duplicates: int = 0) -> None:
    ctx.db.add(TokenizationDelivery(request_id=request.id, kind=kind, body=body,
                                    next_at=wall_now(), duplicates=duplicates))
    ctx.memo["itn_wake"] = True


def on_issuance(ctx: Ctx, request: TokenizationRequest, status: int,
                answer: dict[str, Any]) -> None:
    """The issuer answered the mint request: journal the shares and confirm, or take its
    refusal."""
    request.updated_at = ctx.now
    if status >= 400:
        request.status = "rejected"
        code = f" {answer['code']}" if answer.get("code") else ""
        request.status_reason = (f"issuer refused ({status}{code}): "
                                 f"{answer.get('reason') or answer.get('detail') or answer}")[:300]
        return
    if request.issuer_request_id is None:
        request.issuer_request_id = str(answer.get("issuer_request_id") or "")
    if request.transfer_status is not None:
        return  # a duplicate answer: the journal was already tried
    scope = {"account_id": request.client_account_id, "symbol": request.underlying_symbol}
    reason = None
    if faults.take(ctx, "itn_confirm_rejected", **scope):
        reason = "the share journal was not made"
    elif faults.take(ctx, "itn_journal_fail", **scope):
        request.transfer_status = "rejected"
        reason = "the share journal failed"
    elif request.qty > free_settled(ctx, request.client_account_id, request.underlying_symbol):
        request.transfer_status = "rejected"
        reason = "the account no longer holds the shares settled and free"
    if reason is not None:
        request.status, request.status_reason = "rejected", reason
        _deliver(ctx, request, "confirm", _confirmation(request, "rejected", reason))
        return
    found = issuer(ctx, request.issuer)
    request.journal_id = _journal(ctx, request, request.client_account_id, found.account_id)
    request.transfer_status = "completed"
    _deliver(ctx, request, "confirm", _confirmation(request, "completed", None))


def _confirmation(request: TokenizationRequest, status: str,
                  reason: str | None) -> dict[str, Any]:
    body = {"tokenization_request_id": request.id,
            "issuer_request_id": request.issuer_request_id, "status": status}
    if reason:
        body["reason"] = reason
    return body


def _journal(ctx: Ctx, request: TokenizationRequest, source: str, target: str) -> str:
    """The network's share journal, executed at once (settled shares move)."""
    journal = Journal(entry_type="JNLS", from_account=source, to_account=target,
                      symbol=request.underlying_symbol, qty=request.qty,
                      description=f"tokenization {request.type} {request.id}",
                      status="queued", entry_date=ctx.today, settle_date=ctx.today,
                      created_at=ctx.now)
    ctx.db.add(journal)
    ctx.db.flush()
    _execute(ctx, journal)
    return journal.id


def callback_mint(ctx: Ctx, account_id: str, body: dict[str, Any]) -> TokenizationRequest:
    """The issuer reports its mint: idempotent for the same transaction hash."""
    request = _issuer_request(ctx, account_id, str(body.get("tokenization_request_id")))
    if request.type != "mint":
        raise invalid("not_a_mint", f"request {request.id} is a {request.type}")
    if request.transfer_status != "completed":
        raise BrokerError(409, "not_transferred", f"request {request.id}: the shares were not "
                          "journaled, nothing may be minted")
    tx_hash = str(body.get("tx_hash") or "")
    if not tx_hash:
        raise invalid("invalid_tx_hash", "tx_hash is required")
    if str(body.get("wallet_address", "")).lower() != request.wallet_address.lower():
        raise invalid("wallet_mismatch", "wallet_address is not the request's")
    if request.status == "completed":
        if request.tx_hash.lower() != tx_hash.lower():
            raise BrokerError(409, "tx_hash_mismatch", f"request {request.id} was completed "
                              f"by {request.tx_hash}")
        return request
    request.tx_hash, request.status, request.updated_at = tx_hash, "completed", ctx.now
    _charge(ctx, request)
    return request


def callback_redeem(ctx: Ctx, account_id: str, body: dict[str, Any],
                    idempotency_key: str | None = None) -> TokenizationRequest:
    """The issuer asks to deliver shares for tokens it received: a ``redeem`` request,
    ``pending`` until the broker journals the shares (at most one per issuer request id). The
    client is named by ``client_id`` (its id at the issuer) or ``client_account_id`` (its
    account here); both, when given, must name the same link. An ``Idempotency-Key`` sent again
    with another body is refused (422 ``idempotency_key_reused``)."""
    found = _issuer_of_account(ctx, account_id)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    if idempotency_key is not None:
        keyed = ctx.db.scalar(select(TokenizationRequest).where(
            TokenizationRequest.issuer == found.name,
            TokenizationRequest.idempotency_key == idempotency_key))
        if keyed is not None:
            if keyed.idempotency_hash != digest:
                raise invalid("idempotency_key_reused", "this Idempotency-Key came with "
                              "another body")
            return keyed
    issuer_request_id = str(body.get("issuer_request_id") or "")
    if not issuer_request_id:
        raise invalid("invalid_issuer_request_id", "issuer_request_id is required")
    existing = ctx.db.scalar(select(TokenizationRequest).where(
        TokenizationRequest.issuer == found.name,
        TokenizationRequest.issuer_request_id == issuer_request_id))
    if existing is not None:
        return existing
    query = select(TokenizationLink).where(TokenizationLink.issuer == found.name)
    if body.get("client_id"):
        query = query.where(TokenizationLink.client_id == str(body["client_id"]))
    if body.get("client_account_id"):
        query = query.where(TokenizationLink.account_id == str(body["client_account_id"]))
    if not (body.get("client_id") or body.get("client_account_id")):
        raise invalid("invalid_client", "client_id or client_account_id is required")
    link = ctx.db.scalar(query)
    if link is None:
        raise not_found("client", str(body.get("client_id") or body.get("client_account_id")))
    asset = ledger.asset(ctx, str(body.get("underlying_symbol")))
    try:
        qty = Decimal(str(body.get("qty")))
    except ArithmeticError:
        raise invalid("invalid_qty", "qty is a decimal string") from None
    if not qty.is_finite() or qty <= 0 or places(qty) > 9:
        raise invalid("invalid_qty", "qty must be positive with at most 9 decimals")
    network = str(body.get("network"))
    _known_network(network)
    if network not in found.networks:
        raise invalid("invalid_network", f"{found.name} does not issue on {network!r}")
    request = TokenizationRequest(
        type="redeem", underlying_symbol=asset.symbol,
        token_symbol=str(body.get("token_symbol") or f"{asset.symbol}x"), qty=qty,
        issuer=found.name, network=network, wallet_address=str(body.get("wallet_address")),
        issuer_request_id=issuer_request_id, client_account_id=link.account_id,
        client_external_account_id=link.client_id, created_at=ctx.now, updated_at=ctx.now,
        idempotency_key=idempotency_key, idempotency_hash=digest, seq=_next_seq(ctx),
        fees=fee_of(ctx, found, asset.symbol, qty))
    ctx.db.add(request)
    ctx.db.flush()
    _deliver(ctx, request, "redeem", {"tx_hash": str(body.get("tx_hash") or "")})
    return request


def _next_seq(ctx: Ctx) -> int:
    """The next request's place in creation order (the broker's transactions are serialized)."""
    return int(ctx.db.scalar(select(func.max(TokenizationRequest.seq))) or 0) + 1


def on_redeem(ctx: Ctx, request: TokenizationRequest, tx_hash: str) -> bool:
    """Journal the shares issuer -> AP (no HTTP: the broker's own step); False when the
    journal waits (fault ``itn_redeem_held``: the request stays ``pending``, tried again)."""
    found = issuer(ctx, request.issuer)
    scope = {"account_id": found.account_id, "symbol": request.underlying_symbol}
    if faults.take(ctx, "itn_redeem_held", **scope):
        return False
    request.updated_at = ctx.now
    if faults.take(ctx, "itn_journal_fail", **scope):
        request.status, request.transfer_status = "rejected", "rejected"
        request.status_reason = "the share journal failed"
        return True
    if request.qty > free_settled(ctx, found.account_id, request.underlying_symbol):
        request.status, request.transfer_status = "rejected", "rejected"
        request.status_reason = "the issuer's account does not hold the shares settled and free"
        return True
    request.journal_id = _journal(ctx, request, found.account_id, request.client_account_id)
    request.status, request.transfer_status, request.tx_hash = "completed", "completed", tx_hash
    _charge(ctx, request)
    return True


def _known_network(network: str) -> None:
    if network not in NETWORKS:
        raise invalid("invalid_network", f"{network!r} is not a tokenization network; "
                      f"networks: {', '.join(NETWORKS)}")


def fee_of(ctx: Ctx, found: TokenizationIssuer, symbol: str, qty: Decimal) -> Decimal:
    """The network's fee for a request of ``qty`` shares of ``symbol`` under the issuer's
    schedule: the flat fee plus ``fee_bps`` of the notional at the last price, cents rounded
    half up (no price: the flat fee)."""
    price = market.price_at(ctx, symbol) if found.fee_bps else None
    variable = cash_round(qty * price * found.fee_bps / 10_000) if price is not None else ZERO
    return cash_round(found.fee_flat + variable)


def _charge(ctx: Ctx, request: TokenizationRequest) -> None:
    """The AP pays the request's fee (``FEE`` on its account) when the request completes."""
    if request.fees > 0:
        accounts.charge_fee(ctx, request.client_account_id, request.fees,
                            f"tokenization {request.type} {request.id} fee",
                            request.underlying_symbol)


def _issuer_of_account(ctx: Ctx, account_id: str) -> TokenizationIssuer:
    found = ctx.db.scalar(select(TokenizationIssuer).where(
        TokenizationIssuer.account_id == account_id))
    if found is None:
        raise BrokerError(403, "not_an_issuer", f"account {account_id} is no tokenization "
                          "issuer's account")
    return found


def _issuer_request(ctx: Ctx, account_id: str, request_id: str) -> TokenizationRequest:
    found = _issuer_of_account(ctx, account_id)
    request = ctx.db.get(TokenizationRequest, request_id)
    if request is None or request.issuer != found.name:
        raise not_found("tokenization_request", request_id)
    return request


def visible_to(ctx: Ctx, account_id: str) -> tuple[str, str | None]:
    """Whose requests an account sees: an issuer's account its issuer's, an AP its own."""
    found = ctx.db.scalar(select(TokenizationIssuer).where(
        TokenizationIssuer.account_id == account_id))
    return ("issuer", found.name) if found is not None else ("client", None)


def requests(ctx: Ctx, account_id: str, *, type: str | None = None,
             status: str | None = None, underlying_symbol: str | None = None
             ) -> list[TokenizationRequest]:
    ledger.account(ctx, account_id)
    role, name = visible_to(ctx, account_id)
    query = select(TokenizationRequest).where(TokenizationRequest.aged_out.is_(False))
    query = query.where(TokenizationRequest.issuer == name) if role == "issuer" else \
        query.where(TokenizationRequest.client_account_id == account_id)
    if type:
        query = query.where(TokenizationRequest.type == type)
    if status:
        query = query.where(TokenizationRequest.status == status)
    if underlying_symbol:
        query = query.where(TokenizationRequest.underlying_symbol == underlying_symbol.upper())
    return list(ctx.db.scalars(query.order_by(TokenizationRequest.created_at,
                                              TokenizationRequest.id)))


def one(ctx: Ctx, account_id: str, *, request_id: str | None = None,
        client_request_id: str | None = None,
        issuer_request_id: str | None = None) -> TokenizationRequest:
    """One request the account may see, by id or by a client's or issuer's key (an aged-out
    request is still found; a keyed lookup may answer 404 just after creation, a fault)."""
    ledger.account(ctx, account_id)
    role, name = visible_to(ctx, account_id)
    query = select(TokenizationRequest)
    query = query.where(TokenizationRequest.issuer == name) if role == "issuer" else \
        query.where(TokenizationRequest.client_account_id == account_id)
    key = request_id or client_request_id or issuer_request_id or ""
    if request_id is not None:
        query = query.where(TokenizationRequest.id == request_id)
    elif client_request_id is not None:   # a label: the most recent request that bears it
        query = query.where(TokenizationRequest.client_request_id == client_request_id).order_by(
            TokenizationRequest.seq.desc()).limit(1)
    else:
        query = query.where(TokenizationRequest.issuer_request_id == issuer_request_id)
    found = ctx.db.scalar(query)
    if found is None or (request_id is None and faults.take(
            ctx, "itn_lookup_404", account_id=account_id)):
        raise not_found("tokenization_request", key)
    return found
