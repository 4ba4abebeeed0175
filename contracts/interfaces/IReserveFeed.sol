// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title A proof-of-reserve feed that also reports custody bought but not yet settled.
/// @notice Read as a plain Chainlink `AggregatorV3Interface`, a round's answer is the custodied
/// settled shares (`decimals()` places) and `updatedAt` the broker time custody is attested as of.
/// A token's reserve guard that finds this interface (ERC-165) also reads each round's pending
/// shares; any other feed backs settled shares only.
interface IReserveFeed is AggregatorV3Interface {
    /// @notice One attestation (a round).
    struct Attestation {
        uint128 settledShares;
        uint128 pendingShares;
        /// broker time custody is attested as of
        uint64 asOf;
        /// block time the attestation was written
        uint64 attestedAt;
    }

    /// @notice Custody was attested: round `roundId` (Chainlink's `AnswerUpdated` is emitted too).
    event ReservesAttested(
        uint80 indexed roundId, address indexed attestor, uint256 settledShares, uint256 pendingShares, uint64 asOf
    );

    error AttestationOutOfOrder(uint64 asOf, uint64 previousAsOf);
    error AttestationInFuture(uint64 asOf);

    /// @notice Attest custody as of broker time `asOf` (not in the future, not older than the
    /// previous round's); opens a new round.
    function attest(uint256 settledShares, uint256 pendingShares, uint64 asOf) external returns (uint80 roundId);

    /// @notice The pending (unsettled) shares attested in round `roundId`.
    function pendingShares(uint80 roundId) external view returns (uint256);

    /// @notice Round `roundId` in full.
    function attestation(uint80 roundId) external view returns (Attestation memory);
}
