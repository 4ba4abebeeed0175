// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IScaledUIAmount, IScaledUIAmountNewUIMultiplier} from "../interfaces/IScaledUIAmount.sol";
import {IMultiplierSchedule} from "../interfaces/IMultiplierSchedule.sol";
import {MultiplierScheduleLogic} from "./MultiplierScheduleLogic.sol";

/// @title Staged ERC-8056 multiplier with a corporate-action schedule.
/// @notice One pending slot `(multiplier, effectiveAt, nonce)`; `uiMultiplier()` returns the
/// pending value once `block.timestamp >= effectiveAt`. Every write first promotes an activated
/// pending value. A change names the value it expects to replace (compare-and-set), the next
/// nonce (`last + 1`, so no value can exhaust the nonce space), a kind and the hash of the
/// off-chain corporate-action record. Every schedule, replacement and cancellation is appended
/// to an on-chain history.
///
/// No single key can raise economic supply above attested custody, whatever the entry point or
/// kind label ({MultiplierScheduleLogic} states the rule): a dividend step is bounded and capped
/// by settled custody; `Other` and {setUIMultiplier} increases are capped by settled custody; a
/// forward split, which may exceed custody until the broker processes it, waits `splitNotice`
/// seconds in which the owner can cancel it. An attestation made before a rescale (every change
/// but a dividend reinvestment: a split either way, or `Other`) never counts after it: mints are
/// refused from the rescale's scheduling until an attestation as of its effective time, and once
/// it has taken effect no increase is judged against an older attestation.
/// @dev A split is one constant-gas write whatever the number of holders: balances never move.
/// The write path lives in the linked library {MultiplierScheduleLogic} to keep the token under
/// the EIP-170 code-size limit.
abstract contract MultiplierSchedule is IScaledUIAmount, IScaledUIAmountNewUIMultiplier, IMultiplierSchedule {
    /// @notice 1.0 with 18 decimals.
    uint256 public constant MULTIPLIER_ONE = 1e18;

    MultiplierScheduleLogic.Layout private _schedule;

    constructor(MultiplierBounds memory bounds) {
        _schedule.multiplier = MULTIPLIER_ONE;
        MultiplierScheduleLogic.setBounds(_schedule, bounds);
    }

    // ---------------------------------------------------------------- ERC-8056 views

    /// @inheritdoc IScaledUIAmount
    function uiMultiplier() public view returns (uint256) {
        PendingChange storage p = _schedule.pending;
        if (p.effectiveAt != 0 && block.timestamp >= p.effectiveAt) return p.multiplier;
        return _schedule.multiplier;
    }

    /// @inheritdoc IScaledUIAmountNewUIMultiplier
    function newUIMultiplier() public view returns (uint256) {
        return _schedule.pending.effectiveAt != 0 ? _schedule.pending.multiplier : _schedule.multiplier;
    }

    /// @inheritdoc IScaledUIAmountNewUIMultiplier
    function effectiveAt() external view returns (uint256) {
        return _schedule.pending.effectiveAt;
    }

    /// @inheritdoc IScaledUIAmount
    function toUIAmount(uint256 rawAmount) public view returns (uint256) {
        return (rawAmount * uiMultiplier()) / MULTIPLIER_ONE;
    }

    /// @inheritdoc IScaledUIAmount
    function fromUIAmount(uint256 uiAmount) external view returns (uint256) {
        return (uiAmount * MULTIPLIER_ONE) / uiMultiplier();
    }

    /// @notice The pending change, whether or not it has taken effect yet.
    function pendingMultiplierChange() external view returns (PendingChange memory) {
        return _schedule.pending;
    }

    /// @notice The last nonce used; the next change must use exactly the next one.
    function lastMultiplierNonce() external view returns (uint64) {
        return _schedule.lastNonce;
    }

    /// @notice The limits every scheduled value must respect.
    function multiplierBounds() external view returns (MultiplierBounds memory) {
        return _schedule.bounds;
    }

    /// @notice Number of history entries.
    function multiplierHistoryLength() external view returns (uint256) {
        return _schedule.history.length;
    }

    /// @notice History entry `index` (0 is the oldest).
    function multiplierHistory(uint256 index) external view returns (HistoryEntry memory) {
        return _schedule.history[index];
    }

    /// @notice Whether integrators should stop quoting (set around a split).
    function marketDataPaused() external view returns (bool) {
        return _schedule.marketDataPaused;
    }

    // ---------------------------------------------------------------- writes

    /// @inheritdoc IScaledUIAmount
    /// @dev The plain ERC-8056 entry point: kind `Other`, no reference, next nonce, and the
    /// current value as the expected one. An increase must fit attested settled custody.
    function setUIMultiplier(uint256 newMultiplier, uint256 effectiveAtTimestamp) external {
        _authorizeMultiplierChange();
        MultiplierScheduleLogic.promote(_schedule);
        _scheduleChange(
            MultiplierScheduleLogic.Request(
                _schedule.multiplier, newMultiplier, effectiveAtTimestamp, ActionKind.Other, bytes32(0), _schedule.lastNonce + 1
            ),
            false,
            0
        );
    }

    /// @notice Schedule a corporate-action multiplier change into the empty pending slot.
    /// @param expectedCurrent the multiplier the caller computed from (compare-and-set)
    /// @param newMultiplier the value to take effect, 18 decimals
    /// @param effectiveAtTimestamp when it takes effect (at least `minNotice` from now, and
    /// `splitNotice` for a forward split)
    /// @param kind dividend reinvestment, forward split, reverse split or other
    /// @param ref hash of the off-chain corporate-action record
    /// @param nonce exactly `lastMultiplierNonce() + 1`
    function scheduleMultiplier(
        uint256 expectedCurrent,
        uint256 newMultiplier,
        uint64 effectiveAtTimestamp,
        ActionKind kind,
        bytes32 ref,
        uint64 nonce
    ) external {
        _authorizeMultiplierChange();
        _scheduleChange(
            MultiplierScheduleLogic.Request(expectedCurrent, newMultiplier, effectiveAtTimestamp, kind, ref, nonce), false, 0
        );
    }

    /// @notice Replace the pending change `pendingNonce` before it takes effect.
    /// @dev Same checks as {scheduleMultiplier}; the new nonce is the pending one plus one.
    function replaceScheduledMultiplier(
        uint64 pendingNonce,
        uint256 expectedCurrent,
        uint256 newMultiplier,
        uint64 effectiveAtTimestamp,
        ActionKind kind,
        bytes32 ref,
        uint64 nonce
    ) external {
        _authorizeMultiplierChange();
        _scheduleChange(
            MultiplierScheduleLogic.Request(expectedCurrent, newMultiplier, effectiveAtTimestamp, kind, ref, nonce),
            true,
            pendingNonce
        );
    }

    /// @notice Cancel the pending change `pendingNonce` before it takes effect; `0` cancels
    /// whatever is pending. The owner may cancel too: that is what makes a forward split's notice
    /// period a second key's check, and with `0` the corporate-action key cannot dodge it by
    /// replacing the pending change (a new nonce) just before the owner's cancel lands.
    function cancelScheduledMultiplier(uint64 pendingNonce) external {
        _authorizeMultiplierCancel();
        MultiplierScheduleLogic.cancel(_schedule, pendingNonce);
    }

    /// @notice Write an activated pending value as the current one. Anyone may call it; it
    /// changes no figure anyone can observe, only storage.
    function promoteMultiplier() external {
        MultiplierScheduleLogic.promote(_schedule);
    }

    /// @notice Set or clear the market-data-paused flag.
    function setMarketDataPaused(bool paused_) external {
        _authorizeMultiplierChange();
        _schedule.marketDataPaused = paused_;
        emit MarketDataPausedSet(paused_);
    }

    /// @notice Change the bounds every future change must respect (refused while the pending
    /// change falls outside them).
    function setMultiplierBounds(MultiplierBounds calldata bounds) external {
        _authorizeConfiguration();
        MultiplierScheduleLogic.setBounds(_schedule, bounds);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Revert unless the caller may change the multiplier.
    function _authorizeMultiplierChange() internal view virtual;

    /// @dev Revert unless the caller may cancel a pending change.
    function _authorizeMultiplierCancel() internal view virtual;

    /// @dev Revert unless the caller may configure the token.
    function _authorizeConfiguration() internal view virtual;

    /// @dev What the reserve says now, to cap increases.
    function _coverage() internal view virtual returns (Coverage memory);

    /// @dev Mints wait for an attestation as of this time or later: the effective time of the
    /// last rescale (any change but a dividend reinvestment), activated or pending (0: none).
    function _splitGate() internal view returns (uint64) {
        return _schedule.pending.mintGate;
    }

    /// @dev The reserve is read only for an increase it caps (not a forward split's, not a decrease).
    function _scheduleChange(MultiplierScheduleLogic.Request memory r, bool replace, uint64 replacing) private {
        Coverage memory cov;
        if (r.newMultiplier > uiMultiplier() && r.kind != ActionKind.ForwardSplit) cov = _coverage();
        MultiplierScheduleLogic.schedule(_schedule, r, cov, replace, replacing);
    }
}
