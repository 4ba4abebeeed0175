"""ProxyVoteRegistry: a meeting's ballot (Merkle root of holders' entitled shares) published
once by the publisher, entitlements provable by anyone, ballots' signatures checked the same
way for an account (ECDSA) and a smart-contract wallet (ERC-1271), and the instructed tally's
hash recorded once."""

from __future__ import annotations

import pytest
from brownie import ERC1271Wallet, accounts, chain
from eth_account import Account
from eth_account.messages import encode_typed_data

from issuer.corporate.merkle import MerkleTree
from issuer.voting import ballot
from tests.contracts.conftest import fails_with

KEY = "0x" + "7b" * 32   # a holder's key outside brownie's accounts
ZERO = b"\x00" * 32


@pytest.fixture
def published(suite, token, roles):
    # three holders: 10.5, 4 and 0.000000001 shares (1e-9 units)
    amounts = {accounts[6].address: 10_500_000_000, accounts[7].address: 4_000_000_000,
               Account.from_key(KEY).address: 1}
    tree = MerkleTree(amounts)
    meeting = ballot.meeting_key("m-2025-annual")
    tx = suite.voting.publish(meeting, token, tree.root, chain.height,
                              chain[-1].timestamp + 86_400,
                              sum(amounts.values()), b"\x02" * 32,
                              {"from": roles.corporate_actions})
    assert tx.events["BallotPublished"]["root"] == "0x" + tree.root.hex()
    return meeting, tree, amounts


def test_a_ballot_is_published_once_by_the_publisher_and_entitlements_are_provable(
        suite, published, token, roles, stranger):
    meeting, tree, amounts = published
    voting = suite.voting
    for holder, shares in amounts.items():
        assert voting.entitled(meeting, holder, shares, tree.proof(holder))
    holder = accounts[6].address
    assert not voting.entitled(meeting, holder, amounts[holder] + 1, tree.proof(holder))
    assert not voting.entitled(meeting, stranger, 1, tree.proof(holder))
    with fails_with("BallotExists"):
        voting.publish(meeting, token, tree.root, 1, chain[-1].timestamp + 10, 1, b"\x00" * 32,
                       {"from": roles.corporate_actions})
    with fails_with("AccessControlUnauthorizedAccount"):
        voting.publish(b"\x09" * 32, token, tree.root, 1, chain[-1].timestamp + 10, 1, b"\x00" * 32,
                       {"from": stranger})
    with fails_with("EmptyBallot"):
        voting.publish(b"\x09" * 32, token, b"\x00" * 32, 1, chain[-1].timestamp + 10, 1,
                       b"\x00" * 32, {"from": roles.corporate_actions})
    with fails_with("UnknownBallot"):
        voting.entitled(b"\x08" * 32, holder, 1, [])


def _ballot(suite, voter: str, nonce: int = 1):
    return ballot.typed_data(chain_id=chain.id, registry=suite.voting.address,
                             meeting_id="m-2025-annual", voter=voter,
                             votes=[("1", "for", 6_000_000_000), ("1", "against", 500_000_000)],
                             nonce=nonce)


def test_ballot_signatures_of_an_account_and_of_a_contract_wallet(suite, published):
    owner = Account.from_key(KEY)
    message = _ballot(suite, owner.address)
    digest = ballot.digest(message)
    assert suite.voting.domainSeparator() == "0x" + encode_typed_data(
        full_message=message).header.hex()
    signature = owner.sign_message(encode_typed_data(full_message=message)).signature
    assert suite.voting.isValidSignature(owner.address, digest, signature)
    # another key, another ballot, a broken signature: refused
    other = Account.create().sign_message(encode_typed_data(full_message=message)).signature
    assert not suite.voting.isValidSignature(owner.address, digest, other)
    assert not suite.voting.isValidSignature(owner.address, ballot.digest(
        _ballot(suite, owner.address, nonce=2)), signature)
    assert not suite.voting.isValidSignature(owner.address, digest, b"\x01" * 65)
    # a smart-contract wallet owned by the same key: valid through ERC-1271, for the wallet
    wallet = ERC1271Wallet.deploy(owner.address, {"from": accounts[0]})
    for_wallet = _ballot(suite, wallet.address)
    signed = owner.sign_message(encode_typed_data(full_message=for_wallet)).signature
    assert suite.voting.isValidSignature(wallet.address, ballot.digest(for_wallet), signed)
    stranger_signed = Account.create().sign_message(
        encode_typed_data(full_message=for_wallet)).signature
    assert not suite.voting.isValidSignature(wallet.address, ballot.digest(for_wallet),
                                             stranger_signed)


def test_the_tally_is_recorded_once(suite, published, roles, stranger):
    meeting, _tree, _amounts = published
    chain.sleep(86_401)  # past the holders' deadline
    chain.mine()
    tx = suite.voting.recordTally(meeting, b"\x05" * 32, ZERO, 0, {"from": roles.corporate_actions})
    assert tx.events["TallyRecorded"]["tally"] == "0x" + "05" * 32
    assert suite.voting.ballot(meeting)[5] == "0x" + "05" * 32
    with fails_with("TallyExists"):
        suite.voting.recordTally(meeting, b"\x06" * 32, ZERO, 0, {"from": roles.corporate_actions})
    with fails_with("AccessControlUnauthorizedAccount"):
        suite.voting.recordTally(b"\x01" * 32, b"\x06" * 32, b"\x00" * 32, 0, {"from": stranger})


def test_no_tally_before_the_holders_deadline(suite, published, roles):
    """Issue 24, finding 5: a tally could be recorded while ballots were still coming."""
    meeting, _tree, _amounts = published
    deadline = suite.voting.ballot(meeting)[3]
    with fails_with("VotingStillOpen"):
        suite.voting.recordTally(meeting, b"\x05" * 32, ZERO, 0, {"from": roles.corporate_actions})
    chain.sleep(deadline - chain[-1].timestamp - 5)
    chain.mine()
    with fails_with("VotingStillOpen"):  # a few seconds before: still open
        suite.voting.recordTally(meeting, b"\x05" * 32, ZERO, 0, {"from": roles.corporate_actions})
    assert not suite.voting.ballot(meeting)[6]


def test_a_zero_tally_is_recorded_once_too(suite, published, roles):
    """Issue 24, finding 5: the "once" guard was `tally != 0`, so a zero tally was replaceable."""
    meeting, _tree, _amounts = published
    chain.sleep(86_401)
    chain.mine()
    suite.voting.recordTally(meeting, b"\x00" * 32, ZERO, 0, {"from": roles.corporate_actions})
    assert suite.voting.ballot(meeting)[6]  # tallied
    with fails_with("TallyExists"):
        suite.voting.recordTally(meeting, b"\x07" * 32, ZERO, 0, {"from": roles.corporate_actions})
    assert suite.voting.ballot(meeting)[5] == "0x" + "00" * 32


def test_publish_refuses_a_past_deadline_and_an_unmined_record_block(suite, token, roles):
    root = b"\x01" * 32
    now = chain[-1].timestamp
    with fails_with("DeadlineNotInFuture"):
        suite.voting.publish(b"\x09" * 32, token, root, chain.height, now - 1, 1, b"\x00" * 32,
                             {"from": roles.corporate_actions})
    with fails_with("RecordBlockNotMined"):
        suite.voting.publish(b"\x09" * 32, token, root, chain.height + 1, now + 3_600, 1,
                             b"\x00" * 32, {"from": roles.corporate_actions})
    suite.voting.publish(b"\x09" * 32, token, root, chain.height, now + 3_600, 1, b"\x00" * 32,
                         {"from": roles.corporate_actions})


def test_the_counted_ballots_root_lets_a_holder_prove_its_ballot_is_in_the_total(
        suite, published, roles):
    """Issue 25, item 16: the tally hash committed to the issuer's own instruction only; the
    counted ballots' root beside it lets anyone recount and a holder prove inclusion."""
    meeting, _tree, _amounts = published
    digests = {accounts[6].address: 0xAA, accounts[7].address: 0xBB}
    ballots = MerkleTree(digests)
    chain.sleep(86_401)
    chain.mine()
    tx = suite.voting.recordTally(meeting, b"\x05" * 32, ballots.root, 2,
                                  {"from": roles.corporate_actions})
    assert tx.events["TallyRecorded"]["ballotsRoot"] == "0x" + ballots.root.hex()
    assert suite.voting.ballot(meeting)[8] == 2
    for voter, digest in digests.items():
        assert suite.voting.ballotCounted(meeting, voter, digest.to_bytes(32, "big"),
                                          ballots.proof(voter))
    assert not suite.voting.ballotCounted(meeting, accounts[6], (0xAB).to_bytes(32, "big"),
                                          ballots.proof(accounts[6].address))
