// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title Types, events and errors of the token's mint policy against its reserve feed.
/// @notice Shared by the token ({ReserveGuard}) and the library that carries its configuration
/// path ({ReserveLogic}), and decodable by integrators from one ABI.
interface IReserveGuard {
    /// @notice Custody as the reserve feed's latest round reports it, in 18-decimal shares.
    struct Reserve {
        uint128 settledShares;
        /// zero unless the feed reports pending shares ({IReserveFeed})
        uint128 pendingShares;
        /// the round's `updatedAt`: the broker time custody is attested as of
        uint64 asOf;
        uint80 roundId;
    }

    /// @notice How much of the attestation backs new tokens.
    struct ReservePolicy {
        /// pending (unsettled) shares that may back supply; 0 means settled shares only
        uint128 pendingCap;
        /// an attestation older than this (seconds since `asOf`) blocks minting
        uint64 maxAttestationAge;
    }

    /// @notice The feed the guard reads, with what it learned of it when it was set.
    struct FeedConfig {
        AggregatorV3Interface feed;
        uint8 decimals;
        /// the feed implements {IReserveFeed} (ERC-165): its pending shares back supply too
        bool reportsPending;
    }

    /// @notice The mint policy changed.
    event ReservePolicyUpdated(uint256 pendingCap, uint64 maxAttestationAge);
    /// @notice The guard reads custody from `feed` from now on.
    event ReserveFeedUpdated(address indexed feed, uint8 decimals, bool reportsPending);

    error ReserveExceeded(uint256 economicSupply, uint256 capacity);
    error ReserveAttestationStale(uint64 asOf, uint64 maxAttestationAge);
    /// @notice The attestation predates the effective time of a change that rescales a token's
    /// share (a split either way, or `Other`): mints wait for one that shows custody after it.
    error ReserveAttestationPredatesSplit(uint64 asOf, uint64 splitEffectiveAt);
    /// @notice The feed reverted, or answered something no custody can be (no round yet, a
    /// negative answer, a time in the future or none, an answer carried from an older round).
    error ReserveFeedUnusable(address feed);
    /// @notice Not a contract that answers `decimals()` like a feed (or more than 36 decimals).
    error InvalidReserveFeed(address feed);
}
