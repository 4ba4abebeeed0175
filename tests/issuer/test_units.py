"""issuer.units: every conversion exact, or rounded once in the direction it names. The review
found reconciliation figures cut to 28 significant digits (107.1340094159999999994817269
reported for the exact 107.13400941599999999948172692832) and `holds` judged on them."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest

from issuer import units
from issuer.corporate import arithmetic

ONE = 10**18


def test_raw_to_shares_is_exact_where_a_28_digit_context_was_not():
    # 100 raw tokens at a multiplier of 1.07134009415999999999481726928320 (hand-made: the
    # product has 32 significant decimals)
    raw, multiplier = 100 * ONE, 1_071340094159999999
    exact = Fraction(raw * multiplier, ONE * ONE)
    shares = units.raw_to_shares(raw, multiplier)
    assert Fraction(shares) == exact == Fraction(107134009415999999900, 10**18)
    # the review's figure: R * M with 33 significant digits
    raw, multiplier = 107134009415999999999481726928320, 10**18
    shares = units.raw_to_shares(raw, multiplier)
    assert shares == D("107134009415999.999999481726928320")
    assert Fraction(shares) == Fraction(raw, ONE)


def test_a_surplus_of_1e_30_share_is_seen_and_holds_is_judged_on_it():
    """Custody 107.13400941600 shares against a supply worth 1e-30 share less: the surplus is
    exactly 1e-30 (a 28-digit context shows 0 and would call a 1e-30 shortfall a match)."""
    custody = D("107.134009416")
    # raw * M = custody * 1e36 - 1e6, i.e. custody - 1e-30 share (a multiplier of 1e-18)
    raw, multiplier = 107134009416 * 10**27 - 10**6, 1
    assert Fraction(units.raw_to_shares(raw, multiplier)) == Fraction(custody) - Fraction(
        1, 10**30)
    surplus = units.exact(Fraction(custody) - Fraction(units.raw_to_shares(raw, multiplier)))
    assert surplus == D("1E-30")
    short = units.exact(Fraction(custody) - Fraction(units.raw_to_shares(raw + 2 * 10**6,
                                                                         multiplier)))
    assert short == D("-1E-30")


def test_exact_refuses_what_has_no_decimal_expansion_and_down_rounds_once():
    assert units.exact(Fraction(1, 8)) == D("0.125")
    with pytest.raises(ValueError):
        units.exact(Fraction(1, 3))
    assert units.down(Fraction(10, 3), 9) == D("3.333333333")
    assert units.down(Fraction(-10, 3), 9) == D("-3.333333333")   # towards zero
    # a distribution funded in cents is the claims' sum rounded up: 25.8912 -> 25.90
    assert units.up(Fraction(258912, 10**4), 2) == D("25.90")
    assert units.up(Fraction(-258912, 10**4), 2) == D("-25.89")
    assert units.up(7, 2) == D("7")


def test_after_a_split_a_quantity_is_the_brokers_nine_decimals_rounded_down():
    ratio = units.split_ratio(3, 1)                                  # 1-for-3 reverse
    assert ratio == Fraction(1, 3)
    assert units.after_split(D("10"), ratio) == D("3.333333333")
    assert units.after_split(D("10.5"), units.split_ratio(2, 3)) == D("15.75")
    with pytest.raises(ValueError):
        units.split_ratio(0, 2)


def test_shares_to_raw_rounds_a_mint_down_and_a_burn_up():
    multiplier = 3 * ONE                                             # 3 shares per token
    assert units.shares_to_raw(D("1"), multiplier) == 333333333333333333
    assert units.shares_to_raw(D("1"), multiplier, up=True) == 333333333333333334
    with pytest.raises(ValueError):
        units.shares_to_raw(D("1E-19"), ONE)


def test_the_corporate_action_residue_is_exact():
    # custody 100.000000001 against 100 tokens at a multiplier of 1.000000000000000001:
    # economic 100 * 1.000000000000000001 = 100.0000000000000001, residue
    # 0.000000001 - 0.0000000000000001 = 0.0000000009999999 exactly
    residue = arithmetic.residue(D("100.000000001"), 100 * ONE, ONE + 1)
    assert residue == D("0.0000000009999999")
