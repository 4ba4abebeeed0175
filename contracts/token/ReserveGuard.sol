// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IReserveGuard} from "../interfaces/IReserveGuard.sol";
import {ReserveLogic} from "./ReserveLogic.sol";

/// @title Mint policy against a proof-of-reserve feed.
/// @notice Custody is read, on every mint, from a Chainlink `AggregatorV3Interface` feed: the
/// token's own {ReserveFeed} (written by the issuer's reserve key) or any independent feed (an
/// auditor's, a Chainlink proof-of-reserve feed) the owner points it at. A round's answer is the
/// settled shares (scaled from the feed's decimals to 18, rounded down), its `updatedAt` the time
/// custody is attested as of; a feed implementing {IReserveFeed} also reports pending (bought,
/// unsettled) shares. A mint is refused when the economic supply after it would exceed
/// `settled + min(pending, pendingCap)`, when the round is older than `maxAttestationAge`, when
/// it is as of before the effective time of the last change that rescaled a token's share (a
/// split either way, or `Other`; see {MultiplierScheduleLogic}), pending or activated, or when
/// the feed reverts or answers what no custody can be (no round, a negative answer, a time in
/// the future or none, an answer carried from an older round): a broken feed blocks mints,
/// never opens them. Without a feed nothing can be minted.
abstract contract ReserveGuard is IReserveGuard {
    using SafeCast for uint256;

    ReservePolicy private _policy;
    FeedConfig private _feed;

    constructor(ReservePolicy memory policy, address feed) {
        _policy = policy;
        emit ReservePolicyUpdated(policy.pendingCap, policy.maxAttestationAge);
        if (feed != address(0)) ReserveLogic.setFeed(_feed, feed);
    }

    /// @notice Read custody from `feed` from now on (the owner's key).
    function setReserveFeed(address feed) external {
        _authorizeConfiguration();
        ReserveLogic.setFeed(_feed, feed);
    }

    /// @notice Set how much pending custody may back supply and how old an attestation may be.
    function setReservePolicy(uint256 pendingCap, uint64 maxAttestationAge) external {
        _authorizeConfiguration();
        _policy = ReservePolicy(pendingCap.toUint128(), maxAttestationAge);
        emit ReservePolicyUpdated(pendingCap, maxAttestationAge);
    }

    /// @notice The feed the guard reads.
    function reserveFeed() external view returns (FeedConfig memory) {
        return _feed;
    }

    /// @notice The mint policy.
    function reservePolicy() external view returns (ReservePolicy memory) {
        return _policy;
    }

    /// @notice Whether the feed's latest round is usable and recent enough to mint against.
    function isAttestationFresh() external view returns (bool) {
        (, bool fresh,) = _feedCoverage();
        return fresh;
    }

    function _fresh(uint64 asOf, uint64 maxAge) private view returns (bool) {
        return asOf != 0 && block.timestamp - asOf <= maxAge;
    }

    /// @dev The feed's latest round in 18-decimal shares, and whether it is usable
    /// ({ReserveLogic-read}).
    function _readFeed() internal view returns (Reserve memory, bool) {
        return ReserveLogic.read(_feed);
    }

    /// @dev Revert unless `rawSupply` at `multiplier` fits the policy's capacity, the feed's
    /// round is usable, fresh, and as of `notBefore` or later (a rescale's effective time:
    /// custody must be attested after the rescale before anything more is minted). The economic
    /// supply is rounded up so the check never favours the minter.
    function _enforceReserve(uint256 rawSupply, uint256 multiplier, uint64 notBefore) internal view {
        (Reserve memory r, bool ok) = _readFeed();
        if (!ok) revert ReserveFeedUnusable(address(_feed.feed));
        ReservePolicy memory policy = _policy;
        if (r.asOf < notBefore) revert ReserveAttestationPredatesSplit(r.asOf, notBefore);
        if (!_fresh(r.asOf, policy.maxAttestationAge)) revert ReserveAttestationStale(r.asOf, policy.maxAttestationAge);
        uint256 economic = Math.mulDiv(rawSupply, multiplier, 1e18, Math.Rounding.Ceil);
        uint256 capacity = uint256(r.settledShares) + Math.min(r.pendingShares, policy.pendingCap);
        if (economic > capacity) revert ReserveExceeded(economic, capacity);
    }

    /// @dev Custody as the feed reports it, for the multiplier schedule's coverage check: the
    /// settled shares, whether the round is fresh, and its as-of time (zeros when unusable).
    function _feedCoverage() internal view returns (uint256 settled, bool fresh, uint64 asOf) {
        (Reserve memory r, bool ok) = _readFeed();
        return (r.settledShares, ok && _fresh(r.asOf, _policy.maxAttestationAge), r.asOf);
    }

    /// @dev Revert unless the caller may configure the token.
    function _authorizeConfiguration() internal view virtual;
}
