"""The broker's OpenAPI document, made to say what it does: HTTP basic on every route but the
health check, and the ``application/problem+json`` refusals each route can answer (the faults a
test injects on the Broker API included), from :mod:`servicekit.openapi`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from servicekit import openapi

PUBLIC = {"/healthz"}

REFUSALS = {
    "400": "A body that is not JSON (`http_error`).",
    "401": "Missing or wrong HTTP basic credentials (`unauthorized`).",
    "403": "The broker refuses the request in its state: buying power, a closed market, an "
           "asset not tradable... (`insufficient_*`, `market_closed`, `asset_not_tradable`).",
    "404": "An account, order, journal, asset or announcement named in the path or the body "
           "does not exist (`*_not_found`).",
    "409": "The resource is not in a state that allows this (`order_not_cancelable`...), or "
           "a client id was used before (`duplicate_client_order_id`).",
    "422": "Invalid input (`invalid_request` with `errors`, or a named rule `invalid_*`).",
    "429": "Rate limited (`rate_limited`, with `Retry-After`): a fault a test injected.",
    "500": "An unexpected error, or one a test injected; the answer holds a `correlation_id`.",
    "502": "A tokenization issuer did not answer the broker (`issuer_unreachable`).",
    "503": "Unavailable (`http_error`): a fault a test injected.",
    "504": "A timeout (`gateway_timeout`): a fault a test injected.",
}


#: Refusals of schema-valid input that JSON Schema cannot describe (published as
#: ``x-refusals-beyond-schema``; see ``toolchain/schemathesis_hooks.py``).
BEYOND_SCHEMA = {
    "unsupported_order": "an order Alpaca takes that this broker does not execute (trailing "
                         "stops, closing auctions, fok, multi-leg classes, shorts)",
    "invalid_stop_price": "a stop price with more decimals than its tick, or one the order "
                          "type does not take",
    "invalid_time_in_force": "a time in force the order's type or size does not take (opg "
                             "for a stop, gtc for a fraction)",
    "invalid_commission": "a commission as a JSON number with more than 2 decimals",
    "invalid_extended_hours": "extended hours for an order that is not a limit day order",
    "order_not_replaceable": "a replacement of an order already final",
    "order_partially_filled": "a replacement of a partially filled order",
    "nothing_to_replace": "a replacement that changes nothing",
    "qty_xor_percentage": "a position close with both qty and percentage",
    "invalid_percentage": "a position close of more than 100 %",
    "invalid_fee": "a fee schedule's flat fee with more than 2 decimals",
    "same_account": "a journal from an account to itself",
    "qty_xor_notional": "an order with both or neither of qty and notional",
    "invalid_announcement": "a ca_sub_type that does not belong to the ca_type, or dates out "
                            "of order",
    "invalid_amendment": "an amendment that changes nothing",
    "invalid_time": "a date-time without its UTC offset",
    "clock_out_of_range": "a clock beyond the NYSE calendar data the broker has",
    "invalid_page_token": "a page token that names no activity",
    "invalid_qty": "a quantity as a JSON number with more than 9 decimals, or a fraction of an "
                   "asset that is not fractionable",
    "invalid_notional": "a notional as a JSON number with more than 2 decimals",
    "invalid_amount": "an amount (a transfer, a declared income) as a JSON number with more "
                      "than 2 decimals",
    "invalid_limit_price": "a limit price with more decimals than its tick (2 from $1, 4 "
                           "below), or one the order type does not take",
    "invalid_fault": "a fault scoped in a way its kind does not support",
    "invalid_network": "a network the tokenization issuer does not issue on",
    "not_a_mint": "a mint callback for a redeem request",
    "wallet_mismatch": "a mint callback whose wallet is not the request's",
    "invalid_dates": "a meeting whose record date, cutoff and meeting date are out of order "
                     "or outside 1990-2199",
    "invalid_proposals": "proposals with the same id, a slate of fewer than two candidates, or "
                         "a recommendation that is not a choice",
    "unknown_proposal": "an instruction or ballot naming a proposal the meeting does not have",
    "invalid_choice": "a choice the proposal does not offer",
    "exceeds_position": "more shares instructed than the account held at the record date",
    "empty_instruction": "an instruction that votes on nothing",
    "order_not_cancelable": "an order already final (filled, canceled, expired, rejected)",
    "journal_not_cancelable": "a journal already executed, canceled or rejected",
    "invalid_journal": "a journal whose fields do not fit its entry type (a JNLC takes an "
                       "amount, a JNLS a symbol and a qty)",
    "idempotency_key_reused": "a redeem callback whose Idempotency-Key came before with another "
                              "body",
    "invalid_client": "a redeem callback naming neither client_id nor client_account_id",
}


def _refusals(method: str, path: str) -> dict[str, str] | None:  # noqa: ARG001 (the walker's callback signature)
    if path in PUBLIC:
        return None
    codes = ["400", "401", "403", "404", "409", "422", "500"]
    if path.startswith("/v1/"):
        codes += ["429", "503", "504"]  # the HTTP faults sit in front of the Broker API
    if path.startswith("/_mock/tokenization/"):
        codes += ["502"]                # the broker calls the issuer
    return {code: REFUSALS[code] for code in sorted(codes)}


#: The Trading API's credentials: an account's own key pair, in two headers.
TRADING_SCHEMES = {
    "TradingKeyId": {"type": "apiKey", "in": "header", "name": "APCA-API-KEY-ID",
                     "description": "The key id of an account's own Trading API key pair."},
    "TradingSecret": {"type": "apiKey", "in": "header", "name": "APCA-API-SECRET-KEY",
                      "description": "The secret of that key pair."},
}
TRADING_HEADERS = {scheme["name"].lower() for scheme in TRADING_SCHEMES.values()}


def document(app: FastAPI) -> None:
    """Broker API and control API: HTTP basic (each its own credentials); the Trading API
    (``/v2/...``): an account's key pair in the ``APCA-API-*`` headers."""
    openapi.document(
        app, scheme_name="BrokerBasic",
        scheme={"type": "http", "scheme": "basic",
                "description": "HTTP basic: the broker partner's API key and secret on the "
                               "Broker API (as Alpaca's Broker API uses), the control key and "
                               "secret on the control API (/_mock)."},
        refusals=_refusals, internal_error=REFUSALS["500"],
        extensions={"x-refusals-beyond-schema": BEYOND_SCHEMA})
    built = app.openapi

    def with_trading_api() -> dict[str, Any]:
        schema = built()
        schemes = schema["components"]["securitySchemes"]
        if "TradingKeyId" in schemes:
            return schema
        schemes.update(TRADING_SCHEMES)
        for path, item in schema["paths"].items():
            if not path.startswith("/v2/") or path.startswith("/v2/stocks/"):
                continue   # market data takes the partner's credentials, as the Broker API
            for method, operation in item.items():
                if method not in openapi.METHODS:
                    continue
                operation["security"] = [{name: [] for name in TRADING_SCHEMES}]
                operation["parameters"] = [
                    p for p in operation.get("parameters", [])
                    if not (p.get("in") == "header" and p["name"].lower() in TRADING_HEADERS)]
                operation["responses"]["401"] = openapi.problem_response(
                    "Missing or wrong Trading API key pair (`unauthorized`).")
        return schema

    app.openapi = with_trading_api  # type: ignore[method-assign]
