"""A holder's ballot as EIP-712 typed data, in the ``ProxyVoteRegistry``'s domain.

A ballot names the meeting (``keccak256`` of its id), the voter, per proposal the shares put on
each choice (in units of 1e-9 share, as entitlements are) and a nonce (a newer ballot with a
higher nonce replaces the older before the deadline). Wallets show its fields when they sign.
The signature is checked by the registry's ``isValidSignature`` (ECDSA for an account, ERC-1271
for a contract wallet), so anyone can check it the same way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

NAME, VERSION = "StockStack proxy vote", "1"
#: Entitlements and votes are counted in units of 1e-9 share.
SHARE_UNITS = 10**9
TYPES = {
    "Ballot": [{"name": "meeting", "type": "bytes32"}, {"name": "voter", "type": "address"},
               {"name": "votes", "type": "Vote[]"}, {"name": "nonce", "type": "uint256"}],
    "Vote": [{"name": "proposal", "type": "string"}, {"name": "choice", "type": "string"},
             {"name": "shares", "type": "uint256"}],
}


#: A holder's signed request to read its own voting record (its next nonce) while voting is open.
READ_TYPES = {
    "VoterRead": [{"name": "meeting", "type": "bytes32"}, {"name": "voter", "type": "address"},
                  {"name": "expires", "type": "uint256"}],
}
DOMAIN_TYPE = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
               {"name": "chainId", "type": "uint256"},
               {"name": "verifyingContract", "type": "address"}]


def _domain(chain_id: int, registry: str) -> dict[str, Any]:
    """The registry's EIP-712 domain (ballots and read requests are signed in it)."""
    return {"name": NAME, "version": VERSION, "chainId": chain_id,
            "verifyingContract": to_checksum_address(registry)}


def meeting_key(meeting_id: str) -> bytes:
    """The meeting's id on chain: ``keccak256`` of the broker's meeting id."""
    return keccak(text=meeting_id)


def to_units(shares: Decimal) -> int:
    """Shares as 1e-9 units (exact: shares carry at most 9 decimals here)."""
    units = shares * SHARE_UNITS
    if units != units.to_integral_value():
        raise ValueError(f"{shares} has more than 9 decimals")
    return int(units)


def shares_text(units: int) -> str:
    """1e-9 share units as a decimal string of shares."""
    return format(Decimal(units) / SHARE_UNITS, "f")


def typed_data(*, chain_id: int, registry: str, meeting_id: str, voter: str,
               votes: list[tuple[str, str, int]], nonce: int | None) -> dict[str, Any]:
    """The full EIP-712 message (what ``eth_signTypedData_v4`` takes); ``votes`` are
    ``(proposal, choice, shares in 1e-9 units)``; ``nonce`` None: a template that does not
    show the holder's next nonce."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, **TYPES},
        "primaryType": "Ballot",
        "domain": _domain(chain_id, registry),
        "message": {"meeting": meeting_key(meeting_id), "voter": to_checksum_address(voter),
                    "votes": [{"proposal": p, "choice": c, "shares": s} for p, c, s in votes],
                    "nonce": nonce},
    }


def read_request(*, chain_id: int, registry: str, meeting_id: str, voter: str,
                 expires: int) -> dict[str, Any]:
    """The EIP-712 message a holder signs to read its own next nonce while voting is open
    (sent as ``X-Voter-Expires`` and ``X-Voter-Signature``; ``expires`` in Unix seconds)."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, **READ_TYPES},
        "primaryType": "VoterRead",
        "domain": _domain(chain_id, registry),
        "message": {"meeting": meeting_key(meeting_id), "voter": to_checksum_address(voter),
                    "expires": expires},
    }


def digest(message: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest a signature covers."""
    signable = encode_typed_data(full_message=message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)
