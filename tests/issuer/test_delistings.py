"""A delisting the issuer winds down (issue 30, item 6), announced through the operator API by
one operator and approved by another: a final redemption window, then the token frozen with a
record of the event, the shares staying in custody behind it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from issuer.errors import IssuerError
from tests.issuer.test_corporate_actions import action, mint_100, no_halts, token

D = Decimal
ONE = 10**18
DAY = dt.date


def test_a_delisting_is_approved_by_a_second_operator_then_freezes_the_token_after_its_window(
        stack, api):
    """AAPL is to be delisted with Mon 10/21 as its final date (announced Tue 10/15). From the
    approval nothing is minted; 20 of the 100 tokens are redeemed inside the window; on the
    final date the token is paused with the 80 tokens as the record, the 80 custody shares
    still behind them."""
    mint_100(stack)                                                   # Tue 10/15
    ops, ops2 = api["ops"], api["ops2"]
    body = {"symbol": "aapl", "final_date": "2024-10-21", "reason": "leaves the exchange"}
    for bad, code in (({**body, "final_date": "2024-10-15"}, "invalid_final_date"),
                      ({**body, "final_date": "2026-10-15"}, "invalid_final_date"),
                      ({**body, "final_date": 20241021}, "invalid_date"),
                      ({**body, "symbol": "NOPE"}, "unknown_symbol"),
                      ({**body, "reason": ""}, "invalid_request")):
        refused = ops.post("/v1/delistings", bad)
        assert refused.json()["code"] == code, refused.text
        assert refused.status_code in (404, 422)
    asked = ops.post("/v1/delistings", body)
    assert asked.status_code == 202, asked.text
    approval = asked.json()
    assert (approval["action"], approval["status"]) == ("delisting", "pending")
    assert api["view"].get("/v1/corporate-actions", symbol="AAPL").json()["items"] == []
    same = ops.post(f"/v1/approvals/{approval['id']}/approve")
    assert (same.status_code, same.json()["code"]) == (403, "same_approver")
    decided = ops2.post(f"/v1/approvals/{approval['id']}/approve")
    assert decided.status_code == 200, decided.text
    [listed] = api["view"].get("/v1/corporate-actions", symbol="AAPL").json()["items"]
    assert (listed["kind"], listed["status"], listed["ex_date"]) == (
        "delisting", "announced", "2024-10-21")
    again = ops.post("/v1/delistings", body)
    assert (again.status_code, again.json()["code"]) == (409, "symbol_removed")
    window = [e for e in api["view"].get("/v1/corporate-actions/calendar").json()["entries"]
              if e["kind"] == "delisting"]
    assert window[0]["window"]["holds_mints_and_burns"] is True
    with pytest.raises(IssuerError) as refused_mint:
        stack.create("1")
    assert (refused_mint.value.status, refused_mint.value.code) == (409, "symbol_removed")
    assert "delisted on 2024-10-21" in refused_mint.value.detail
    redemption = stack.redeem("20")                                   # within the window
    stack.until(lambda: stack.redemption(redemption).status == "completed")
    stack.to_date(DAY(2024, 10, 21))
    ca = action(stack, listed["corporate_action_id"])
    assert ca.status == "completed", ca.status_reason
    assert (ca.raw_supply, ca.entitled, ca.custody_settled) == (str(80 * ONE), D(80), D(80))
    t = token(stack)
    assert t.functions.paused().call() and t.functions.totalSupply().call() == 80 * ONE
    report = stack.run_report("AAPL")
    assert (report.custody_settled, report.converted, report.holds) == (D(80), D(0), True)
    assert stack.invariant_held() and no_halts(stack)
    with pytest.raises(IssuerError) as late:
        stack.redeem("1")
    assert (late.value.status, late.value.code) == (409, "symbol_removed")
