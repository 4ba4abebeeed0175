"""The holder register for a transfer agent: at a block, JSON and CSV, reconciled against the
chain (each balance is the wallet's balanceOf at that block, and they add up to totalSupply);
refused to roles below compliance, refused rather than partial; every export audited."""

import csv
import io

import pytest
from sqlalchemy import select

from issuer.models import AuditEntry

pytestmark = pytest.mark.stack

ONE = 10**18


def test_the_register_reconciles_to_the_chain_in_json_and_csv(stack, api):
    creation_id = stack.create("10")
    stack.until(lambda: stack.creation(creation_id).status == "completed")
    stack.run()  # the indexer catches up with the mint
    chain = stack.issuer.chain
    body = api["cmp"].get("/v1/register/AAPL").json()
    block = body["block"]
    assert int(body["total_supply"]) == chain.total_supply("AAPL", block) == 10 * ONE
    assert [h["wallet"] for h in body["holders"]] == [stack.ap_wallet]
    [holder] = body["holders"]
    assert int(holder["raw_balance"]) == chain.balance("AAPL", stack.ap_wallet, block)
    assert holder["identity"] == chain.registry.functions.identity(stack.ap_wallet).call()
    assert holder["country"] == chain.registry.functions.investorCountry(stack.ap_wallet).call()
    assert (holder["shares"], holder["frozen_raw"], holder["frozen"]) == ("10", "0", False)
    exported = api["admin"].get("/v1/register/AAPL", block=block, format="csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sum(int(r["raw_balance"]) for r in rows) == chain.total_supply("AAPL", block)
    assert all(int(r["raw_balance"]) == chain.balance("AAPL", r["wallet"], block) for r in rows)
    with stack.issuer.session() as db:
        audited = db.scalars(select(AuditEntry).where(
            AuditEntry.action == "register.export")).all()
    assert [(a.actor, a.detail["format"], a.detail["block"]) for a in audited] == [
        ("cmp", "json", block), ("admin", "csv", block)]


def test_the_register_is_refused_below_compliance_and_rather_than_partial(stack, api):
    for role in ("view", "ops"):
        assert api[role].get("/v1/register/AAPL").json()["code"] == "forbidden"
    head = stack.issuer.chain.head()
    ahead = api["cmp"].get("/v1/register/AAPL", block=head)
    assert (ahead.status_code, ahead.json()["code"]) == (409, "not_indexed_yet")
    unknown_day = api["cmp"].get("/v1/register/AAPL", record_date="2024-10-07")
    assert (unknown_day.status_code, unknown_day.json()["code"]) == (409, "no_record_snapshot")
    both = api["cmp"].get("/v1/register/AAPL", block=1, record_date="2024-10-07")
    assert both.json()["code"] == "one_point_in_time"
    with stack.issuer.session() as db:
        assert db.scalars(select(AuditEntry).where(
            AuditEntry.action == "register.export")).all() == []
