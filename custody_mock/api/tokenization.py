"""The tokenization network's endpoints (see :mod:`custody_mock.tokenization`): the AP's mint
request and reads (Broker API ``/v1/accounts/{id}/tokenization/...`` and Trading API
``/v2/tokenization/...``), the issuer's callbacks and reads, and the broker's set-up of issuers
and links (``/_mock/tokenization/...``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, Header, Request

from custody_mock import keys, ledger, tokenization
from custody_mock.amounts import places
from custody_mock.api.deps import BrokerDep, authenticate, authenticate_control
from custody_mock.errors import BrokerError, invalid
from custody_mock.models import TokenizationRequest
from custody_mock.schemas import (
    CallbackMintIn,
    CallbackRedeemIn,
    TokenizationIssuerOut,
    TokenizationIssuerSet,
    TokenizationLinkIn,
    TokenizationLinkOut,
    TokenizationMintIn,
    TokenizationRequestOut,
)

broker_router = APIRouter(prefix="/v1/accounts/{account_id}/tokenization",
                          tags=["tokenization"], dependencies=[Depends(authenticate)])
trading_router = APIRouter(prefix="/v2/tokenization", tags=["tokenization (trading API)"])
control_router = APIRouter(prefix="/_mock/tokenization", tags=["mock control"],
                           dependencies=[Depends(authenticate_control)])

RequestType = Literal["mint", "redeem"]
RequestStatus = Literal["pending", "completed", "rejected"]


def out(request: TokenizationRequest) -> TokenizationRequestOut:
    return TokenizationRequestOut.model_validate(
        {**{c: getattr(request, c) for c in TokenizationRequestOut.model_fields
            if c != "tokenization_request_id"}, "tokenization_request_id": request.id})


def _mint(broker: BrokerDep, account_id: str, body: TokenizationMintIn) -> Any:
    with broker.transaction() as ctx:
        return out(tokenization.request_mint(
            ctx, account_id, underlying_symbol=body.underlying_symbol, qty=body.qty,
            issuer_name=body.issuer, network=body.network, wallet_address=body.wallet_address,
            client_request_id=body.client_request_id))


# ----------------------------------------------------------------------------- Broker API


@broker_router.post("/mint", response_model=TokenizationRequestOut)
def broker_mint(account_id: str, body: TokenizationMintIn, broker: BrokerDep) -> Any:
    """An AP's mint request, on behalf of its account."""
    return _mint(broker, account_id, body)


@broker_router.get("/requests", response_model=list[TokenizationRequestOut])
def list_requests(account_id: str, broker: BrokerDep, type: RequestType | None = None,
                  status: RequestStatus | None = None,
                  underlying_symbol: str | None = None) -> Any:
    """The account's requests (an issuer's account: its issuer's), oldest first."""
    with broker.transaction() as ctx:
        return [out(r) for r in tokenization.requests(
            ctx, account_id, type=type, status=status, underlying_symbol=underlying_symbol)]


@broker_router.get("/requests:by_client_request_id", response_model=TokenizationRequestOut)
def by_client_request_id(account_id: str, client_request_id: str, broker: BrokerDep) -> Any:
    with broker.transaction() as ctx:
        return out(tokenization.one(ctx, account_id, client_request_id=client_request_id))


@broker_router.get("/requests:by_issuer_request_id", response_model=TokenizationRequestOut)
def by_issuer_request_id(account_id: str, issuer_request_id: str, broker: BrokerDep) -> Any:
    with broker.transaction() as ctx:
        return out(tokenization.one(ctx, account_id, issuer_request_id=issuer_request_id))


@broker_router.get("/requests/{request_id}", response_model=TokenizationRequestOut)
def get_request(account_id: str, request_id: str, broker: BrokerDep) -> Any:
    with broker.transaction() as ctx:
        return out(tokenization.one(ctx, account_id, request_id=request_id))


@broker_router.post("/callback/mint", response_model=TokenizationRequestOut)
def callback_mint(account_id: str, body: CallbackMintIn, broker: BrokerDep) -> Any:
    """The issuer reports the mint transaction of a request (the same hash again is fine)."""
    with broker.transaction() as ctx:
        return out(tokenization.callback_mint(ctx, account_id, body.model_dump()))


@broker_router.post("/callback/redeem", response_model=TokenizationRequestOut)
def callback_redeem(account_id: str, body: CallbackRedeemIn, broker: BrokerDep,
                    idempotency_key: Annotated[str | None, Header(max_length=200)] = None
                    ) -> Any:
    """The issuer asks to deliver shares for tokens it received: a ``redeem`` request,
    ``pending`` until the shares are journaled (one per ``issuer_request_id``; an
    ``Idempotency-Key`` sent again with another body is refused, 422)."""
    with broker.transaction() as ctx:
        return out(tokenization.callback_redeem(
            ctx, account_id, body.model_dump(mode="json", exclude_none=True), idempotency_key))


# ----------------------------------------------------------------------------- Trading API


def trading_account(request: Request,
                    apca_api_key_id: Annotated[str | None, Header()] = None,
                    apca_api_secret_key: Annotated[str | None, Header()] = None) -> str:
    """Trading API: the account's own key pair (:mod:`custody_mock.keys`); the request acts on
    that account alone. With authentication off (no Broker API key set) the key id is taken as
    the account id, as before key pairs existed."""
    broker = request.app.state.broker
    if not broker.settings.api_key.get_secret_value() and apca_api_key_id:
        return apca_api_key_id
    account_id = None
    if apca_api_key_id and apca_api_secret_key:
        with broker.transaction() as ctx:
            account_id = keys.account_of(ctx, apca_api_key_id, apca_api_secret_key)
    if account_id is None:
        raise BrokerError(401, "unauthorized", "APCA-API-KEY-ID / APCA-API-SECRET-KEY: not a "
                          "key pair of an account")
    return account_id


TradingAccount = Annotated[str, Depends(trading_account)]


@trading_router.post("/mint", response_model=TokenizationRequestOut)
def trading_mint(body: TokenizationMintIn, account_id: TradingAccount,
                 broker: BrokerDep) -> Any:
    """An AP's mint request with its own Trading API key."""
    return _mint(broker, account_id, body)


@trading_router.get("/requests", response_model=list[TokenizationRequestOut])
def trading_requests(account_id: TradingAccount, broker: BrokerDep,
                     type: RequestType | None = None,
                     status: RequestStatus | None = None) -> Any:
    with broker.transaction() as ctx:
        return [out(r) for r in tokenization.requests(ctx, account_id, type=type,
                                                      status=status)]


@trading_router.get("/requests:by_client_request_id", response_model=TokenizationRequestOut)
def trading_by_client_request_id(client_request_id: str, account_id: TradingAccount,
                                 broker: BrokerDep) -> Any:
    """The account's most recent request bearing the label ``client_request_id``."""
    with broker.transaction() as ctx:
        return out(tokenization.one(ctx, account_id, client_request_id=client_request_id))


@trading_router.get("/requests/{request_id}", response_model=TokenizationRequestOut)
def trading_request(request_id: str, account_id: TradingAccount, broker: BrokerDep) -> Any:
    with broker.transaction() as ctx:
        return out(tokenization.one(ctx, account_id, request_id=request_id))


# ----------------------------------------------------------------------------- set-up


@control_router.put("/issuers/{name}", response_model=TokenizationIssuerOut)
def set_issuer(name: str, body: TokenizationIssuerSet, broker: BrokerDep) -> Any:
    """Put an issuer on the network; its ``/tokenized-assets`` are read now (an issuer that
    does not answer is set up with none, read again on the next set-up)."""
    assets: list[dict[str, Any]] = []
    try:
        answer = httpx.get(body.base_url.rstrip("/") + tokenization.PATHS["assets"],
                           headers={"X-API-Key": body.api_key}, timeout=5.0)
        if answer.status_code == 200 and isinstance(answer.json(), list):
            assets = [a for a in answer.json() if isinstance(a, dict)]
    except (httpx.HTTPError, ValueError):
        pass
    with broker.transaction() as ctx:
        row = tokenization.register_issuer(ctx, name=name, account_id=body.account_id,
                                           base_url=body.base_url, api_key=body.api_key,
                                           networks=body.networks)
        if places(body.fee_flat) > 2:
            raise invalid("invalid_fee", "fee_flat has more than 2 decimals")
        row.assets, row.fee_flat, row.fee_bps = assets, body.fee_flat, body.fee_bps
        return TokenizationIssuerOut.model_validate(row)


@control_router.post("/links", response_model=TokenizationLinkOut, status_code=201)
def link_account(body: TokenizationLinkIn, broker: BrokerDep) -> Any:
    """Link an AP's account to an issuer: the broker calls the issuer's ``/accounts/connect``
    with the AP's email and account number and keeps the ``client_id`` it answers."""
    with broker.transaction() as ctx:
        issuer = tokenization.issuer(ctx, body.issuer)
        account = ledger.account(ctx, body.account_id)
        url, key, number = issuer.base_url, issuer.api_key, account.account_number
    try:
        answer = httpx.post(url + tokenization.PATHS["connect"],
                            json={"email": body.email, "account": number},
                            headers={"X-API-Key": key}, timeout=5.0)
    except httpx.HTTPError as exc:
        raise BrokerError(502, "issuer_unreachable", f"{body.issuer}: {exc}") from None
    if answer.status_code >= 400:
        code = {404: "unknown_email", 409: "already_linked"}.get(answer.status_code,
                                                                  "issuer_refused")
        raise BrokerError(answer.status_code if answer.status_code < 500 else 502, code,
                          f"{body.issuer} answered {answer.status_code}: {answer.text[:200]}")
    client_id = str(answer.json().get("client_id", ""))
    with broker.transaction() as ctx:
        return TokenizationLinkOut.model_validate(tokenization.store_link(
            ctx, account_id=body.account_id, issuer_name=body.issuer, email=body.email,
            client_id=client_id))


@control_router.post("/dispatch")
def dispatch(request: Request) -> dict[str, int]:
    """Send every due call to the issuers now (the dispatcher thread does it by itself)."""
    return {"sent": request.app.state.itn_dispatcher.run_due()}
