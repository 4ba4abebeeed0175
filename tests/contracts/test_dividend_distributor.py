"""Stablecoin dividends: a funded distribution, claims with Merkle proofs built by the issuer's
``issuer.corporate.merkle``, and the unclaimed rest reclaimed after the deadline."""

import pytest
from brownie import DevStablecoin, DividendDistributor, accounts, chain

from issuer.corporate.merkle import MerkleTree
from tests.contracts.conftest import fails_with


def past(deadline: int) -> None:
    """Mine a block after ``deadline`` by the chain's own clock (brownie's ``chain.time()`` can
    run ahead of anvil's block time after a revert, so a fixed sleep may fall short)."""
    from brownie import web3
    latest = web3.eth.get_block("latest").timestamp
    chain.sleep(max(1, deadline - latest + 1))
    chain.mine()

DAY = 86_400


@pytest.fixture(scope="module")
def payout(roles, token):
    usd = DevStablecoin.deploy(roles.corporate_actions, {"from": roles.owner})
    distributor = DividendDistributor.deploy(roles.owner, roles.corporate_actions,
                                             {"from": roles.owner})
    usd.mint(roles.corporate_actions, 1_000_000_000, {"from": roles.corporate_actions})
    usd.approve(distributor, 2**256 - 1, {"from": roles.corporate_actions})
    return usd, distributor


@pytest.fixture
def funded_distribution(payout, token, roles):
    usd, distributor = payout
    # three holders: 50, 30 and 20 raw shares of a net 70.00 dividend (6 decimals), floored
    amounts = {accounts[7].address: 35_000_000, accounts[8].address: 21_000_000,
               accounts[5].address: 13_999_999}
    tree = MerkleTree(amounts)
    deadline = chain.time() + 30 * DAY
    tx = distributor.createDistribution(token, usd, tree.root, 70_000_000, deadline,
                                        b"\x01" * 32, {"from": roles.corporate_actions})
    assert tx.events["DistributionCreated"]["total"] == 70_000_000
    return tx.return_value, tree, amounts, deadline


def test_each_holder_claims_once_with_a_proof(payout, funded_distribution, stranger):
    usd, distributor = payout
    dist_id, tree, amounts, _ = funded_distribution
    for holder, amount in amounts.items():
        tx = distributor.claim(dist_id, holder, amount, tree.proof(holder), {"from": stranger})
        assert tx.events["Claimed"]["amount"] == amount
        assert usd.balanceOf(holder) == amount
    holder = accounts[7].address
    with fails_with("AlreadyClaimed"):
        distributor.claim(dist_id, holder, amounts[holder], tree.proof(holder),
                          {"from": stranger})
    assert distributor.distribution(dist_id)["claimed"] == 69_999_999


def test_a_wrong_amount_or_proof_is_refused(payout, funded_distribution, stranger):
    _, distributor = payout
    dist_id, tree, amounts, _ = funded_distribution
    holder = accounts[8].address
    with fails_with("InvalidProof"):
        distributor.claim(dist_id, holder, amounts[holder] + 1, tree.proof(holder),
                          {"from": stranger})
    with fails_with("InvalidProof"):
        distributor.claim(dist_id, stranger, amounts[holder], tree.proof(holder),
                          {"from": stranger})
    assert not distributor.isClaimed(dist_id, holder)


def test_unclaimed_funds_return_after_the_deadline_only(payout, funded_distribution, roles,
                                                        stranger):
    usd, distributor = payout
    dist_id, tree, amounts, deadline = funded_distribution
    holder = accounts[7].address
    distributor.claim(dist_id, holder, amounts[holder], tree.proof(holder), {"from": holder})
    with fails_with("ClaimsOpen"):
        distributor.reclaim(dist_id, roles.corporate_actions, {"from": roles.corporate_actions})
    past(deadline)
    late = accounts[8].address
    with fails_with("DeadlinePassed"):
        distributor.claim(dist_id, late, amounts[late], tree.proof(late), {"from": late})
    with fails_with("AccessControlUnauthorizedAccount"):
        distributor.reclaim(dist_id, stranger, {"from": stranger})
    before = usd.balanceOf(roles.corporate_actions)
    tx = distributor.reclaim(dist_id, roles.corporate_actions, {"from": roles.corporate_actions})
    assert tx.events["Reclaimed"]["amount"] == 70_000_000 - 35_000_000
    assert usd.balanceOf(roles.corporate_actions) == before + 35_000_000
    with fails_with("DistributionClosed"):
        distributor.reclaim(dist_id, roles.corporate_actions, {"from": roles.corporate_actions})


def test_only_the_distributor_funds_and_never_an_empty_or_expired_one(payout, token, roles,
                                                                     stranger):
    usd, distributor = payout
    root = MerkleTree({stranger.address: 1}).root
    with fails_with("AccessControlUnauthorizedAccount"):
        distributor.createDistribution(token, usd, root, 1, chain.time() + DAY, b"\x00" * 32,
                                       {"from": stranger})
    with fails_with("EmptyDistribution"):
        distributor.createDistribution(token, usd, root, 0, chain.time() + DAY, b"\x00" * 32,
                                       {"from": roles.corporate_actions})
    with fails_with("DeadlinePassed"):
        distributor.createDistribution(token, usd, root, 1, chain.time() - 1, b"\x00" * 32,
                                       {"from": roles.corporate_actions})
    with fails_with("UnknownDistribution"):
        distributor.claim(99, stranger, 1, [], {"from": stranger})


def test_a_single_holder_tree_has_an_empty_proof(payout, token, roles, stranger):
    usd, distributor = payout
    tree = MerkleTree({stranger.address: 5})
    tx = distributor.createDistribution(token, usd, tree.root, 5, chain.time() + DAY,
                                        b"\x00" * 32, {"from": roles.corporate_actions})
    assert tree.proof(stranger.address) == []
    distributor.claim(tx.return_value, stranger, 5, [], {"from": stranger})
    assert usd.balanceOf(stranger) == 5


def test_an_underfunded_distribution_cannot_pay_out_of_another(payout, funded_distribution,
                                                                token, roles, stranger):
    """Review finding 3: a distribution funded with 1 unit whose tree owes 100 used to pay out
    of another's unclaimed money, leaving that one's holders unable to claim, and could never be
    reclaimed (underflow). Each distribution now pays only from its own funding."""
    usd, distributor = payout
    honest_id, honest_tree, honest_amounts, _ = funded_distribution
    thief = accounts[4].address
    greedy = MerkleTree({thief: 100_000_000, stranger.address: 1})
    greedy_deadline = chain.time() + DAY
    tx = distributor.createDistribution(token, usd, greedy.root, 1, greedy_deadline,
                                        b"\x02" * 32, {"from": roles.corporate_actions})
    greedy_id = tx.return_value
    with fails_with("DistributionExhausted"):
        distributor.claim(greedy_id, thief, 100_000_000, greedy.proof(thief), {"from": thief})
    assert usd.balanceOf(thief) == 0
    # the honest distribution still pays every holder in full
    for holder, amount in honest_amounts.items():
        distributor.claim(honest_id, holder, amount, honest_tree.proof(holder),
                          {"from": stranger})
        assert usd.balanceOf(holder) == amount
    # the underfunded one reclaims exactly its own 1 unit after its deadline
    past(greedy_deadline)
    chain.mine()
    tx = distributor.reclaim(greedy_id, roles.corporate_actions, {"from": roles.corporate_actions})
    assert tx.events["Reclaimed"]["amount"] == 1
    assert distributor.distribution(greedy_id)["claimed"] <= distributor.distribution(
        greedy_id)["total"]


def test_a_distribution_holds_what_actually_arrived(payout, token, roles):
    """A fee-on-transfer asset delivers less than asked: the distribution records that, so its
    claims cannot draw on other distributions' balance."""
    from brownie import FeeOnTransferToken

    _, distributor = payout
    fee = FeeOnTransferToken.deploy(roles.corporate_actions, 10**12, {"from": roles.owner})
    fee.approve(distributor, 2**256 - 1, {"from": roles.corporate_actions})
    tree = MerkleTree({accounts[7].address: 990})
    tx = distributor.createDistribution(token, fee, tree.root, 1_000, chain.time() + DAY,
                                        b"\x03" * 32, {"from": roles.corporate_actions})
    assert tx.events["DistributionCreated"]["total"] == 990
    assert distributor.distribution(tx.return_value)["total"] == fee.balanceOf(distributor)
