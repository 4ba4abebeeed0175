"""The chain indexer: token Transfer events into the database, ``confirmations`` deep, and
rewound when a reorg replaces blocks it has seen.

It keeps the hash of every block it indexed (the last ``KEEP`` of them); before going on it checks
that the newest one is still on the chain, and if not walks back to the last block whose hash
still matches, deletes what it stored above it and indexes again from there. Holders and balances
at any indexed block come from the stored events.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from web3 import Web3

from issuer.models import IndexedBlock, TokenEvent
from issuer.service import Issuer

TRANSFER = "0x" + Web3.keccak(text="Transfer(address,address,uint256)").hex().removeprefix("0x")
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
    symbols = {s.token.address: s.symbol for s in chain.stocks.values()}
    stored = 0
    while first <= target:
        end = min(target, first + BATCH - 1)
        logs = chain.w3.eth.get_logs({"fromBlock": first, "toBlock": end,
                                      "address": list(symbols), "topics": [TRANSFER]})
        for log in logs:
            db.add(TokenEvent(
                symbol=symbols[Web3.to_checksum_address(log["address"])],
                block_number=int(log["blockNumber"]), log_index=int(log["logIndex"]),
                block_hash=_hex(log["blockHash"]), tx_hash=_hex(log["transactionHash"]),
                sender=_topic_address(log["topics"][1]),
                receiver=_topic_address(log["topics"][2]),
                value=str(int.from_bytes(bytes(log["data"]), "big"))))
            stored += 1
        for number in range(max(first, end - KEEP + 1), end + 1):
            db.merge(IndexedBlock(number=number, hash=_hex(chain.w3.eth.get_block(number)
                                                              ["hash"])))
        first = end + 1
    db.execute(delete(IndexedBlock).where(IndexedBlock.number < target - KEEP))
    return stored


def _rewind_reorged(issuer: Issuer, db: Session) -> None:
    w3 = issuer.chain.w3
    head = issuer.chain.head()
    known = list(db.scalars(select(IndexedBlock).order_by(IndexedBlock.number.desc())))
    for block in known:
        on_chain = w3.eth.get_block(block.number)["hash"] if block.number <= head else None
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


def _hex(value: object) -> str:
    raw = bytes(value) if not isinstance(value, str) else bytes.fromhex(value.removeprefix("0x"))
    return "0x" + raw.hex()


def _topic_address(topic: object) -> str:
    raw = bytes(topic) if not isinstance(topic, str) else bytes.fromhex(topic.removeprefix("0x"))
    return Web3.to_checksum_address(raw[-20:])
