// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Types, events and errors of the on-chain reserve record and mint policy.
/// @notice Shared by the token ({ReserveGuard}) and the library that carries its attestation
/// write path ({ReserveLogic}), and decodable by integrators from one ABI.
interface IReserveGuard {
    /// @notice The last attestation.
    struct Reserve {
        uint128 settledShares;
        uint128 pendingShares;
        uint64 asOf;
        uint64 attestedAt;
    }

    /// @notice How much of the attestation backs new tokens.
    struct ReservePolicy {
        /// pending (unsettled) shares that may back supply; 0 means settled shares only
        uint128 pendingCap;
        /// an attestation older than this (seconds since `asOf`) blocks minting
        uint64 maxAttestationAge;
    }

    /// @notice Custody was attested.
    event ReservesAttested(address indexed attestor, uint256 settledShares, uint256 pendingShares, uint64 asOf);
    /// @notice The mint policy changed.
    event ReservePolicyUpdated(uint256 pendingCap, uint64 maxAttestationAge);

    error ReserveExceeded(uint256 economicSupply, uint256 capacity);
    error ReserveAttestationStale(uint64 asOf, uint64 maxAttestationAge);
    error AttestationOutOfOrder(uint64 asOf, uint64 previousAsOf);
    error AttestationInFuture(uint64 asOf);
    /// @notice The attestation predates the effective time of a change that rescales a token's
    /// share (a split either way, or `Other`): mints wait for one that shows custody after it.
    error ReserveAttestationPredatesSplit(uint64 asOf, uint64 splitEffectiveAt);
}
