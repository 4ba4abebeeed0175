"""Every corporate-action figure, with the one rounding rule: a multiplier is an integer with
18 decimals, always rounded **down** (towards less economic supply), so the token never promises
more shares than custody holds; what rounding leaves over stays in custody as surplus.

Amounts in shares are exact ``Decimal``; the arithmetic runs on ``Fraction`` so no step rounds
before the final floor.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from issuer import units
from issuer.units import ONE


def economic(raw: int, multiplier: int) -> Decimal:
    """Shares worth of ``raw`` token units at ``multiplier`` (exact)."""
    return units.raw_to_shares(raw, multiplier)


def entitled_shares(raw_supply: int, m0: int) -> Decimal:
    """E = R * M0: the shares the token's holders are owed a dividend on."""
    return economic(raw_supply, m0)


def dividend_multiplier(m0: int, entitled: Decimal, custody_entitled: Decimal,
                        filled: Decimal) -> int:
    """M1 = floor(M0 * (1 + holders' shares of ``filled`` / E)).

    The broker paid the dividend on ``custody_entitled`` (Q) shares, which is E plus any surplus
    collateral custody held at the record date; the holders' part of the reinvested shares is
    ``filled * E / Q``, so M1 = M0 * (1 + filled / Q). With no surplus (Q = E) this is exactly
    M0 * (1 + filled / E); the surplus's own dividend stays surplus.
    """
    if entitled <= 0 or custody_entitled <= 0 or filled <= 0:
        return m0
    if custody_entitled < entitled:
        raise ValueError(f"custody {custody_entitled} is short of the entitled shares {entitled}")
    q = Fraction(custody_entitled)
    return int(m0 * (q + Fraction(filled)) / q)  # int() floors a positive Fraction


def split_multiplier(m0: int, old_rate: Decimal, new_rate: Decimal) -> int:
    """M1 = floor(M0 * new / old): N-for-M forward is floor(M0 * N / M), 1-for-K reverse is
    floor(M0 / K)."""
    return int(m0 * units.split_ratio(old_rate, new_rate))


def cap_multiplier(m1: int, raw_supply: int, custody_settled: Decimal) -> int:
    """The largest multiplier <= ``m1`` with ``raw_supply * M / 1e18 <= custody_settled``."""
    if raw_supply <= 0:
        return m1
    return min(m1, int(Fraction(custody_settled) * ONE * ONE / raw_supply))


def residue(custody: Decimal, raw_supply: int, multiplier: int) -> Decimal:
    """Custody shares beyond what the token's supply is worth (surplus collateral)."""
    return units.exact(Fraction(custody) - Fraction(economic(raw_supply, multiplier)))


def continuity_gap(price_before: Decimal, m0: int, price_after: Decimal, m1: int) -> Decimal:
    """|price_after * M1 / (price_before * M0) - 1|: a token holder's value across a split."""
    before = Fraction(price_before) * m0
    if before == 0:
        raise ValueError("no price before the split")
    gap = abs(Fraction(price_after) * m1 / before - 1)
    return units.down(gap, 36)  # shown to 36 places, rounded down once


def new_token_raws(holders: dict[str, int], m0: int, rate: Fraction, received: Decimal,
                   multiplier: int = ONE) -> dict[str, int]:
    """Each holder of record's raw units of another token, for a spin-off (the new company's,
    minted at M = 1e18) or a stock merger (the acquirer's, at its multiplier ``multiplier``).

    A holder's tokens are worth ``raw * M0 / 1e36`` shares; the other company's shares they
    are owed are those times ``rate`` (new per old), ``raw * M0 * rate / M`` raw of its token.
    All holders together are owed O = floor(R * M0 * rate / M) raw (R: their raw sum), but
    never more than the shares custody received are worth, floor(N * 1e36 / M) (the broker
    paid any fraction of custody's own position as cash in lieu): D = min(O, that). Holder i
    gets floor(raw_i * D / R), rounded down once, so the sum is at most D; what the floors
    leave stays in custody as surplus. (At M = 1e18: O = floor(R * M0 * rate / 1e18), and the
    cap is N * 1e18.)
    """
    total = sum(holders.values())
    if total <= 0:
        return {}
    owed = int(Fraction(total * m0) * rate / multiplier)
    distributable = min(owed, int(Fraction(received) * ONE * ONE / multiplier))
    return {wallet: raw * distributable // total for wallet, raw in holders.items()}
