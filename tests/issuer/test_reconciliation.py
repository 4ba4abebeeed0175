"""The reconciliation report at a past block or broker time, rebuilt from what the issuer
recorded each time supply, multiplier or custody changed."""

from __future__ import annotations

from decimal import Decimal

D = Decimal
ONE = 10**18


def figures(report: dict) -> tuple[int, D, D]:
    return int(report["raw_supply"]) // ONE, D(report["custody_settled"]), \
        D(report["custody_pending"])


def test_a_past_report_is_rebuilt_from_the_records(stack, api):
    view = api["view"]
    first = stack.create("10")
    stack.until(lambda: stack.creation(first).status == "completed")
    then = view.get("/v1/reserves/AAPL").json()
    assert figures(then) == (10, D(10), D(0))
    second = stack.create("5")
    stack.until(lambda: stack.creation(second).status == "completed")
    assert figures(view.get("/v1/reserves/AAPL").json()) == (15, D(15), D(0))

    # one record each time the figures moved: filled (pending), settled, minted, twice
    history = view.get("/v1/reserves/AAPL/history").json()
    assert [figures(r) for r in history] == [
        (0, D(0), D(10)), (0, D(10), D(0)), (10, D(10), D(0)),
        (10, D(10), D(5)), (10, D(15), D(0)), (15, D(15), D(0))]
    assert all(r["holds"] for r in history)
    assert view.get("/v1/reserves/AAPL/history", after=history[1]["id"]).json() == history[2:]

    # at a block: the chain read at that block, custody as last recorded while it was the head
    # (custody moves without the chain mining, so that is the last record of the block); at a
    # broker time: the last record by then
    for row in history:
        by_block = [r for r in history if r["block"] <= row["block"]][-1]
        past = view.get("/v1/reserves/AAPL", block=row["block"]).json()
        assert figures(past) == figures(by_block) and past["holds"]
        assert int(past["raw_supply"]) == stack.issuer.chain.total_supply("AAPL", row["block"])
        assert past["open_creations"] is None and past["halted"] is None
        by_time = [r for r in history if r["broker_time"] <= row["broker_time"]][-1]
        at_time = view.get("/v1/reserves/AAPL", broker_time=row["broker_time"]).json()
        assert figures(at_time) == figures(by_time)
    # the first mint's block, read now: ten tokens then, whatever was minted since
    assert figures(view.get("/v1/reserves/AAPL", block=then["block"]).json())[0] == 10

    both = view.get("/v1/reserves/AAPL", block=then["block"], broker_time=then["broker_time"])
    assert (both.status_code, both.json()["code"]) == (422, "one_point_in_time")
    chain = stack.issuer.chain
    deployed = chain.manifest["deploy_block"]
    before = view.get("/v1/reserves/AAPL", block=deployed)   # the suite, not yet AAPL's token
    assert (before.status_code, before.json()["code"]) == (422, "block_before_deployment")
    listed = next(b for b in range(deployed, chain.head()) if chain.has_code("AAPL", b))
    before = view.get("/v1/reserves/AAPL", block=listed)      # the token, nothing recorded yet
    assert (before.status_code, before.json()["code"]) == (409, "not_recorded")
    never = view.get("/v1/reserves/AAPL", block=0)  # before the contracts existed
    assert (never.status_code, never.json()["code"]) == (422, "block_before_deployment")
    naive = view.get("/v1/reserves/AAPL", broker_time="2024-10-15T10:00:00")
    assert (naive.status_code, naive.json()["code"]) == (422, "invalid_broker_time")
