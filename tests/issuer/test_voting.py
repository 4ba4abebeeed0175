"""Shareholder votes passed through, end to end: the broker's proxy service announces a
meeting, the issuer snapshots its holders of record at the last block of the record date
(raw balances times the multiplier then), publishes the ballot root on the ProxyVoteRegistry,
counts EIP-712 ballots until its deadline, sends the broker one instruction (the tally) and
stores the broker's result next to it. Figures by hand in the comments.

Dates: the stack starts Friday 2024-10-11; the AP's 100 shares settle Tuesday 10/15 (Monday is
Columbus Day). Record date Wednesday 10/16, cutoff Friday 10/18 16:00 New York (holders'
deadline 15:00), meeting Monday 10/21."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from decimal import Decimal

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy import select

from issuer.app import create_app
from issuer.config import dev_key
from issuer.models import Meeting
from issuer.voting import ballot as typed
from servicekit.calendar import NEW_YORK
from tests.issuer import worker_process
from tests.support import serve_app

D = Decimal
ONE = 10**18
RECORD, MEETING = dt.date(2024, 10, 16), dt.date(2024, 10, 21)
CUTOFF = dt.datetime(2024, 10, 18, 16, 0, tzinfo=NEW_YORK)
PROPOSALS = [
    {"id": "1", "text": "Ratify the auditors", "kind": "for_against_abstain",
     "recommendation": "for"},
    {"id": "2", "text": "Elect one director", "kind": "slate", "choices": ["Ada", "Grace"],
     "recommendation": "Ada"},
]
AP, ALICE, BOB = 6, 7, 8


def _key(index: int) -> str:
    return dev_key(index)


def _address(index: int) -> str:
    return Account.from_key(_key(index)).address


def _send(stack, fn, sender: str) -> None:
    w3 = stack.issuer.chain.w3
    w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))


@pytest.fixture
def voting(stack):
    """100 AAPL minted to the AP, 30 sent to Alice and 20 to Bob, the multiplier set to 0.8,
    then a meeting announced with a record date of Wednesday."""
    from brownie import accounts
    stack.suite.onboard(accounts[BOB], 840)
    creation = stack.create("100")
    stack.until(lambda: stack.creation(creation).status == "completed")
    token = stack.issuer.chain.stock("AAPL").token
    _send(stack, token.functions.transfer(_address(ALICE), 30 * ONE), _address(AP))
    _send(stack, token.functions.transfer(_address(BOB), 20 * ONE), _address(AP))
    now = stack.issuer.chain.block_time()
    _send(stack, token.functions.setUIMultiplier(8 * 10**17, now + 2), _address(3))
    stack.advance_chain(5)
    assert token.functions.uiMultiplier().call() == 8 * 10**17
    notice = stack.broker.announce_meeting(
        symbol="AAPL", meeting_date=MEETING, record_date=RECORD, cutoff=CUTOFF,
        proposals=PROPOSALS, street={"1": {"for": D(900), "against": D(880)}})
    return notice.meeting_id, token


def _meeting(stack, meeting_id: str) -> Meeting:
    with stack.issuer.session() as db:
        row = db.get(Meeting, meeting_id)
        db.expunge(row)
        return row


def _ballot(stack, meeting_id: str, index: int, votes, nonce: int = 1, *, signer: int | None = None,
            chain_id: int | None = None) -> dict:
    """A ballot of wallet ``index`` signed by ``signer`` (default: the wallet's own key)."""
    voter = _address(index)
    registry = stack.issuer.chain.contract("ProxyVoteRegistry").address
    units = [(p, c, typed.to_units(D(s))) for p, c, s in votes]
    message = typed.typed_data(chain_id=chain_id or stack.issuer.chain.chain_id,
                               registry=registry, meeting_id=meeting_id, voter=voter,
                               votes=units, nonce=nonce)
    signed = Account.from_key(_key(signer if signer is not None else index)).sign_message(
        encode_typed_data(full_message=message))
    return {"voter": voter, "nonce": nonce, "signature": "0x" + signed.signature.hex(),
            "votes": [{"proposal": p, "choice": c, "shares": s} for p, c, s in votes]}


def _read(stack, meeting_id: str, index: int, *, signer: int | None = None,
          expires: int | None = None) -> dict[str, str]:
    """Headers of wallet ``index``'s signed read of its own voting record."""
    expires = int(time.time()) + 300 if expires is None else expires
    message = typed.read_request(chain_id=stack.issuer.chain.chain_id,
                                 registry=stack.issuer.chain.contract("ProxyVoteRegistry").address,
                                 meeting_id=meeting_id, voter=_address(index), expires=expires)
    signed = Account.from_key(_key(signer if signer is not None else index)).sign_message(
        encode_typed_data(full_message=message))
    return {"X-Voter-Expires": str(expires), "X-Voter-Signature": "0x" + signed.signature.hex()}


def _open(stack, meeting_id: str) -> None:
    stack.to_date(dt.date(2024, 10, 17))
    stack.run(passes=3)
    assert _meeting(stack, meeting_id).status == "open", _meeting(stack, meeting_id)


def test_a_meeting_passed_through_from_announcement_to_result(stack, voting, keys):
    meeting_id, token = voting
    stack.run(passes=2)
    assert _meeting(stack, meeting_id).status == "announced"
    stack.to_date(RECORD)
    # after the record date (the chain and the broker are past Wednesday), Alice sells 10 of
    # her 30 raw tokens to Bob: the seller still votes her record-date shares, the buyer not
    _open(stack, meeting_id)
    _send(stack, token.functions.transfer(_address(BOB), 10 * ONE), _address(ALICE))
    row = _meeting(stack, meeting_id)
    # raw at the record block: AP 50, Alice 30, Bob 20; times M = 0.8: 40, 24 and 16 shares
    assert row.multiplier == str(8 * 10**17) and row.entitled_shares == D(80)
    assert row.custody_shares == D(100)   # the broker's record of custody at the record date
    registry = stack.issuer.chain.contract("ProxyVoteRegistry")
    assert registry.functions.ballot(typed.meeting_key(meeting_id)).call()[1] == \
        bytes.fromhex(row.root[2:])

    with serve_app(create_app(issuer=stack.issuer)) as url:
        http = httpx.Client(base_url=url)
        voter = http.get(f"/v1/meetings/{meeting_id}/voters/{_address(ALICE)}").json()
        assert (voter["shares"], voter["units"]) == ("24", 24 * 10**9)
        assert voter["next_nonce"] is None   # until the tally: the holder's own signed read
        signed_read = http.get(f"/v1/meetings/{meeting_id}/voters/{_address(ALICE)}",
                               headers=_read(stack, meeting_id, ALICE))
        assert signed_read.json()["next_nonce"] == 1, signed_read.text
        # the proof is checked on chain against the published root
        assert registry.functions.entitled(typed.meeting_key(meeting_id), _address(ALICE),
                                           voter["units"], voter["proof"]).call()
        # Alice splits her 24: 14 for, 10 against; all 24 for Ada
        alice = http.post(f"/v1/meetings/{meeting_id}/ballots", json=_ballot(
            stack, meeting_id, ALICE, [("1", "for", "14"), ("1", "against", "10"),
                                       ("2", "Ada", "24")]))
        assert alice.status_code == 201, alice.text
        # the same ballot again: its receipt, nothing new
        again = http.post(f"/v1/meetings/{meeting_id}/ballots", json=_ballot(
            stack, meeting_id, ALICE, [("1", "for", "14"), ("1", "against", "10"),
                                       ("2", "Ada", "24")]))
        assert again.json()["ballot_id"] == alice.json()["ballot_id"]
        # issue 25, item 13: the repeat shortcut ran before the signature check, so a zero
        # signature on a guess of Alice's ballot answered 201 with her receipt (a wrong guess
        # 409): anyone learned how she voted. Both are now the same 422.
        zero = "0x" + "00" * 65
        for guess in ([("1", "for", "14"), ("1", "against", "10"), ("2", "Ada", "24")],
                      [("1", "for", "24"), ("2", "Ada", "24")]):
            probe = {**_ballot(stack, meeting_id, ALICE, guess), "signature": zero}
            answer = http.post(f"/v1/meetings/{meeting_id}/ballots", json=probe)
            assert (answer.status_code, answer.json()["code"]) == (422, "invalid_signature"), \
                answer.text
        # issue 25, item 14: the voter route showed anyone Alice's next nonce (who voted and
        # how often they changed) while voting was open; now only Alice's signed read does
        path = f"/v1/meetings/{meeting_id}/voters/{_address(ALICE)}"
        assert http.get(path).json()["next_nonce"] is None
        assert http.get(path, headers=_read(stack, meeting_id, ALICE)).json()["next_nonce"] == 2
        for headers in (_read(stack, meeting_id, ALICE, signer=BOB),
                        _read(stack, meeting_id, ALICE, expires=int(time.time()) - 1),
                        _read(stack, meeting_id, ALICE, expires=int(time.time()) + 3_600),
                        {"X-Voter-Signature": "0x" + "00" * 65}):
            refused = http.get(path, headers=headers)
            assert (refused.status_code, refused.json()["code"]) == (401, "invalid_signature")
        # issue 25, item 16: the counted ballots are published once the deadline has passed
        early = http.get(f"/v1/meetings/{meeting_id}/ballots")
        assert (early.status_code, early.json()["code"]) == (409, "voting_open")
        # issue 25, item 17: a nonce sent as a JSON string was accepted
        as_text = {**_ballot(stack, meeting_id, ALICE, [("1", "for", "24")], nonce=5),
                   "nonce": "5"}
        answer = http.post(f"/v1/meetings/{meeting_id}/ballots", json=as_text)
        assert answer.status_code == 422, answer.text
        # Bob votes 16 against, then changes his mind: 16 for (nonce 2 replaces nonce 1)
        first = http.post(f"/v1/meetings/{meeting_id}/ballots",
                          json=_ballot(stack, meeting_id, BOB, [("1", "against", "16")]))
        assert first.status_code == 201
        second = http.post(f"/v1/meetings/{meeting_id}/ballots",
                           json=_ballot(stack, meeting_id, BOB, [("1", "for", "16")], nonce=2))
        assert second.status_code == 201
        receipt = http.get(f"/v1/meetings/{meeting_id}/ballots/{first.json()['ballot_id']}")
        assert receipt.json()["status"] == "replaced"
        # refusals: each with its reason, nothing stored
        refusals = [
            (_ballot(stack, meeting_id, 9, [("1", "for", "1")]), 403, "not_holder_of_record"),
            (_ballot(stack, meeting_id, ALICE, [("1", "for", "1")], nonce=2, signer=BOB), 422,
             "invalid_signature"),
            (_ballot(stack, meeting_id, ALICE, [("1", "for", "1")], nonce=2, chain_id=1), 422,
             "invalid_signature"),
            (_ballot(stack, meeting_id, ALICE, [("1", "for", "24.000000001")], nonce=2), 422,
             "over_entitlement"),
            (_ballot(stack, meeting_id, BOB, [("1", "for", "1")], nonce=1), 409,
             "stale_nonce"),
            (_ballot(stack, meeting_id, ALICE, [("3", "for", "1")], nonce=2), 422,
             "unknown_proposal"),
            (_ballot(stack, meeting_id, ALICE, [("2", "for", "1")], nonce=2), 422,
             "invalid_choice"),
        ]
        for body, status, code in refusals:
            refused = http.post(f"/v1/meetings/{meeting_id}/ballots", json=body)
            assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        tally = http.get(f"/v1/meetings/{meeting_id}/tally").json()
        assert tally["ballots"] == 2
        # 1: for 14 + 16 = 30, against 10, 40 not voted (the AP); 2: Ada 24, 56 not voted
        assert tally["proposals"][0]["choices"] == {"for": "30", "against": "10",
                                                    "abstain": "0"}
        assert tally["proposals"][0]["not_voted"] == "40"
        assert tally["proposals"][1]["choices"] == {"Ada": "24", "Grace": "0"}

        # Friday 15:00 New York, the holders' deadline: ballots close, the tally is sent
        stack.to_date(dt.date(2024, 10, 18))
        stack.set_clock(dt.datetime(2024, 10, 18, 15, 0, 1, tzinfo=NEW_YORK))
        late = http.post(f"/v1/meetings/{meeting_id}/ballots",
                         json=_ballot(stack, meeting_id, ALICE, [("1", "for", "1")], nonce=2))
        assert (late.status_code, late.json()["code"]) == (409, "voting_not_open") or \
            (late.status_code, late.json()["code"]) == (409, "deadline_passed")
        stack.run(passes=3)
        row = _meeting(stack, meeting_id)
        assert row.status == "instructed", row.status_reason
        # after the tally the voting record is public
        assert http.get(f"/v1/meetings/{meeting_id}/voters/{_address(ALICE)}").json()[
            "next_nonce"] == 2
        # issue 25, item 16: anyone recounts the tally from the published ballots, checks each
        # signature, and proves a ballot is in the total against the root recorded on chain
        published = http.get(f"/v1/meetings/{meeting_id}/ballots").json()
        on_chain = registry.functions.ballot(typed.meeting_key(meeting_id)).call()
        assert (published["count"], on_chain[8]) == (2, 2)
        assert published["root"] == "0x" + on_chain[7].hex()
        recount: dict[str, dict[str, Decimal]] = {}
        for counted in published["ballots"]:
            assert registry.functions.isValidSignature(
                counted["voter"], bytes.fromhex(counted["digest"][2:]),
                bytes.fromhex(counted["signature"][2:])).call()
            assert registry.functions.ballotCounted(
                typed.meeting_key(meeting_id), counted["voter"],
                bytes.fromhex(counted["digest"][2:]),
                [bytes.fromhex(p[2:]) for p in counted["proof"]]).call()
            for vote in counted["votes"]:
                per = recount.setdefault(vote["proposal"], {})
                per[vote["choice"]] = per.get(vote["choice"], Decimal(0)) + Decimal(vote["shares"])
        assert {p: {c: format(v, "f") for c, v in per.items() if v} for p, per in
                recount.items()} == row.instruction["votes"]
        # unvoted shares left unvoted (the default policy), said in the instruction
        assert row.instruction["votes"] == {"1": {"against": "10", "for": "30"},
                                            "2": {"Ada": "24"}}
        assert row.instruction["unvoted"] == {"1": "40", "2": "56"}
        [sent] = stack.broker.instructions(meeting_id, stack.custody_account)
        assert sent.votes == {"1": {"against": "10", "for": "30"}, "2": {"Ada": "24"}}
        assert sent.client_instruction_id == f"meeting-{meeting_id}"
        assert registry.functions.ballot(typed.meeting_key(meeting_id)).call()[5] == \
            bytes.fromhex(row.instruction_hash[2:])
        receipt = http.get(f"/v1/meetings/{meeting_id}/ballots/{alice.json()['ballot_id']}")
        assert receipt.json()["instruction_hash"] == row.instruction_hash

        # after the meeting: the broker's result next to the instruction
        stack.to_date(dt.date(2024, 10, 22))
        stack.run(passes=2)
        row = _meeting(stack, meeting_id)
        assert row.status == "completed"
        first_result = row.results["proposals"][0]
        # street 900 for / 880 against, plus the instruction's 30 / 10
        assert first_result["totals"] == {"for": "930", "against": "890", "abstain": "0"}
        assert first_result["account_votes"] == {"against": "10", "for": "30"}
        operator = http.get(f"/v1/meetings/{meeting_id}",
                            headers={"X-API-Key": keys["view"]}).json()
        assert operator["status"] == "completed" and operator["results"] == row.results


def test_board_policy_votes_the_unvoted_shares_as_recommended(stack, voting, api):
    meeting_id, _token = voting
    stack.run(passes=2)
    set_policy = api["ops"].post(f"/v1/meetings/{meeting_id}/policy", {"policy": "board"})
    assert set_policy.status_code == 200, set_policy.text
    stack.to_date(RECORD)
    _open(stack, meeting_id)
    with serve_app(create_app(issuer=stack.issuer)) as url:
        answer = httpx.post(f"{url}/v1/meetings/{meeting_id}/ballots", json=_ballot(
            stack, meeting_id, ALICE, [("1", "against", "24")]))
        assert answer.status_code == 201
    stack.to_date(dt.date(2024, 10, 18))
    stack.set_clock(dt.datetime(2024, 10, 18, 15, 30, tzinfo=NEW_YORK))
    stack.run(passes=3)
    row = _meeting(stack, meeting_id)
    # 1: Alice 24 against; the 56 not voted go "for" (the board); 2: all 80 for Ada
    assert row.instruction["votes"] == {"1": {"against": "24", "for": "56"}, "2": {"Ada": "80"}}
    assert row.instruction["policy"] == "board"
    # too late to change the policy now
    late = api["ops"].post(f"/v1/meetings/{meeting_id}/policy", {"policy": "unvoted"})
    assert (late.status_code, late.json()["code"]) == (409, "deadline_passed")


def _one_ballot_then(stack, meeting_id: str, index: int, votes, at: dt.time) -> None:
    """Open the meeting, count one ballot, then set the broker's clock to ``at`` on Friday
    (the cutoff's day)."""
    stack.to_date(RECORD)
    _open(stack, meeting_id)
    with serve_app(create_app(issuer=stack.issuer)) as url:
        answer = httpx.post(f"{url}/v1/meetings/{meeting_id}/ballots",
                            json=_ballot(stack, meeting_id, index, votes))
        assert answer.status_code == 201, answer.text
    stack.to_date(dt.date(2024, 10, 18))
    stack.set_clock(dt.datetime.combine(dt.date(2024, 10, 18), at, NEW_YORK))


def test_a_late_instruction_is_refused_by_the_broker_and_the_meeting_fails(stack, voting):
    meeting_id, _token = voting
    # the worker was down through the cutoff: the broker refuses what it sends now
    _one_ballot_then(stack, meeting_id, BOB, [("1", "for", "16")], dt.time(16, 30))
    stack.run(passes=3)
    row = _meeting(stack, meeting_id)
    assert row.status == "failed" and "cutoff_passed" in row.status_reason
    assert stack.broker.instructions(meeting_id, stack.custody_account) == []


@pytest.mark.parametrize("point", ["meeting.before_instruction", "meeting.after_instruction",
                                   "meeting.before_instructed"])
def test_killed_between_tally_and_instruction_sends_one_instruction(stack, voting, point):
    meeting_id, _token = voting
    _one_ballot_then(stack, meeting_id, ALICE, [("1", "for", "24")], dt.time(15, 30))
    settings = stack.issuer.settings
    env = {**os.environ, "ISSUER_DATABASE_URL": settings.database_url,
           "ISSUER_MANIFEST": str(settings.manifest), "ISSUER_RPC_URL": settings.rpc_url,
           "ISSUER_BROKER_URL": settings.broker_url,
           "ISSUER_BROKER_ACCOUNT_ID": settings.broker_account_id,
           "ISSUER_REDEMPTION_WALLET": settings.redemption_wallet, "ISSUER_CRASH_AT": point}
    assert worker_process.run(env, passes=4) == -signal.SIGKILL
    stack.run(passes=3)   # a fresh pass in this process takes over
    row = _meeting(stack, meeting_id)
    assert row.status == "instructed", row.status_reason
    sent = stack.broker.instructions(meeting_id, stack.custody_account)
    assert [(i.status, i.votes) for i in sent] == [("accepted", {"1": {"for": "24"}})]
    with stack.issuer.session() as db:
        assert db.scalars(select(Meeting)).all()[0].instruction_hash == row.instruction_hash


def test_a_forward_split_after_the_record_date_changes_no_entitlement(stack, voting):
    """2-for-1 effective Friday 10/18, after the record date (Wednesday) and before the meeting
    (Monday): holders vote their record-date shares (24 for Alice, at M = 0.8), not the 48
    they hold after it, and the instruction is in record-date shares, as the broker's record
    of custody (100) is."""
    from sqlalchemy import select as sql_select

    from issuer import controls
    from issuer.api.auth import Principal
    from issuer.models import CorporateAction

    meeting_id, token = voting
    stack.to_date(RECORD)
    split = stack.broker.announce(ca_type="split", ca_sub_type="stock_split",
                                  initiating_symbol="AAPL", declaration_date=RECORD,
                                  ex_date=dt.date(2024, 10, 18), old_rate=D(1), new_rate=D(2))
    _open(stack, meeting_id)
    with stack.issuer.session() as db:   # maker-checker, as the API does it
        action = db.scalar(sql_select(CorporateAction).where(
            CorporateAction.corporate_action_id == split.corporate_action_id))
        approval = controls.request_apply(db, action, "operator-a")
        controls.decide(stack.issuer, db, approval.id, approve=True,
                        principal=Principal("k2", "ops2", "operator", "operator-b"),
                        actor_role_ok=True)
    stack.to_date(dt.date(2024, 10, 18))
    assert token.functions.uiMultiplier().call() == 16 * 10**17     # 0.8 * 2
    assert stack.broker.position(stack.custody_account, "AAPL").qty == D(200)
    with serve_app(create_app(issuer=stack.issuer)) as url:
        http = httpx.Client(base_url=url)
        voter = http.get(f"/v1/meetings/{meeting_id}/voters/{_address(ALICE)}").json()
        assert voter["shares"] == "24"           # the record date's, not today's 48
        over = http.post(f"/v1/meetings/{meeting_id}/ballots",
                         json=_ballot(stack, meeting_id, ALICE, [("1", "for", "48")]))
        assert (over.status_code, over.json()["code"]) == (422, "over_entitlement")
        assert http.post(f"/v1/meetings/{meeting_id}/ballots", json=_ballot(
            stack, meeting_id, ALICE, [("1", "for", "24")])).status_code == 201
    stack.set_clock(dt.datetime(2024, 10, 18, 15, 30, tzinfo=NEW_YORK))
    stack.run(passes=3)
    row = _meeting(stack, meeting_id)
    assert row.status == "instructed", row.status_reason
    assert (row.multiplier, row.custody_shares) == (str(8 * 10**17), D(100))
    assert row.instruction["votes"] == {"1": {"for": "24"}, "2": {}}   # 2: nobody voted
    [sent] = stack.broker.instructions(meeting_id, stack.custody_account)
    assert sent.votes == {"1": {"for": "24"}}


def test_concurrent_ballots_of_one_holder_leave_exactly_one_counted(stack, voting):
    """Eight ballots of Bob's at once (nonces 1-8, 1 to 8 shares "for"): each answered 201 or
    a 409, and afterwards exactly one of his ballots is counted, the tally is that one's."""
    from concurrent.futures import ThreadPoolExecutor

    from issuer.models import Ballot

    meeting_id, _token = voting
    stack.to_date(RECORD)
    _open(stack, meeting_id)
    bodies = [_ballot(stack, meeting_id, BOB, [("1", "for", str(n))], nonce=n)
              for n in range(1, 9)]
    with serve_app(create_app(issuer=stack.issuer)) as url, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda body: httpx.post(
            f"{url}/v1/meetings/{meeting_id}/ballots", json=body, timeout=60), bodies))
        tally = httpx.get(f"{url}/v1/meetings/{meeting_id}/tally").json()
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    assert any(a.status_code == 201 for a in answers)
    with stack.issuer.session() as db:
        counted = db.scalars(select(Ballot).where(Ballot.meeting_id == meeting_id,
                                                  Ballot.status == "counted")).all()
    assert len(counted) == 1
    assert tally["proposals"][0]["choices"]["for"] == str(counted[0].votes[0][2] // 10**9)


def test_forged_ballots_are_throttled_per_source(stack, voting):
    """Issue 25, item 16: the public ballot endpoint is throttled per source: after
    ISSUER_AUTH_FAILURE_LIMIT refused ballots in the window, 429 with Retry-After."""
    meeting_id, _token = voting
    _open(stack, meeting_id)
    limit = stack.issuer.settings.auth_failure_limit
    with serve_app(create_app(issuer=stack.issuer)) as url:
        http = httpx.Client(base_url=url)
        forged = {**_ballot(stack, meeting_id, ALICE, [("1", "for", "1")]),
                  "signature": "0x" + "00" * 65}
        answers = [http.post(f"/v1/meetings/{meeting_id}/ballots", json=forged)
                   for _ in range(limit + 1)]
        assert [a.status_code for a in answers] == [422] * limit + [429]
        assert answers[-1].json()["code"] == "too_many_refused_ballots"
        assert int(answers[-1].headers["Retry-After"]) >= 1
        # the holder's own ballot from that source waits too (the source is throttled)
        honest = http.post(f"/v1/meetings/{meeting_id}/ballots",
                           json=_ballot(stack, meeting_id, ALICE, [("1", "for", "1")]))
        assert honest.status_code == 429
