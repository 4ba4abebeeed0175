"""ONCHAINID claims in the form our identity registry accepts (used by the issuer and the deploy
scripts).

A claim's data is ``abi.encode(uint256 chainId, address registry, address issuer, uint64
expiresAt)`` (the issuer is named in what is signed, so a claim revoked at one issuer cannot pass
under another that shares the key) and its
signature is the issuer's CLAIM key over ``keccak256(abi.encode(identity, topic, data))`` with the
Ethereum signed-message prefix (the ONCHAINID convention).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

#: Development-only claim key of the devnet's KYC issuer; a real one lives in an HSM.
DEV_CLAIM_KEY = "0x" + keccak(b"tokenized-stock-stack dev KYC claim key").hex()
#: The devnet's key for signing public reserve snapshots (refused off a devnet).
DEV_SNAPSHOT_KEY = "0x" + keccak(b"tokenized-stock-stack dev reserve snapshot key").hex()
KYC_TOPIC = 1
ECDSA_SCHEME = 1
MANAGEMENT_PURPOSE = 1
CLAIM_PURPOSE = 3
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class Claim:
    topic: int
    issuer: str
    signature: bytes
    data: bytes


def key_hash(address: str) -> bytes:
    """ONCHAINID key id of an address: keccak256(abi.encode(address))."""
    return keccak(encode(["address"], [address]))


def claim_data(chain_id: int, registry: str, issuer: str, expires_at: int) -> bytes:
    return encode(["uint256", "address", "address", "uint64"],
                  [chain_id, registry, issuer, expires_at])


def sign_claim(private_key: str, identity: str, issuer: str, topic: int, data: bytes) -> Claim:
    digest = keccak(encode(["address", "uint256", "bytes"], [identity, topic, data]))
    signed = Account.sign_message(encode_defunct(primitive=digest), private_key=private_key)
    return Claim(topic, issuer, bytes(signed.signature), data)


def malleate(signature: bytes) -> bytes:
    """The other valid encoding of an ECDSA signature: (r, n - s, v flipped)."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
