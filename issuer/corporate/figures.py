"""A corporate action's figures in one list, each with the formula it came from, for an operator
or auditor to follow (``GET /v1/corporate-actions/{id}/figures``). Values are the stored ones,
as decimal strings (on-chain integers whole); a figure not reached yet is left out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from issuer.corporate import entitlement
from issuer.models import CorporateAction

#: The record snapshot every dividend starts from.
RECORD = [
    ("R", "raw_supply", "totalSupply at the snapshot block - issuer-held raw (I)"),
    ("I", "issuer_held_raw", "raw in the redemption wallet no open redemption is burning"),
    ("M0", "m0", "uiMultiplier at the snapshot block (18 decimals)"),
    ("E", "entitled", "R * M0 / 10^36: the tokens' shares at the record"),
]
DIVIDEND = [
    *RECORD,
    ("owed_creations", "owed_creations",
     "sum of the shares of creations not minted yet that had settled by the end of the "
     "record date"),
    ("owed_redemptions", "owed_redemptions",
     "sum of the shares of burned redemptions still in custody at the end of the record date"),
    ("Q", "custody_entitled", "shares the broker paid on (its DIV quantity): settled custody "
     "at the end of the record date"),
    ("gross", "gross", "sum of DIV: Q * cash rate, rounded down to the cent by the broker"),
    ("withholding", "withholding", "sum of DIVNRA (the custody account's tax rate)"),
    ("fees", "fees", "sum of FEE"),
    ("net", "net", "gross - withholding - fees"),
    ("redeemers_paid", "redeemers_paid",
     "sum over owed redemptions of floor_to_cent(net * qty / Q), paid by journal"),
    ("F", "filled_qty", "shares the reinvestment of net - redeemers_paid bought (settled)"),
    ("cost", "filled_cost", "cash the reinvestment spent"),
    ("M1_uncapped", "m1_uncapped", "floor(M0 * (Q' + F) / Q'), Q' = Q - owed_redemptions"),
    ("M1", "m1", "min(M1_uncapped, floor((custody settled - owed at face) * 10^36 / "
     "(supply + owed raw)))"),
    ("supply", "supply_raw", "totalSupply when M1 was computed (hashed into the schedule's "
     "reference)"),
    ("supply_final", "final_supply_raw", "totalSupply at completion (the residue's)"),
    ("custody_settled", "custody_settled", "the custody account's settled shares then"),
    ("residue", "residue", "custody_settled - supply * M1 / 10^36"),
    ("residue_owed", "residue_owed", "owed raw * M1 / 10^36 + shares owed at face value to "
     "creations and redemptions in flight"),
    ("residue_free", "residue_free", "residue - residue_owed: rounding and unowned surplus"),
    ("distributed", "distributed", "stablecoin payout: sum of the claims, rounded up to a cent"),
    ("reclaimed", "reclaimed", "stablecoin payout: what came back after the claim deadline"),
]
STOCK_DIVIDEND = [
    *RECORD,
    ("old_rate", "old_rate", "the broker's old rate"),
    ("new_rate", "new_rate", "the broker's new rate: new_rate / old_rate - 1 new shares per share"),
    ("Q", "custody_entitled", "shares the broker paid on (its DIV/SDIV quantity): settled "
     "custody at the end of the record date"),
    ("N", "filled_qty", "new shares custody received: Q * rate less the fractions paid in cash"),
    ("cash_in_lieu", "cash_in_lieu", "sum of CIL: the fractions the broker paid in cash"),
    ("M1_uncapped", "m1_uncapped", "floor(M0 * (Q + N) / Q)"),
    ("M1", "m1", "min(M1_uncapped, floor((custody settled - owed at face) * 10^36 / "
     "(supply + owed raw)))"),
    ("supply", "supply_raw", "totalSupply when M1 was computed (hashed into the schedule's "
     "reference)"),
    ("supply_final", "final_supply_raw", "totalSupply at completion (the residue's)"),
    ("custody_settled", "custody_settled", "the custody account's settled shares then"),
    ("residue", "residue", "custody_settled - supply * M1 / 10^36"),
    ("residue_owed", "residue_owed", "shares owed to creations and redemptions in flight"),
    ("residue_free", "residue_free", "residue - residue_owed: rounding and unowned surplus"),
]
NAME_CHANGE = [
    ("old_symbol", "symbol", "the listing (its records keep this symbol)"),
    ("new_symbol", "new_symbol", "the broker's symbol from the process date (the ex-date)"),
    ("M0", "m0", "uiMultiplier: a name change does not change it"),
    ("supply", "supply_raw", "totalSupply: a name change does not change it"),
    ("supply_final", "final_supply_raw", "totalSupply when the token followed"),
    ("custody_settled", "custody_settled", "settled custody under the new symbol"),
    ("token_name", "token_name", "the token's name with the old symbol replaced by the new"),
    ("token_symbol", "token_symbol", "the token's symbol with the old symbol replaced by the "
     "new; the owner sends both (owner_calls)"),
]
CASH_MERGER = [
    ("R", "raw_supply", "totalSupply at the snapshot block (the token paused first) - "
     "issuer-held raw (I)"),
    ("I", "issuer_held_raw", "raw in the redemption wallet no open redemption is burning"),
    ("M0", "m0", "uiMultiplier at the snapshot block (18 decimals)"),
    ("E", "entitled", "R * M0 / 10^36: the tokens' shares at the record"),
    ("rate", "cash_rate", "cash per share the acquirer pays"),
    ("Q", "custody_entitled", "shares the broker converted (its MA quantity)"),
    ("net", "net", "cash the broker paid for them (its MA amount)"),
    ("distributed", "distributed", "sum of the holders' claims: floor(net_units * raw * M0 / "
     "(10^36 * Q')) each, rounded up to a cent"),
    ("reclaimed", "reclaimed", "what came back after the claim deadline"),
]
WORTHLESS_REMOVAL = [
    ("R", "raw_supply", "totalSupply at the snapshot block (the token paused first)"),
    ("M0", "m0", "uiMultiplier then"),
    ("E", "entitled", "R * M0 / 10^36: the tokens' shares, written off"),
    ("Q", "custody_entitled", "custody shares the broker removed (its REORG quantity)"),
]
SPIN_OFF = [
    *RECORD,
    ("new_symbol", "new_symbol", "the new company (its own listing and token)"),
    ("old_rate", "old_rate", "the broker's source rate"),
    ("new_rate", "new_rate", "the broker's new rate: new_rate / old_rate new shares per share"),
    ("Q", "custody_entitled", "parent shares custody was entitled on: (N + fraction) / rate"),
    ("N", "filled_qty", "new shares custody received (its SSO quantity)"),
    ("cash_in_lieu", "cash_in_lieu", "sum of CIL: the fraction the broker paid in cash"),
    ("D", "supply_raw", "new raw minted: sum of floor(raw_i * min(floor(R' * M0 * rate / "
     "10^18), N * 10^18) / R') over the holders of record (R': their raw, the redemption "
     "wallet left out)"),
    ("residue", "residue", "N - D / 10^18: new shares left in custody as surplus"),
    ("token_name", "token_name", "the new token's name (the owner lists it: owner_calls)"),
    ("supply_final", "final_supply_raw", "the new token's totalSupply at completion"),
    ("custody_settled", "custody_settled", "the new company's settled custody then"),
]
STOCK_MERGER = [
    *CASH_MERGER[:4],
    ("acquirer", "new_symbol", "the acquirer (its own listing and token)"),
    ("old_rate", "old_rate", "the broker's acquiree rate"),
    ("new_rate", "new_rate", "the broker's acquirer rate: new_rate / old_rate acquirer shares "
     "per share"),
    ("cash_rate", "cash_rate", "cash per share (a stock-and-cash merger)"),
    ("Q", "custody_entitled", "shares the broker converted (its MA quantity in the acquiree)"),
    ("N", "filled_qty", "acquirer shares custody received (its MA quantity in the acquirer)"),
    ("cash_in_lieu", "cash_in_lieu", "sum of CIL: the fraction of an acquirer share paid in "
     "cash"),
    ("Ma", "m1", "the acquirer's uiMultiplier the figures are at (checked before migrating)"),
    ("D", "supply_raw", "acquirer raw minted: sum of floor(raw_i * min(floor(R * M0 * rate / "
     "Ma), floor(N * 10^36 / Ma)) / R) over the holders of record"),
    ("residue", "residue", "N - D * Ma / 10^36: acquirer shares left in custody as surplus"),
    ("net", "net", "the cash part the broker paid (its MA amount): stablecoin claims"),
    ("distributed", "distributed", "sum of the holders' claims, as a cash merger's"),
    ("custody_settled", "custody_settled", "the acquirer's settled custody after the "
     "migration"),
]
DELISTING = [
    ("R", "raw_supply", "totalSupply at the snapshot block (the token paused first)"),
    ("M0", "m0", "uiMultiplier then"),
    ("E", "entitled", "R * M0 / 10^36: the tokens' shares, frozen"),
    ("custody_settled", "custody_settled", "the custody shares behind them (they stay)"),
]
SPLIT = [
    ("R", "raw_supply", "totalSupply at the snapshot block"),
    ("M0", "m0", "uiMultiplier before the split"),
    ("old_rate", "old_rate", "the broker's old rate"),
    ("new_rate", "new_rate", "the broker's new rate"),
    ("M1", "m1", "floor(M0 * new_rate / old_rate)"),
    ("price_before", "price_before", "the broker's price before the split"),
    ("price_after", "price_after", "the broker's price after the split (price continuity: "
     "price_after * M1 ~ price_before * M0)"),
    ("cash_in_lieu", "cash_in_lieu", "sum of CIL: fractions the broker paid in cash"),
    ("F", "filled_qty", "shares the reinvested cash in lieu bought"),
    ("supply", "supply_raw", "totalSupply when M1 was computed (hashed into the schedule's "
     "reference)"),
    ("supply_final", "final_supply_raw", "totalSupply at completion"),
    ("custody_settled", "custody_settled", "the custody account's settled shares then"),
    ("residue", "residue", "custody_settled - supply * M1 / 10^36"),
    ("residue_owed", "residue_owed", "shares owed to creations and redemptions in flight"),
    ("residue_free", "residue_free", "residue - residue_owed"),
]


#: Cash figures, shown to the cent (they are whole cents).
CASH = frozenset({"gross", "withholding", "fees", "net", "redeemers_paid", "filled_cost",
                  "cash_in_lieu", "distributed", "reclaimed"})


def _text(column: str, value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")) if column in CASH else value, "f")
    return str(value)


def figures(action: CorporateAction) -> list[dict[str, Any]]:
    table = {"dividend": DIVIDEND, "stock_dividend": STOCK_DIVIDEND,
             "name_change": NAME_CHANGE, "cash_merger": CASH_MERGER,
             "worthless_removal": WORTHLESS_REMOVAL,
             "spin_off": SPIN_OFF, "stock_merger": STOCK_MERGER,
             "delisting": DELISTING}.get(action.kind, SPLIT)
    shown = []
    for name, column, formula in table:
        value = getattr(action, column)
        if value is None:
            continue
        shown.append({"name": name, "value": _text(column, value), "formula": formula})
    return shown


def owed(db: Any, action: CorporateAction) -> list[dict[str, Any]]:
    """The entitlements stored at the record: who besides the tokens owned custody shares."""
    return [{"kind": e.kind, "id": e.lifecycle_id, "qty": format(e.qty, "f"), "raw": e.raw,
             "amount": None if e.amount is None else format(e.amount, "f"),
             "journal_id": e.journal_id}
            for e in entitlement.entitlements(db, action.id)]
