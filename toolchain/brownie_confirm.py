"""Keep brownie from calling a mined transaction "dropped" on anvil.

brownie 1.22.2 decides a transaction was dropped when its sender's nonce has passed it and the
node has no receipt for it (``TransactionReceipt._await_confirmation``). anvil 1.7 can answer
exactly that for a moment: under concurrent RPC load it publishes the new account state a little
before the mined block's receipts. Measured with ``eth_sendTransaction`` from one account while
three threads send from others: 2,165 of 3,000 transactions were still pending when read back,
and once in 3,000 the sender's nonce had passed while ``eth_getTransactionReceipt`` said null.
brownie then raised ``Tx dropped without known replacement`` for a transaction that was mined
(it broke a module's deployment in CI twice).

:func:`install` wraps the confirmation wait: before brownie's own logic runs, it waits (bounded)
for the node to mine the transaction and then to publish its receipt. A transaction that really
was replaced never gets a receipt, so after the grace period brownie's verdict stands. Installed
for pytest (this module is a plugin, ``-p toolchain.brownie_confirm``) and by ``toolchain.run``.
"""

from __future__ import annotations

import time
from typing import Any

from brownie.network.transaction import TransactionReceipt
from brownie.network.web3 import web3
from web3.exceptions import TransactionNotFound

#: how long a transaction may stay unmined before brownie's own wait takes over (automine: ms)
MINE_WAIT = 30.0
#: how long a mined transaction's receipt may lag behind its sender's nonce
RECEIPT_GRACE = 5.0
_POLL = 0.02


def _has_receipt(txid: str) -> bool:
    try:
        receipt = web3.eth.get_transaction_receipt(txid)
    except TransactionNotFound:
        return False
    return receipt is not None and receipt["blockHash"] is not None


def settle(tx: Any) -> None:
    """Wait until ``tx`` has a receipt, or its nonce is still unused after :data:`MINE_WAIT`,
    or its nonce is used and no receipt came within :data:`RECEIPT_GRACE` (replaced)."""
    if tx.nonce is None or tx.sender is None:
        return
    deadline = time.monotonic() + MINE_WAIT
    while web3.eth.get_transaction_count(str(tx.sender)) <= tx.nonce:
        if time.monotonic() > deadline:
            return
        time.sleep(_POLL)
    deadline = time.monotonic() + RECEIPT_GRACE
    while not _has_receipt(tx.txid) and time.monotonic() < deadline:
        time.sleep(_POLL)


def install() -> None:
    """Wrap brownie's confirmation wait once (idempotent)."""
    original = TransactionReceipt._await_confirmation
    if getattr(original, "_settles_first", False):
        return

    def _await_confirmation(self: TransactionReceipt, block_number: int | None = None,
                            required_confs: int = 1) -> None:
        settle(self)
        return original(self, block_number, required_confs)

    _await_confirmation._settles_first = True  # type: ignore[attr-defined]
    TransactionReceipt._await_confirmation = _await_confirmation  # type: ignore[method-assign]


install()
