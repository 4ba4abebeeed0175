"""The OpenZeppelin standard Merkle tree of ``(address, uint256)`` leaves, as
``DividendDistributor`` verifies it: a leaf is ``keccak256(keccak256(abi.encode(account,
amount)))`` and inner nodes hash their two children in sorted order (OpenZeppelin
``MerkleProof``). A layer of odd length carries its last node up unchanged.
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
        self.layers = [sorted(self._index.values())]
        while len(self.layers[-1]) > 1:
            below = self.layers[-1]
            above = [_parent(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            if len(below) % 2:
                above.append(below[-1])
            self.layers.append(above)

    @property
    def root(self) -> bytes:
        return self.layers[-1][0]

    def proof(self, account: str) -> list[bytes]:
        node = self._index[to_checksum_address(account)]
        index = self.layers[0].index(node)
        out = []
        for layer in self.layers[:-1]:
            sibling = index ^ 1
            if sibling < len(layer):
                out.append(layer[sibling])
            index //= 2
        return out
