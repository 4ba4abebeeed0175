"""The issuer's Merkle trees are OpenZeppelin's standard ones (issue 25, item 15): with 5 holders
the registry's docstring promised `StandardMerkleTree` but gave another root. Every root and
proof is compared here with what `@openzeppelin/merkle-tree` (npm, the library a holder would
use) computes for the same entries, for 1 to 9 leaves and a few hundred."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from issuer.corporate.merkle import MerkleTree

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const values = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tree = StandardMerkleTree.of(values, ["address", "uint256"]);
const proofs = {};
for (const [i, v] of tree.entries()) proofs[v[0]] = tree.getProof(i);
console.log(JSON.stringify({ root: tree.root, proofs }));
"""


def openzeppelin(entries: dict[str, int]) -> dict:
    values = [[address, str(amount)] for address, amount in entries.items()]
    done = subprocess.run(["node", "-e", SCRIPT], input=json.dumps(values), cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def entries(n: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    return {to_checksum_address(rng.randbytes(20)): rng.randrange(1, 10**12) for _ in range(n)}


@pytest.mark.parametrize("n", [*range(1, 10), 300])
def test_roots_and_proofs_are_openzeppelins(n):
    given = entries(n, seed=n)
    ours = MerkleTree(given)
    theirs = openzeppelin(given)
    assert "0x" + ours.root.hex() == theirs["root"]
    for address in given:
        assert ["0x" + p.hex() for p in ours.proof(address)] == theirs["proofs"][address]


def test_five_holders_the_reviews_case():
    """The review's five holders: the layered tree it used gave another root."""
    given = entries(5, seed=2025)
    assert "0x" + MerkleTree(given).root.hex() == openzeppelin(given)["root"]
