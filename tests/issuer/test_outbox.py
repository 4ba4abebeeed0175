"""The transaction outbox against anvil: same bytes re-sent, provably dead nonces replaced,
receipts lost in a reorg followed by a re-send, and nothing ever done twice."""

from __future__ import annotations

import pytest

from issuer import outbox
from issuer.models import ChainTx


@pytest.fixture
def bob():
    from brownie import accounts

    return accounts[7].address


def _freeze(stack, key: str, wallet: str) -> ChainTx:
    token = stack.issuer.chain.stock("AAPL").token
    with stack.issuer.session() as db:
        row = outbox.enqueue(db, stack.issuer.chain, key, "supply",
                             token.functions.setAddressFrozen(wallet, True))
        db.flush()
        db.expunge(row)
        return row


def _pump(stack, key: str) -> ChainTx:
    with stack.issuer.session() as db:
        row = outbox.pump(db, stack.issuer.chain, outbox.live(db, key))
        db.flush()
        db.expunge(row)
        return row


def _attempts(stack, key: str) -> list[tuple[int, str]]:
    with stack.issuer.session() as db:
        return [(r.attempt, r.status) for r in db.query(ChainTx).filter(ChainTx.key == key)
                .order_by(ChainTx.attempt)]


def _rpc(stack, method: str, *params: object) -> object:
    response = stack.issuer.chain.w3.provider.make_request(method, list(params))
    assert "error" not in response, response
    return response["result"]


def test_enqueue_is_once_per_key_and_sends_nothing(stack, bob):
    first = _freeze(stack, "t:once", bob)
    again = _freeze(stack, "t:once", bob)
    assert (again.id, again.tx_hash) == (first.id, first.tx_hash)
    assert first.status == "signed"
    token = stack.issuer.chain.stock("AAPL").token
    assert token.functions.isFrozen(bob).call() is False  # stored, not sent
    assert _pump(stack, "t:once").status == "mined"
    assert _pump(stack, "t:once").status == "mined"       # pumping again changes nothing
    assert token.functions.isFrozen(bob).call() is True


def test_a_transaction_whose_nonce_another_took_is_replaced_once(stack, bob):
    from brownie import accounts

    row = _freeze(stack, "t:dead", bob)
    accounts[2].transfer(accounts[2], 0)  # the same key spends that nonce elsewhere
    replaced = _pump(stack, "t:dead")
    assert replaced.attempt == 2 and replaced.nonce == row.nonce + 1
    final = _pump(stack, "t:dead")
    assert final.status == "mined"
    assert _attempts(stack, "t:dead") == [(1, "dead"), (2, "mined")]
    assert stack.issuer.chain.stock("AAPL").token.functions.isFrozen(bob).call() is True


def test_a_transaction_the_node_dropped_is_sent_again_with_the_same_bytes(stack, bob):
    _rpc(stack, "evm_setAutomine", False)
    try:
        row = _freeze(stack, "t:dropped", bob)
        assert _pump(stack, "t:dropped").status == "sent"
        _rpc(stack, "anvil_dropTransaction", row.tx_hash)
        resent = _pump(stack, "t:dropped")         # no receipt, nonce still free: same bytes
        assert (resent.status, resent.tx_hash, resent.attempt) == ("sent", row.tx_hash, 1)
        _rpc(stack, "evm_mine")
    finally:
        _rpc(stack, "evm_setAutomine", True)
    assert _pump(stack, "t:dropped").status == "mined"
    assert _attempts(stack, "t:dropped") == [(1, "mined")]


def test_a_receipt_lost_in_a_reorg_is_followed_by_a_resend(stack, bob):
    snapshot = _rpc(stack, "evm_snapshot")
    row = _freeze(stack, "t:reorg", bob)
    mined = _pump(stack, "t:reorg")
    assert mined.status == "mined"
    _rpc(stack, "evm_revert", snapshot)            # the block with the transaction is gone
    token = stack.issuer.chain.stock("AAPL").token
    assert token.functions.isFrozen(bob).call() is False
    again = _pump(stack, "t:reorg")
    assert again.tx_hash == row.tx_hash
    if again.status != "mined":
        again = _pump(stack, "t:reorg")
    assert again.status == "mined"
    assert token.functions.isFrozen(bob).call() is True
    assert _attempts(stack, "t:reorg") == [(1, "mined")]
