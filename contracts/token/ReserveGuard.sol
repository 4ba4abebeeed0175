// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IReserveGuard} from "../interfaces/IReserveGuard.sol";
import {ReserveLogic} from "./ReserveLogic.sol";

/// @title On-chain reserve record and mint policy.
/// @notice The issuer's reserve role attests the custody position behind the token: settled
/// shares and shares bought but not yet settled (T+1), as of a broker time. A mint is refused when
/// the economic supply after it would exceed `settled + min(pending, pendingCap)`, or when the
/// attestation is older than `maxAttestationAge`, or when it is as of before the effective time
/// of the last change that rescaled a token's share (a split either way, or `Other`; see
/// {MultiplierScheduleLogic}), pending or activated: its figure is in the old share units.
/// Shares use 18 decimals (1e18 = one share). The attestation write path is the linked library
/// {ReserveLogic}.
abstract contract ReserveGuard is IReserveGuard {
    using SafeCast for uint256;

    Reserve private _reserve;
    ReservePolicy private _policy;

    constructor(ReservePolicy memory policy) {
        _policy = policy;
        emit ReservePolicyUpdated(policy.pendingCap, policy.maxAttestationAge);
    }

    /// @notice Attest the custody position as of broker time `asOf` (not in the future, not
    /// older than the previous attestation).
    function attestReserves(uint256 settledShares, uint256 pendingShares, uint64 asOf) external {
        _authorizeAttestation();
        ReserveLogic.attest(_reserve, settledShares, pendingShares, asOf);
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
        return _fresh(_reserve.asOf, _policy.maxAttestationAge);
    }

    function _fresh(uint64 asOf, uint64 maxAge) private view returns (bool) {
        return asOf != 0 && block.timestamp - asOf <= maxAge;
    }

    /// @dev Revert unless `rawSupply` at `multiplier` fits the policy's capacity, the attestation
    /// is fresh, and it is as of `notBefore` or later (a rescale's effective time: custody must be
    /// attested after the rescale before anything more is minted). The economic supply is
    /// rounded up so the check never favours the minter.
    function _enforceReserve(uint256 rawSupply, uint256 multiplier, uint64 notBefore) internal view {
        Reserve memory r = _reserve;
        ReservePolicy memory policy = _policy;
        if (r.asOf < notBefore) revert ReserveAttestationPredatesSplit(r.asOf, notBefore);
        if (!_fresh(r.asOf, policy.maxAttestationAge)) revert ReserveAttestationStale(r.asOf, policy.maxAttestationAge);
        uint256 economic = Math.mulDiv(rawSupply, multiplier, 1e18, Math.Rounding.Ceil);
        uint256 capacity = uint256(r.settledShares) + Math.min(r.pendingShares, policy.pendingCap);
        if (economic > capacity) revert ReserveExceeded(economic, capacity);
    }

    /// @dev The attested settled shares.
    function _settledShares() internal view returns (uint256) {
        return _reserve.settledShares;
    }

    /// @dev The broker time the last attestation is as of.
    function _attestedAsOf() internal view returns (uint64) {
        return _reserve.asOf;
    }

    /// @dev Revert unless the caller may attest reserves.
    function _authorizeAttestation() internal view virtual;

    /// @dev Revert unless the caller may configure the token.
    function _authorizeConfiguration() internal view virtual;
}
