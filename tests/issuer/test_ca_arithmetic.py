"""Property tests of the corporate-action arithmetic (``issuer.corporate.arithmetic``), with the
broker's own rounding (``custody_mock.amounts``) for the cash and the reinvestment fill.

For random holders, multipliers, dividend rates, prices and withholding rates: no holder's
economic shares go down on a dividend, their sum never exceeds custody, and what custody holds
beyond the supply (the residue) is below one share per action. The same for splits.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from custody_mock.amounts import cash_down, cash_round, qty_down, whole_down
from issuer.corporate import arithmetic

ONE = 10**18
D = Decimal
NINE = D("0.000000001")

holders = st.lists(st.integers(min_value=1, max_value=10**6 * ONE), min_size=1, max_size=8)
multipliers = st.integers(min_value=ONE // 100, max_value=100 * ONE)
rates = st.decimals(min_value=D("0.0001"), max_value=D("50"), places=4)
prices = st.decimals(min_value=D("0.01"), max_value=D("10000"), places=2)
withholding = st.sampled_from([D(0), D("0.15"), D("0.25"), D("0.30"), D(1)])
surplus = st.decimals(min_value=D(0), max_value=D(5), places=9)


def shares(raw: int, multiplier: int) -> Decimal:
    """A holder's economic shares as a wallet shows them (floored to 18 decimals)."""
    return D(raw * multiplier // ONE) / D(ONE)


@settings(max_examples=300, deadline=None)
@given(holders, multipliers, rates, prices, withholding, surplus)
def test_a_dividend_never_lowers_a_holder_and_never_outruns_custody(raws, m0, rate, price,
                                                                      tax, extra):
    supply = sum(raws)
    entitled = arithmetic.entitled_shares(supply, m0)
    # custody: the entitled shares (to the broker's 9 decimals, rounded up so it backs them)
    # plus any surplus collateral
    backing = entitled.quantize(NINE, rounding=ROUND_CEILING)
    custody = backing + extra
    gross = cash_down(custody * rate)
    net = gross - cash_round(gross * tax)
    filled = qty_down(net / price) if net > 0 else D(0)

    m1 = arithmetic.cap_multiplier(
        arithmetic.dividend_multiplier(m0, entitled, custody, filled), supply, custody + filled)

    assert m1 >= m0
    for raw in raws:
        assert shares(raw, m1) >= shares(raw, m0)
    assert sum(shares(raw, m1) for raw in raws) <= custody + filled
    residue = arithmetic.residue(custody + filled, supply, m1)
    assert residue >= 0
    # beyond the surplus and its own dividend (which stay surplus), less than one share
    assert residue - extra - extra * filled / custody < 1


@settings(max_examples=300, deadline=None)
@given(holders, multipliers, st.integers(min_value=1, max_value=20),
       st.integers(min_value=1, max_value=20))
def test_a_split_scales_every_holder_and_never_outruns_custody(raws, m0, old, new):
    supply = sum(raws)
    before = arithmetic.economic(supply, m0)
    custody = before.quantize(NINE, rounding=ROUND_CEILING) * new / old  # scaled exactly
    m1 = arithmetic.split_multiplier(m0, D(old), D(new))
    assert m1 == m0 * new // old
    for raw in raws:
        exact = arithmetic.economic(raw * new, m0) / old
        # the floor of M1 costs at most raw / 1e36, the wallet's floor less than 1e-18
        assert 0 <= exact - shares(raw, m1) < D(raw) / D(ONE * ONE) + D(1) / D(ONE)
    residue = arithmetic.residue(custody, supply, m1)
    assert 0 <= residue < 1
    # with cash in lieu the broker keeps whole shares only: the residue may go negative by
    # less than one share, which is what the issuer's "top up" warning is for
    assert arithmetic.residue(whole_down(custody), supply, m1) > -1


def test_dividend_multiplier_figures_by_hand():
    # 100 entitled shares, 0.35 reinvested: 1.0035; with 10 surplus shares Q = 110: the
    # holders' part is 0.35 * 100 / 110 and M1 = 1 + 0.35 / 110, floored
    assert arithmetic.dividend_multiplier(ONE, D(100), D(100), D("0.35")) == \
        1_003_500_000_000_000_000
    assert arithmetic.dividend_multiplier(ONE, D(100), D(110), D("0.35")) == \
        1_003_181_818_181_818_181
    # capped: 100 raw shares and 100.2 settled custody allow at most 1.002
    assert arithmetic.cap_multiplier(1_003_500_000_000_000_000, 100 * ONE, D("100.2")) == \
        1_002_000_000_000_000_000
    assert arithmetic.split_multiplier(1_003_500_000_000_000_000, D(10), D(1)) == \
        100_350_000_000_000_000
    assert arithmetic.split_multiplier(ONE, D(2), D(3)) == 1_500_000_000_000_000_000
    assert arithmetic.continuity_gap(D(200), ONE, D("100.5"), 2 * ONE) == D("0.005")


@given(holders, multipliers, st.integers(min_value=1, max_value=20),
       st.integers(min_value=1, max_value=20), st.booleans(), surplus)
def test_a_spin_off_never_mints_more_than_custody_received_and_is_pro_rata(raws, m0, old, new,
                                                                          in_lieu, extra):
    """The broker delivers custody ``shares * new / old`` (whole shares with cash in lieu, else
    to nine places) on the tokens' shares plus a surplus; the new tokens never exceed what it
    delivered, no holder gets more than their exact part, and each gets it to within one raw
    unit when custody received all of it."""
    from fractions import Fraction

    wallets = {f"0x{i:040x}": raw for i, raw in enumerate(raws)}
    tokens_shares = D(sum(raws) * m0) / D(ONE * ONE)
    exact = (qty_down(tokens_shares + extra)) * D(new) / D(old)
    received = whole_down(exact) if in_lieu else qty_down(exact)
    rate = Fraction(new, old)
    minted = arithmetic.new_token_raws(wallets, m0, rate, received)
    assert sum(minted.values()) <= received * ONE
    for wallet, raw in wallets.items():
        owed = Fraction(raw * m0) * rate / ONE
        assert minted[wallet] <= owed
        if received * ONE >= int(Fraction(sum(raws) * m0) * rate / ONE):
            assert owed - minted[wallet] < 2


def test_spin_off_figures_by_hand():
    """1 for 3 on 100 tokens at M0 = 1 (the AP 70, an investor 30). Custody received all
    33.333333333 (no cash in lieu): owed floor(100e36 / 3 / 1e18) = 33,333,333,333,333,333,333,
    D = min(that, 33,333,333,333e9) = 33,333,333,333,000,000,000; the AP gets
    floor(70e18 * D / 100e18) = 23,333,333,333,100,000,000, the investor 9,999,999,999,900,000,000.
    At M0 = 1.5 (after a 3-for-2) the 30 raw are 45 shares: 15 new each third."""
    from fractions import Fraction

    holders_ = {"ap": 70 * ONE, "investor": 30 * ONE}
    assert arithmetic.new_token_raws(holders_, ONE, Fraction(1, 3), D("33.333333333")) == {
        "ap": 23_333_333_333_100_000_000, "investor": 9_999_999_999_900_000_000}
    assert arithmetic.new_token_raws({"investor": 30 * ONE}, 3 * ONE // 2, Fraction(1, 3),
                                    D(100)) == {"investor": 15 * ONE}
    assert arithmetic.new_token_raws({}, ONE, Fraction(1, 3), D(5)) == {}
