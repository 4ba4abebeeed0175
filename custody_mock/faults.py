"""Deterministic, scoped fault injection.

A fault rule has a kind, an optional scope (symbol, account, HTTP endpoint) and fires either on
the next ``remaining`` matching calls, or on each matching call with ``probability`` drawn from a
generator seeded by ``seed`` and the call's index, so the same rules and the same calls give the
same faults on every run.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fnmatch import fnmatchcase

from sqlalchemy import select

from custody_mock.context import Ctx
from custody_mock.models import Fault

#: Faults of the HTTP layer, applied by :mod:`custody_mock.http_faults` to any broker endpoint.
HTTP_KINDS = frozenset({"http_error", "timeout", "rate_limit"})
#: Faults applied by the broker's own logic where the named event happens.
DOMAIN_KINDS = frozenset({
    "order_reject_submit",      # the order is stored as rejected at submission
    "order_reject_after_accept",  # accepted, then rejected when routed to the market
    "partial_fill",             # fills ``ratio`` of the order, then cancels the rest
    "settlement_delay",         # a due trade or journal settles ``days`` settlement days later
    "settlement_fail",          # a due trade or journal fails and is reversed
    "trade_bust",               # an execution is busted at the end of its trade date
    "trade_correct",            # an execution's price is corrected at the end of its trade date
    "activity_duplicate",       # an activities page repeats each entry
    "activity_out_of_order",    # an activities page comes back in reverse order
    "announcement_amend",       # the next end of day amends the symbol's next announcement
})
KINDS = HTTP_KINDS | DOMAIN_KINDS
#: Faults of the tokenization network (:mod:`custody_mock.tokenization`).
ITN_KINDS = frozenset({
    "itn_confirm_rejected",     # the journal confirmation says ``rejected`` (no journal made)
    "itn_callback_twice",       # the mint request or the confirmation is delivered twice
    "itn_lookup_404",           # a keyed lookup answers 404 just after the request was created
    "itn_aged_out",             # the request is missing from the list endpoint (found by id)
    "itn_issuer_unreachable",   # calls to the issuer fail ``count`` times (the broker retries)
    "itn_journal_fail",         # the share journal fails: the request is rejected
    "itn_redeem_held",          # a redemption's share journal waits (tried again a second later)
})
ALL_KINDS = KINDS | ITN_KINDS


def take(
    ctx: Ctx,
    kind: str,
    *,
    symbol: str | None = None,
    account_id: str | None = None,
    endpoint: str | None = None,
) -> Fault | None:
    """The first rule of ``kind`` matching this call that fires, counted as fired; else None."""
    return take_from(rules_of(ctx, kind), symbol=symbol, account_id=account_id,
                     endpoint=endpoint)


def rules_of(ctx: Ctx, kind: str) -> list[Fault]:
    """Armed rules of ``kind``, oldest first (all rules are read once per transaction)."""
    if "faults" not in ctx.memo:
        by_kind: dict[str, list[Fault]] = {}
        for rule in ctx.db.scalars(select(Fault).order_by(Fault.created_at, Fault.id)):
            by_kind.setdefault(rule.kind, []).append(rule)
        ctx.memo["faults"] = by_kind
    return ctx.memo["faults"].get(kind, [])


def take_from(
    rules: list[Fault],
    *,
    symbol: str | None = None,
    account_id: str | None = None,
    endpoint: str | None = None,
) -> Fault | None:
    for rule in rules:
        if not _in_scope(rule, symbol, account_id, endpoint):
            continue
        if rule.remaining is not None and rule.remaining <= 0:
            continue
        rule.calls += 1
        if rule.probability is not None and not _draw(rule.seed, rule.calls, rule.probability):
            continue
        rule.fired += 1
        if rule.remaining is not None:
            rule.remaining -= 1
        return rule
    return None


def _in_scope(rule: Fault, symbol: str | None, account_id: str | None,
              endpoint: str | None) -> bool:
    if rule.symbol is not None and rule.symbol != symbol:
        return False
    if rule.account_id is not None and rule.account_id != account_id:
        return False
    return rule.endpoint is None or (endpoint is not None and endpoint_matches(rule.endpoint,
                                                                                endpoint))


def endpoint_matches(pattern: str, endpoint: str) -> bool:
    """``POST /v1/trading/accounts/*/orders`` matches that method and path; ``*`` is a segment."""
    want_method, _, want_path = pattern.partition(" ")
    method, _, path = endpoint.partition(" ")
    if want_method not in ("*", method):
        return False
    want, have = want_path.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(have) and all(fnmatchcase(h, w) for w, h in zip(want, have,
                                                                               strict=True))


def _draw(seed: int, call: int, probability: Decimal) -> bool:
    scale = 10**9
    return random.Random(f"{seed}:{call}").randrange(scale) < probability * scale
