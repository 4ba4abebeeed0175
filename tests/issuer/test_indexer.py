"""The chain indexer: holders at any block, and a reorg rewound and indexed again."""

from __future__ import annotations

import httpx

from issuer import indexer
from issuer.api.auth import create_key
from issuer.app import create_app
from tests.support import serve_app

ONE = 10**18


def _index(stack) -> None:
    with stack.issuer.session() as db:
        indexer.run_once(stack.issuer, db)


def _holders(stack, block: int | None = None) -> dict[str, int]:
    with stack.issuer.session() as db:
        at = indexer.indexed_to(db) if block is None else block
        return indexer.holders(db, "AAPL", at)


def _rpc(stack, method: str, *params: object) -> object:
    response = stack.issuer.chain.w3.provider.make_request(method, list(params))
    assert "error" not in response, response
    return response["result"]


def test_holders_at_blocks_and_after_a_reorg(stack):
    from brownie import accounts

    creation = stack.create("10")
    stack.until(lambda: stack.creation(creation).status == "completed")
    # transfers go through web3 (anvil's unlocked accounts): brownie's nonce tracking does not
    # follow an evm_revert made behind its back
    token = stack.issuer.chain.stock("AAPL").token
    ap, bob = accounts[6], accounts[7]

    def transfer(amount: int) -> None:
        tx = token.functions.transfer(bob.address, amount).transact({"from": ap.address})
        stack.issuer.chain.w3.eth.wait_for_transaction_receipt(tx)

    minted_at = stack.issuer.chain.head()
    transfer(3 * ONE)
    _index(stack)
    assert _holders(stack) == {ap.address: 7 * ONE, bob.address: 3 * ONE}
    assert _holders(stack, minted_at) == {ap.address: 10 * ONE}

    snapshot = _rpc(stack, "evm_snapshot")
    transfer(2 * ONE)
    _index(stack)
    assert _holders(stack) == {ap.address: 5 * ONE, bob.address: 5 * ONE}
    _rpc(stack, "evm_revert", snapshot)        # that block is gone...
    transfer(1 * ONE)                          # ...and another takes its height
    _index(stack)
    assert _holders(stack) == {ap.address: 6 * ONE, bob.address: 4 * ONE}
    assert _holders(stack) == {
        ap.address: stack.tokens(), bob.address: stack.tokens(bob.address)}


def test_holders_endpoint(stack):
    with stack.issuer.session() as db:
        key = create_key(db, "viewer", "viewer")[1]
    creation = stack.create("4")
    stack.until(lambda: stack.creation(creation).status == "completed")
    with serve_app(create_app(issuer=stack.issuer)) as url:
        answer = httpx.get(f"{url}/v1/holders/AAPL", headers={"X-API-Key": key}).json()
        assert [(h["wallet"], h["shares"]) for h in answer["holders"]] == [
            (stack.ap_wallet, "4")]
        late = httpx.get(f"{url}/v1/holders/AAPL", params={"block": 10**9},
                         headers={"X-API-Key": key})
        assert late.status_code == 422 and late.json()["code"] == "block_not_indexed"
