"""The broker's proxy-voting interface (``/proxy/v1``, the mock's stand-in for a proxy
service): meetings announced, amended and cancelled as versions; what each account may vote
fixed at the end of the record date; instructions with split votes, checked against that
position, before the cutoff, replaced only when asked; results after the meeting."""

from __future__ import annotations

import datetime as dt

import pytest

from custody_mock.client import BrokerClient, BrokerRejected
from tests.custody_mock.conftest import D, ny, open_funded

MONDAY = dt.date(2024, 10, 7)
PROPOSALS = [
    {"id": "1", "text": "Ratify the auditors", "kind": "for_against_abstain",
     "recommendation": "for"},
    {"id": "2", "text": "Elect one director", "kind": "slate", "choices": ["Ada", "Grace"],
     "recommendation": "Ada"},
]


def _buy(broker: BrokerClient, account: str, qty: str) -> None:
    order = broker.submit_order(account, symbol="AAPL", side="buy", qty=D(qty))
    assert order.status == "filled"


@pytest.fixture
def meeting(broker: BrokerClient):
    """Two holders buy Monday (settled Tuesday, the record date); a third buys Tuesday
    (settles Wednesday: not a holder of record). Meeting Friday, cutoff Thursday 16:00."""
    holders = {name: open_funded(broker) for name in ("a", "b", "late")}
    _buy(broker, holders["a"], "10")
    _buy(broker, holders["b"], "5")
    announced = broker.announce_meeting(
        symbol="AAPL", meeting_date=dt.date(2024, 10, 11), record_date=dt.date(2024, 10, 8),
        cutoff=ny(dt.date(2024, 10, 10), 16), proposals=PROPOSALS,
        street={"1": {"for": D(1000), "against": D(990)}, "2": {"Ada": D(500), "Grace": D(505)}})
    broker.end_of_day()                      # Monday -> Tuesday
    _buy(broker, holders["late"], "7")
    return announced, holders


def _vote(broker, meeting_id, account, client_id, votes, **kw):
    return broker.instruct(meeting_id, account_id=account, client_instruction_id=client_id,
                           votes=[{"proposal_id": p, "choice": c, "qty": str(q)}
                                  for p, c, q in votes], **kw)


def _refused(call, status: int, code: str) -> BrokerRejected:
    with pytest.raises(BrokerRejected) as refused:
        call()
    assert (refused.value.status, refused.value.code) == (status, code), refused.value.detail
    return refused.value


def test_a_meeting_from_announcement_to_result(broker, meeting):
    announced, holders = meeting
    mid = announced.meeting_id
    assert [p["choices"] for p in announced.proposals] == [["for", "against", "abstain"],
                                                            ["Ada", "Grace"]]
    # before the record date has ended, nobody's shares are known
    _refused(lambda: _vote(broker, mid, holders["a"], "a-1", [("1", "for", 1)]), 409,
             "record_date_not_reached")
    assert broker.meeting_record(mid, holders["a"]).qty is None
    broker.end_of_day()                      # Tuesday -> Wednesday: the record is taken
    assert [broker.meeting_record(mid, holders[h]).qty for h in ("a", "b", "late")] == [
        D(10), D(5), D(0)]
    # split voting: 6 for, 3 against, 1 abstain; the slate 10 for Ada
    first = _vote(broker, mid, holders["a"], "a-1",
                  [("1", "for", 6), ("1", "against", 3), ("1", "abstain", 1), ("2", "Ada", 10)])
    assert first.votes == {"1": {"abstain": "1", "against": "3", "for": "6"}, "2": {"Ada": "10"}}
    # the same instruction again is answered with the first; other votes under its id are not
    assert _vote(broker, mid, holders["a"], "a-1",
                 [("1", "for", 6), ("1", "against", 3), ("1", "abstain", 1),
                  ("2", "Ada", 10)]).id == first.id
    _refused(lambda: _vote(broker, mid, holders["a"], "a-1", [("1", "for", 10)]), 409,
             "client_instruction_id_reused")
    # a second instruction replaces the first only when it says so
    _refused(lambda: _vote(broker, mid, holders["a"], "a-2", [("1", "for", 10)]), 409,
             "instruction_exists")
    second = _vote(broker, mid, holders["a"], "a-2", [("1", "for", 10), ("2", "Grace", 4)],
                   replace=True)
    assert [(i.id, i.status) for i in broker.instructions(mid, holders["a"])] == [
        (first.id, "replaced"), (second.id, "accepted")]
    # b votes 5 against; the late buyer held nothing at the record date
    _vote(broker, mid, holders["b"], "b-1", [("1", "against", 5)])
    _refused(lambda: _vote(broker, mid, holders["late"], "l-1", [("1", "for", 1)]), 422,
             "exceeds_position")
    # results wait for the meeting
    _refused(lambda: broker.meeting_results(mid), 409, "results_not_published")
    broker.end_of_day()                      # Wednesday -> Thursday
    broker.set_clock(ny(dt.date(2024, 10, 10), 16, 1))
    _refused(lambda: _vote(broker, mid, holders["b"], "b-2", [("1", "for", 5)],
                           replace=True), 409, "cutoff_passed")
    broker.end_of_day()                      # Thursday -> Friday (the meeting)
    _refused(lambda: broker.meeting_results(mid), 409, "results_not_published")
    broker.end_of_day()                      # Friday -> Monday: results
    result = broker.meeting_results(mid, account_id=holders["a"])
    by_id = {p.id: p for p in result.proposals}
    # 1: street 1000 for / 990 against, a 10 for, b 5 against -> 1010 / 995: passed
    assert by_id["1"].totals == {"for": "1010", "against": "995", "abstain": "0"}
    assert by_id["1"].outcome == "passed"
    # 2: street 500 Ada / 505 Grace, a 4 Grace (its replaced 10 for Ada does not count)
    assert by_id["2"].totals == {"Ada": "500", "Grace": "509"}
    assert by_id["2"].outcome == "Grace"
    assert by_id["1"].account_votes == {"for": "10"} and by_id["2"].account_votes == {
        "Grace": "4"}


def test_bad_instructions_are_refused_and_change_nothing(broker, meeting):
    announced, holders = meeting
    mid = announced.meeting_id
    broker.end_of_day()
    cases = [
        ([("1", "for", 6), ("1", "against", 5)], 422, "exceeds_position"),   # 11 > 10
        ([("9", "for", 1)], 422, "unknown_proposal"),
        ([("1", "yes", 1)], 422, "invalid_choice"),
        ([("2", "for", 1)], 422, "invalid_choice"),
    ]
    for votes, status, code in cases:
        _refused(lambda v=votes: _vote(broker, mid, holders["a"], "x", v), status, code)
    assert broker.instructions(mid, holders["a"]) == []
    _refused(lambda: _vote(broker, "no-such-meeting", holders["a"], "x", [("1", "for", 1)]),
             404, "meeting_not_found")


def test_amendments_and_cancellations_are_versions(broker, meeting):
    announced, holders = meeting
    mid = announced.meeting_id
    moved = broker.amend_meeting(mid, cutoff=ny(dt.date(2024, 10, 9), 12).isoformat())
    assert (moved.version, moved.cutoff) == (2, ny(dt.date(2024, 10, 9), 12))
    assert [m.version for m in broker.meetings(symbol="AAPL")] == [2]
    broker.end_of_day()
    _refused(lambda: broker.amend_meeting(mid, record_date="2024-10-09"), 409, "record_taken")
    cancelled = broker.cancel_meeting(mid)
    assert (cancelled.version, cancelled.status) == (3, "cancelled")
    _refused(lambda: _vote(broker, mid, holders["a"], "a-1", [("1", "for", 1)]), 409,
             "meeting_cancelled")
    _refused(lambda: broker.announce_meeting(
        symbol="AAPL", meeting_date=dt.date(2024, 10, 8), record_date=dt.date(2024, 10, 9),
        cutoff=ny(dt.date(2024, 10, 8), 12), proposals=PROPOSALS), 422, "invalid_dates")
