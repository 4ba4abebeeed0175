"""The OpenAPI document, made to say what the service does: the API key scheme every route but
the public ones needs, the ``Idempotency-Key`` header every write needs, and the
``application/problem+json`` refusals each kind of route can answer, with their real body.

FastAPI derives paths, parameters, bodies and answers from the routes; what it cannot know
(the front door in :mod:`issuer.api.guard`, the idempotency rule of
:mod:`issuer.api.context`, the problem format of :mod:`servicekit.problems`) is added here once,
for every operation, instead of being repeated on each route.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from issuer.api.guard import MAX_BODY, NETWORK, PUBLIC, VOTER
from issuer.validation import ADDRESS_PATTERN
from servicekit import openapi
from servicekit.openapi import WRITES

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "Required on every write. A retry with the same key and body replays the "
                   "first answer (`Idempotent-Replayed: true`) and does nothing; the same key "
                   "with another body is refused (409 `idempotency_key_reused`).",
}

#: What each refusal means, for every operation it can come from.
REFUSALS = {
    "400": "A write without an `Idempotency-Key` header (`idempotency_key_required`).",
    "401": "No, an unknown or a revoked `X-API-Key` (`unauthorized`); checked before the body "
           "is read.",
    "403": "The key's role is not enough (`forbidden`), or a maker-checker rule "
           "(`same_approver`).",
    "404": "A resource named in the path or the body does not exist (`*_not_found`, "
           "`unknown_symbol`).",
    "409": "The resource is not in a state that allows this (`approval_decided`, `not_active`, "
           "`wallet_holds_tokens`...), or the Idempotency-Key was used for another request "
           "(`idempotency_key_reused`).",
    "413": f"The body is larger than {MAX_BODY} bytes (`body_too_large`).",
    "422": "Invalid input, refused before anything changed: `invalid_request` with `errors`, or "
           "a named rule (`invalid_qty`, `invalid_address`, `invalid_amount`, "
           "`chain_refused`...).",
    "429": "Too many failed authentications from this source "
           "(`too_many_failed_authentications`, with `Retry-After`): nothing of the request "
           "is looked at.",
    "500": "An unexpected error; the answer holds only a `correlation_id` for the operators.",
}


#: Refusals of input that JSON Schema cannot describe (a document may not say "EIP-55"): the
#: code, and what makes such input wrong. Published as ``x-refusals-beyond-schema`` so a client
#: (and the API conformance check, ``toolchain/schemathesis_hooks.py``) knows which 422s a
#: schema-valid request can still get.
BEYOND_SCHEMA = {
    # the tokenization network's refusals (400 with a reason, as the protocol has them)
    "client_not_eligible": "a mint request for a client that is no linked participant, or whose "
                           "wallet is not verified",
    "wallet_not_client": "a mint request to a wallet that is not the client's",
    "token_not_on_network": "a mint request for a symbol or network this issuer does not serve",
    "asset_frozen": "a mint request while the symbol is halted or its token paused",
    "corporate_action_window": "a mint request while a corporate action holds mints",
    "invalid_payload": "a mint request whose quantity the issuer's own rule refuses",
    "invalid_address": "a mixed-case address that fails its EIP-55 checksum (a typo)",
    "invalid_cursor": "a cursor this API did not return",
    "invalid_country": "a JSON number with a fraction part, such as 840.0",
    "invalid_amount": "a JSON number with a fraction part, such as 96.0",
    "invalid_broker_time": "a point in time before 1970 or after 9000",
    "invalid_characters": "a NUL character anywhere in the request",
    "block_not_indexed": "a block the issuer has not indexed yet",
    "block_before_deployment": "a block before the token was deployed",
    "insufficient_tokens": "more tokens than the wallet holds on chain",
    "amount_exceeds_balance": "more tokens than the wallet holds on chain",
    "nothing_to_recover": "a lost wallet that holds no tokens",
    "same_wallet": "the same wallet on both sides",
    "chain_refused": "a call the token contract refuses in its current state",
    "invalid_signature": "a ballot signature that is not the voter's over this ballot",
    "over_entitlement": "more shares voted than the voter held at the record date",
    "unknown_proposal": "a ballot naming a proposal the meeting does not have",
    "invalid_choice": "a choice the proposal does not offer",
    "invalid_shares": "shares with more than 9 decimals",
    "empty_ballot": "a ballot that votes on nothing",
    "one_point_in_time": "a block and a date (or broker time) at once: one point in time",
    "invalid_final_date": "a delisting's final date not after the broker's today, or more than "
                          "a year ahead",
}
#: How path and query parameters that FastAPI knows only as strings are written.
PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "wallet": {"type": "string", "pattern": ADDRESS_PATTERN, "format": "eth-address"},
    "cursor": {"type": "string", "pattern": r"^[A-Za-z0-9_-]*={0,2}$", "maxLength": 200,
               "format": "issuer-cursor"},
}


#: The tokenization network's routes answer the broker as ITN expects.
VOTER_REFUSALS = {
    "400": "A body that cannot be read at all (bytes that are not UTF-8 JSON text: "
           "`http_error`).",
    "401": "A holder's signed read whose signature is not the wallet's, or whose expiry is past "
           "or more than 10 minutes ahead (`invalid_signature`).",
    "403": "The voter held no shares at the record date (`not_holder_of_record`).",
    "404": "No such meeting, ballot, or holder of record (`meeting_not_found`, "
           "`ballot_not_found`, `not_holder_of_record`).",
    "409": "Voting is not open (`voting_not_open`), the holders' deadline passed "
           "(`deadline_passed`), or the nonce is not above the counted ballot's (`stale_nonce`); "
           "the counted ballots are asked for before the deadline (`voting_open`).",
    "429": "Too many refused ballots from this source (`too_many_refused_ballots`, with "
           "`Retry-After`).",
    "422": "A malformed ballot, an unknown proposal or choice, more shares than the entitlement "
           "(`over_entitlement`), or a signature that is not the voter's over this ballot "
           "(`invalid_signature`).",
}
NETWORK_REFUSALS = {
    "400": "Refused with a `reason` the broker shows the AP (`invalid_payload`, "
           "`client_not_eligible`, `wallet_not_client`, `token_not_on_network`, "
           "`asset_frozen`, `corporate_action_window`).",
    "401": "Not the key the issuer gave the broker (`ISSUER_ITN_API_KEY`), or ITN is off.",
    "404": "An unknown email (`unknown_email`) or request (`request_not_found`).",
    "409": "An AP linked to another account (`already_linked`), a request replayed with "
           "another payload, a rejection after the shares were confirmed.",
    "403": "A source outside `ISSUER_ITN_ALLOWED_SOURCES`, when it is set "
           "(`source_not_allowed`).",
    "413": f"The body is larger than {MAX_BODY} bytes (`body_too_large`).",
    "422": "A body that does not match the schema (`invalid_request`).",
    "429": "Too many failed authentications from this source "
           "(`too_many_failed_authentications`, with `Retry-After`).",
}


PUBLIC_REFUSALS = {
    "404": "No such symbol (`symbol_not_found`).",
    "422": "A malformed query (`invalid_request`).",
}


def _voter(path: str) -> bool:
    """A holders' voting route (public; its ids are path templates here)."""
    return VOTER.match(path.replace("{meeting_id}", "m").replace("{wallet}", "w")
                       .replace("{ballot_id}", "b")) is not None


def _refusals(method: str, path: str) -> dict[str, str] | None:
    if path in PUBLIC:
        return None
    if _voter(path):
        codes = ["400", "403", "404", "409", "422", "429", "500"] if method in WRITES else [
            "401", "404", "409", "422", "500"]
        return {code: VOTER_REFUSALS.get(code, REFUSALS[code]) for code in codes}
    if path in NETWORK:
        return {**NETWORK_REFUSALS, "500": REFUSALS["500"]}
    if path.startswith("/public/"):
        codes = ["404", "422"] if "{symbol}" in path else ["422"]
        return {**{code: PUBLIC_REFUSALS[code] for code in codes}, "500": REFUSALS["500"]}
    # 404 everywhere: a path id, or an id in the body (participant, symbol), may name nothing
    codes = ["401", "403", "404", "422", "429", "500"]
    if method in WRITES:
        codes += ["400", "409", "413"]
    return {code: REFUSALS[code] for code in sorted(codes)}


def _operation(method: str, path: str, operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if (known := PARAMETER_SCHEMAS.get(parameter["name"])) is not None:
            parameter["schema"] = dict(known)
    if path in NETWORK:
        operation["description"] = (operation.get("description", "") + "\n\nCalled by the "
                                    "broker with the key the issuer gave it "
                                    "(`ISSUER_ITN_API_KEY`) in `X-API-Key`; no "
                                    "`Idempotency-Key`: the protocol's own ids make it safe "
                                    "to repeat.").strip()
        return
    if _voter(path):
        operation["description"] = (operation.get("description", "") + "\n\nPublic: no API "
                                    "key; a ballot is authenticated by its EIP-712 signature, "
                                    "and resent as is it is answered with its receipt.").strip()
        return
    if method in WRITES and path not in PUBLIC:
        operation.setdefault("parameters", []).insert(0, dict(IDEMPOTENCY_KEY))


def document(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the document described above (built once, then cached)."""
    openapi.document(
        app, scheme_name="ApiKey",
        scheme={"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "An operator's API key (`POST /v1/api-keys`)."},
        refusals=_refusals, internal_error=REFUSALS["500"], operation_hook=_operation,
        extensions={"x-refusals-beyond-schema": BEYOND_SCHEMA},
        unauthenticated=lambda _method, path: _voter(path) or path.startswith("/public/"))
