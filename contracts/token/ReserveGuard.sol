// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title On-chain reserve record and mint policy.
/// @notice The issuer's reserve role attests the custody position behind the token: settled
/// shares and shares bought but not yet settled (T+1), as of a broker time. A mint is refused when
/// the economic supply after it would exceed `settled + min(pending, pendingCap)`, or when the
/// attestation is older than `maxAttestationAge`. Shares use 18 decimals (1e18 = one share).
abstract contract ReserveGuard {
    using SafeCast for uint256;

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

    Reserve private _reserve;
    ReservePolicy private _policy;

    /// @notice Custody was attested.
    event ReservesAttested(address indexed attestor, uint256 settledShares, uint256 pendingShares, uint64 asOf);
    /// @notice The mint policy changed.
    event ReservePolicyUpdated(uint256 pendingCap, uint64 maxAttestationAge);

    error ReserveExceeded(uint256 economicSupply, uint256 capacity);
    error ReserveAttestationStale(uint64 asOf, uint64 maxAttestationAge);
    error AttestationOutOfOrder(uint64 asOf, uint64 previousAsOf);
    error AttestationInFuture(uint64 asOf);
    /// @notice The attestation predates a forward split's effective time: mints wait for one
    /// that shows custody after the split.
    error ReserveAttestationPredatesSplit(uint64 asOf, uint64 splitEffectiveAt);

    constructor(ReservePolicy memory policy) {
        _policy = policy;
        emit ReservePolicyUpdated(policy.pendingCap, policy.maxAttestationAge);
    }

    /// @notice Attest the custody position as of broker time `asOf` (not in the future, not
    /// older than the previous attestation).
    function attestReserves(uint256 settledShares, uint256 pendingShares, uint64 asOf) external {
        _authorizeAttestation();
        if (asOf > block.timestamp) revert AttestationInFuture(asOf);
        if (asOf < _reserve.asOf) revert AttestationOutOfOrder(asOf, _reserve.asOf);
        _reserve = Reserve(settledShares.toUint128(), pendingShares.toUint128(), asOf, uint64(block.timestamp));
        emit ReservesAttested(msg.sender, settledShares, pendingShares, asOf);
    }

    /// @notice Set how much pending custody may back supply and how old an attestation may be.
    function setReservePolicy(uint256 pendingCap, uint64 maxAttestationAge) external {
        _authorizeConfiguration();
        _policy = ReservePolicy(pendingCap.toUint128(), maxAttestationAge);
        emit ReservePolicyUpdated(pendingCap, maxAttestationAge);
    }

    /// @notice The last attestation.
    function reserve() external view returns (Reserve memory) {
        return _reserve;
    }

    /// @notice The mint policy.
    function reservePolicy() external view returns (ReservePolicy memory) {
        return _policy;
    }

    /// @notice Shares that may back supply now: settled plus pending up to the cap.
    function reserveCapacity() public view returns (uint256) {
        Reserve memory r = _reserve;
        return uint256(r.settledShares) + Math.min(r.pendingShares, _policy.pendingCap);
    }

    /// @notice Whether the attestation is recent enough to mint against.
    function isAttestationFresh() public view returns (bool) {
        return block.timestamp - _reserve.asOf <= _policy.maxAttestationAge && _reserve.asOf != 0;
    }

    /// @dev Revert unless `rawSupply` at `multiplier` fits the policy's capacity, the attestation
    /// is fresh, and it is as of `notBefore` or later (a forward split's effective time: custody
    /// must be attested after the split before anything more is minted). The economic supply is
    /// rounded up so the check never favours the minter.
    function _enforceReserve(uint256 rawSupply, uint256 multiplier, uint64 notBefore) internal view {
        Reserve memory r = _reserve;
        if (r.asOf < notBefore) revert ReserveAttestationPredatesSplit(r.asOf, notBefore);
        if (!isAttestationFresh()) revert ReserveAttestationStale(r.asOf, _policy.maxAttestationAge);
        uint256 economic = Math.mulDiv(rawSupply, multiplier, 1e18, Math.Rounding.Ceil);
        uint256 capacity = reserveCapacity();
        if (economic > capacity) revert ReserveExceeded(economic, capacity);
    }

    /// @dev The attested settled shares.
    function _settledShares() internal view returns (uint256) {
        return _reserve.settledShares;
    }

    /// @dev Revert unless the caller may attest reserves.
    function _authorizeAttestation() internal view virtual;

    /// @dev Revert unless the caller may configure the token.
    function _authorizeConfiguration() internal view virtual;
}
