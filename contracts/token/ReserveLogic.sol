// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IReserveGuard} from "../interfaces/IReserveGuard.sol";

/// @title The attestation write path of {ReserveGuard}, linked into {StockToken}.
/// @notice Runs by DELEGATECALL on the token's storage; kept out of the token's code, which
/// EIP-170 caps, because it runs once per reconciliation, not per transfer.
library ReserveLogic {
    using SafeCast for uint256;

    /// @notice Record custody as of broker time `asOf` (not in the future, not older than the
    /// previous attestation).
    function attest(IReserveGuard.Reserve storage r, uint256 settledShares, uint256 pendingShares, uint64 asOf)
        external
    {
        if (asOf > block.timestamp) revert IReserveGuard.AttestationInFuture(asOf);
        if (asOf < r.asOf) revert IReserveGuard.AttestationOutOfOrder(asOf, r.asOf);
        r.settledShares = settledShares.toUint128();
        r.pendingShares = pendingShares.toUint128();
        r.asOf = asOf;
        r.attestedAt = uint64(block.timestamp);
        emit IReserveGuard.ReservesAttested(msg.sender, settledShares, pendingShares, asOf);
    }
}
