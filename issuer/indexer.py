"""The chain indexer: token Transfer events into the database, ``confirmations`` deep, and
rewound when a reorg replaces blocks it has seen.

It keeps the hash of every block it indexed (the last ``KEEP`` of them); before going on it checks
that the newest one is still on the chain, and if not walks back to the last block whose hash
still matches, deletes what it stored above it and indexes again from there. Holders and balances
at any indexed block come from the stored events.
"""

from __future__ import annotations

from collections import defaultdict

from eth_utils import keccak, to_checksum_address
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from issuer.models import IndexedBlock, TokenEvent
from issuer.service import Issuer

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
ZERO = "0x0000000000000000000000000000000000000000"
KEEP = 256
BATCH = 2_000


def run_once(issuer: Issuer, db: Session) -> int:
    """Index up to ``head - confirmations``; returns how many events were stored."""
    chain = issuer.chain
    start_block = int(chain.manifest.get("deploy_block", 0))
    _rewind_reorged(issuer, db)
    last = db.scalar(select(func.max(IndexedBlock.number)))
    target = chain.head() - issuer.settings.confirmations
    first = start_block if last is None else last + 1
    symbols = {s.token.address.lower(): s.symbol for s in chain.stocks.values()}
    if first > target:
        return 0
    stored, checksum, begin = 0, _Checksums(), first
    while first <= target:
        end = min(target, first + BATCH - 1)
        # the node's answer as it is (web3's result formatting costs more than the insert)
        logs = chain.rpc("eth_getLogs", [{"fromBlock": hex(first), "toBlock": hex(end),
                                            "address": list(symbols), "topics": [TRANSFER]}])
        rows = [{"symbol": symbols[log["address"].lower()],
                 "block_number": int(log["blockNumber"], 16),
                 "log_index": int(log["logIndex"], 16), "block_hash": log["blockHash"],
                 "tx_hash": log["transactionHash"],
                 "sender": checksum(log["topics"][1]), "receiver": checksum(log["topics"][2]),
                 "value": str(int(log["data"], 16))} for log in logs]
        if rows:
            db.execute(insert(TokenEvent), rows)   # one multi-row insert per range
        stored += len(rows)
        first = end + 1
    # the hashes of the newest KEEP blocks, to notice a reorg: one batched request
    numbers = list(range(max(target - KEEP + 1, begin), target + 1))
    hashes = chain.block_hashes(numbers)
    db.execute(delete(IndexedBlock).where(IndexedBlock.number.in_(numbers)))
    db.execute(insert(IndexedBlock), [{"number": n, "hash": h} for n, h in zip(numbers, hashes,
                                                                                strict=True)])
    db.execute(delete(IndexedBlock).where(IndexedBlock.number < target - KEEP))
    return stored


class _Checksums:
    """Topic -> checksummed address, each address computed once per run."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, topic: str) -> str:
        if (found := self._seen.get(topic)) is None:
            found = self._seen[topic] = _topic_address(topic)
        return found


def _rewind_reorged(issuer: Issuer, db: Session) -> None:
    head = issuer.chain.head()
    known = list(db.scalars(select(IndexedBlock).order_by(IndexedBlock.number.desc())))
    for block in known:
        on_chain = issuer.chain.block_hash(block.number) if block.number <= head else None
        if on_chain is not None and _hex(on_chain) == block.hash:
            return
        db.execute(delete(TokenEvent).where(TokenEvent.block_number >= block.number))
        db.delete(block)
        db.flush()
    if known:  # a reorg deeper than the kept hashes: start again from the deployment
        db.execute(delete(TokenEvent))


def holders(db: Session, symbol: str, block: int) -> dict[str, int]:
    """Raw balances of every holder of ``symbol`` after ``block`` (zero balances left out)."""
    balances: dict[str, int] = defaultdict(int)
    for sender, receiver, value in db.execute(select(
            TokenEvent.sender, TokenEvent.receiver, TokenEvent.value).where(
            TokenEvent.symbol == symbol, TokenEvent.block_number <= block)):
        amount = int(value)
        if sender != ZERO:
            balances[sender] -= amount
        if receiver != ZERO:
            balances[receiver] += amount
    return {wallet: raw for wallet, raw in sorted(balances.items()) if raw != 0}


def indexed_to(db: Session) -> int | None:
    return db.scalar(select(func.max(IndexedBlock.number)))


def _hex(value: str | bytes) -> str:
    raw = bytes(value) if not isinstance(value, str) else bytes.fromhex(value.removeprefix("0x"))
    return "0x" + raw.hex()


def _topic_address(topic: str | bytes) -> str:
    raw = bytes(topic) if not isinstance(topic, str) else bytes.fromhex(topic.removeprefix("0x"))
    return to_checksum_address(raw[-20:])
