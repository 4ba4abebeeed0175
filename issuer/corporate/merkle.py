"""OpenZeppelin's standard Merkle tree (``@openzeppelin/merkle-tree`` ``StandardMerkleTree``) of
``(address, uint256)`` leaves, as ``DividendDistributor`` and ``ProxyVoteRegistry`` verify it:

- a leaf is ``keccak256(keccak256(abi.encode(account, amount)))``;
- the leaves are sorted by hash and laid out as the library does: a complete binary tree in one
  array of ``2n - 1`` nodes, the leaves at its end in reverse order, node ``i``'s children at
  ``2i + 1`` and ``2i + 2``, each inner node the hash of its two children in sorted order
  (OpenZeppelin ``MerkleProof``);
- a proof is the siblings from the leaf up to the root.

So anyone holding the entries reproduces the root and every proof with OpenZeppelin's library
(``tests/issuer/test_merkle_standard.py`` compares them).
"""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak, to_checksum_address


def leaf(account: str, amount: int) -> bytes:
    return keccak(keccak(encode(["address", "uint256"], [to_checksum_address(account), amount])))


def _parent(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


class MerkleTree:
    def __init__(self, entries: dict[str, int]) -> None:
        if not entries:
            raise ValueError("a Merkle tree needs at least one leaf")
        self._index = {to_checksum_address(a): leaf(a, v) for a, v in entries.items()}
        leaves = sorted(self._index.values())
        size = 2 * len(leaves) - 1
        tree: list[bytes] = [b""] * size
        for i, node in enumerate(leaves):
            tree[size - 1 - i] = node
        for i in range(size - 1 - len(leaves), -1, -1):
            tree[i] = _parent(tree[2 * i + 1], tree[2 * i + 2])
        self.tree = tree
        self._position = {node: size - 1 - i for i, node in enumerate(leaves)}

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, account: str) -> list[bytes]:
        index = self._position[self._index[to_checksum_address(account)]]
        out = []
        while index > 0:
            out.append(self.tree[index + 1 if index % 2 else index - 1])
            index = (index - 1) // 2
        return out
