// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IScaledUIAmount, IScaledUIAmountNewUIMultiplier} from "../interfaces/IScaledUIAmount.sol";

/// @title Staged ERC-8056 multiplier with a corporate-action schedule.
/// @notice One pending slot `(multiplier, effectiveAt, nonce)`; `uiMultiplier()` returns the
/// pending value once `block.timestamp >= effectiveAt`. Every write first promotes an activated
/// pending value. A change names the value it expects to replace (compare-and-set), a strictly
/// increasing nonce, a kind and the hash of the off-chain corporate-action record. Every
/// schedule, replacement and cancellation is appended to an on-chain history.
/// @dev A split is one constant-gas write whatever the number of holders: balances never move.
abstract contract MultiplierSchedule is IScaledUIAmount, IScaledUIAmountNewUIMultiplier {
    /// @notice 1.0 with 18 decimals.
    uint256 public constant MULTIPLIER_ONE = 1e18;

    /// @notice What a multiplier change represents.
    enum ActionKind {
        Other,
        DividendReinvestment,
        ForwardSplit,
        ReverseSplit
    }

    /// @notice What a history entry records.
    enum HistoryAction {
        Scheduled,
        Replaced,
        Cancelled
    }

    /// @notice The pending change, if any (`effectiveAt == 0` means none).
    struct PendingChange {
        uint256 multiplier;
        uint64 effectiveAt;
        uint64 nonce;
        ActionKind kind;
        bytes32 ref;
    }

    /// @notice One append-only history record.
    struct HistoryEntry {
        uint256 oldMultiplier;
        uint256 newMultiplier;
        uint64 effectiveAt;
        uint64 nonce;
        uint64 recordedAt;
        ActionKind kind;
        HistoryAction action;
        bytes32 ref;
    }

    /// @notice Limits every scheduled value must respect.
    struct MultiplierBounds {
        uint256 minMultiplier;
        uint256 maxMultiplier;
        /// relative upward step allowed for a dividend, 18 decimals (0.1e18 = +10 %)
        uint256 maxDividendStep;
        /// minimum seconds between scheduling and activation
        uint64 minNotice;
    }

    uint256 private _multiplier = MULTIPLIER_ONE;
    PendingChange private _pending;
    uint64 private _lastNonce;
    bool private _marketDataPaused;
    MultiplierBounds private _bounds;
    HistoryEntry[] private _history;

    /// @notice A change was scheduled, or replaced the pending one.
    event MultiplierScheduled(
        uint64 indexed nonce, ActionKind indexed kind, bytes32 indexed ref, uint256 oldMultiplier, uint256 newMultiplier, uint64 effectiveAt
    );
    /// @notice The pending change `nonce` was cancelled before it took effect.
    event MultiplierCancelled(uint64 indexed nonce);
    /// @notice The pending change `nonce` took effect and was written as the current value.
    event MultiplierActivated(uint64 indexed nonce, uint256 multiplier);
    /// @notice The schedule's bounds changed.
    event MultiplierBoundsUpdated(uint256 minMultiplier, uint256 maxMultiplier, uint256 maxDividendStep, uint64 minNotice);
    /// @notice Integrators should stop quoting around a corporate action while this is set.
    event MarketDataPausedSet(bool paused);

    error MultiplierMismatch(uint256 expected, uint256 current);
    error StaleNonce(uint64 nonce, uint64 lastNonce);
    error MultiplierOutOfBounds(uint256 multiplier, uint256 minMultiplier, uint256 maxMultiplier);
    error MultiplierUnchanged(uint256 multiplier);
    error InsufficientNotice(uint256 effectiveAt, uint256 earliest);
    error InvalidDirection(ActionKind kind, uint256 current, uint256 proposed);
    error DividendStepTooLarge(uint256 current, uint256 proposed, uint256 maxMultiplier);
    error PendingChangeExists(uint64 nonce);
    error NoPendingChange(uint64 nonce);
    error InvalidBounds();

    constructor(MultiplierBounds memory bounds) {
        _setMultiplierBounds(bounds);
    }

    // ---------------------------------------------------------------- ERC-8056 views

    /// @inheritdoc IScaledUIAmount
    function uiMultiplier() public view returns (uint256) {
        PendingChange storage p = _pending;
        if (p.effectiveAt != 0 && block.timestamp >= p.effectiveAt) return p.multiplier;
        return _multiplier;
    }

    /// @inheritdoc IScaledUIAmountNewUIMultiplier
    function newUIMultiplier() public view returns (uint256) {
        return _pending.effectiveAt != 0 ? _pending.multiplier : _multiplier;
    }

    /// @inheritdoc IScaledUIAmountNewUIMultiplier
    function effectiveAt() external view returns (uint256) {
        return _pending.effectiveAt;
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
        return _pending;
    }

    /// @notice The last nonce used; the next change must use a larger one.
    function lastMultiplierNonce() external view returns (uint64) {
        return _lastNonce;
    }

    /// @notice The limits every scheduled value must respect.
    function multiplierBounds() external view returns (MultiplierBounds memory) {
        return _bounds;
    }

    /// @notice Number of history entries.
    function multiplierHistoryLength() external view returns (uint256) {
        return _history.length;
    }

    /// @notice History entry `index` (0 is the oldest).
    function multiplierHistory(uint256 index) external view returns (HistoryEntry memory) {
        return _history[index];
    }

    /// @notice Whether integrators should stop quoting (set around a split).
    function marketDataPaused() external view returns (bool) {
        return _marketDataPaused;
    }

    // ---------------------------------------------------------------- writes

    /// @inheritdoc IScaledUIAmount
    /// @dev The plain ERC-8056 entry point: kind `Other`, no reference, next nonce, and the
    /// current value as the expected one.
    function setUIMultiplier(uint256 newMultiplier, uint256 effectiveAtTimestamp) external {
        _authorizeMultiplierChange();
        _promote();
        if (_pending.effectiveAt != 0) revert PendingChangeExists(_pending.nonce);
        _schedule(_multiplier, newMultiplier, effectiveAtTimestamp, ActionKind.Other, bytes32(0), _lastNonce + 1, HistoryAction.Scheduled);
    }

    /// @notice Schedule a corporate-action multiplier change into the empty pending slot.
    /// @param expectedCurrent the multiplier the caller computed from (compare-and-set)
    /// @param newMultiplier the value to take effect, 18 decimals
    /// @param effectiveAtTimestamp when it takes effect (at least `minNotice` from now)
    /// @param kind dividend reinvestment, forward split, reverse split or other
    /// @param ref hash of the off-chain corporate-action record
    /// @param nonce strictly larger than every nonce used before
    function scheduleMultiplier(
        uint256 expectedCurrent,
        uint256 newMultiplier,
        uint64 effectiveAtTimestamp,
        ActionKind kind,
        bytes32 ref,
        uint64 nonce
    ) external {
        _authorizeMultiplierChange();
        _promote();
        if (_pending.effectiveAt != 0) revert PendingChangeExists(_pending.nonce);
        _schedule(expectedCurrent, newMultiplier, effectiveAtTimestamp, kind, ref, nonce, HistoryAction.Scheduled);
    }

    /// @notice Replace the pending change `pendingNonce` before it takes effect.
    /// @dev Same checks as {scheduleMultiplier}; the new nonce must exceed the pending one.
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
        _promote();
        _requirePending(pendingNonce);
        _schedule(expectedCurrent, newMultiplier, effectiveAtTimestamp, kind, ref, nonce, HistoryAction.Replaced);
    }

    /// @notice Cancel the pending change `pendingNonce` before it takes effect.
    function cancelScheduledMultiplier(uint64 pendingNonce) external {
        _authorizeMultiplierChange();
        _promote();
        _requirePending(pendingNonce);
        PendingChange memory p = _pending;
        delete _pending;
        _history.push(
            HistoryEntry(_multiplier, p.multiplier, p.effectiveAt, p.nonce, uint64(block.timestamp), p.kind, HistoryAction.Cancelled, p.ref)
        );
        emit MultiplierCancelled(pendingNonce);
        emit UIMultiplierUpdated(_multiplier, _multiplier, block.timestamp, block.timestamp);
    }

    /// @notice Write an activated pending value as the current one. Anyone may call it; it
    /// changes no figure anyone can observe, only storage.
    function promoteMultiplier() external {
        _promote();
    }

    /// @notice Set or clear the market-data-paused flag.
    function setMarketDataPaused(bool paused_) external {
        _authorizeMultiplierChange();
        _marketDataPaused = paused_;
        emit MarketDataPausedSet(paused_);
    }

    /// @notice Change the bounds every future change must respect.
    function setMultiplierBounds(MultiplierBounds calldata bounds) external {
        _authorizeConfiguration();
        _setMultiplierBounds(bounds);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Revert unless the caller may change the multiplier.
    function _authorizeMultiplierChange() internal view virtual;

    /// @dev Revert unless the caller may configure the token.
    function _authorizeConfiguration() internal view virtual;

    /// @dev Extra checks on a dividend multiplier (the token caps it by custody).
    function _checkDividendMultiplier(uint256 newMultiplier) internal view virtual;

    function _promote() internal {
        PendingChange storage p = _pending;
        if (p.effectiveAt != 0 && block.timestamp >= p.effectiveAt) {
            uint64 nonce = p.nonce;
            uint256 value = p.multiplier;
            _multiplier = value;
            delete _pending;
            emit MultiplierActivated(nonce, value);
        }
    }

    function _requirePending(uint64 pendingNonce) private view {
        if (_pending.effectiveAt == 0 || _pending.nonce != pendingNonce) revert NoPendingChange(pendingNonce);
    }

    function _schedule(
        uint256 expectedCurrent,
        uint256 newMultiplier,
        uint256 effectiveAtTimestamp,
        ActionKind kind,
        bytes32 ref,
        uint64 nonce,
        HistoryAction action
    ) private {
        uint256 current = _multiplier;
        if (expectedCurrent != current) revert MultiplierMismatch(expectedCurrent, current);
        if (nonce <= _lastNonce) revert StaleNonce(nonce, _lastNonce);
        MultiplierBounds memory b = _bounds;
        if (newMultiplier < b.minMultiplier || newMultiplier > b.maxMultiplier) {
            revert MultiplierOutOfBounds(newMultiplier, b.minMultiplier, b.maxMultiplier);
        }
        if (newMultiplier == current) revert MultiplierUnchanged(newMultiplier);
        uint256 earliest = block.timestamp + b.minNotice;
        if (effectiveAtTimestamp < earliest || effectiveAtTimestamp == 0 || effectiveAtTimestamp > type(uint64).max) {
            revert InsufficientNotice(effectiveAtTimestamp, earliest);
        }
        if (kind == ActionKind.ReverseSplit ? newMultiplier > current : (kind != ActionKind.Other && newMultiplier < current)) {
            revert InvalidDirection(kind, current, newMultiplier);
        }
        if (kind == ActionKind.DividendReinvestment) {
            uint256 maxValue = current + (current * b.maxDividendStep) / MULTIPLIER_ONE;
            if (newMultiplier > maxValue) revert DividendStepTooLarge(current, newMultiplier, maxValue);
            _checkDividendMultiplier(newMultiplier);
        }
        uint64 at = uint64(effectiveAtTimestamp);
        _pending = PendingChange(newMultiplier, at, nonce, kind, ref);
        _lastNonce = nonce;
        _history.push(HistoryEntry(current, newMultiplier, at, nonce, uint64(block.timestamp), kind, action, ref));
        emit UIMultiplierUpdated(current, newMultiplier, block.timestamp, effectiveAtTimestamp);
        emit MultiplierScheduled(nonce, kind, ref, current, newMultiplier, at);
    }

    function _setMultiplierBounds(MultiplierBounds memory b) private {
        if (b.minMultiplier == 0 || b.minMultiplier > MULTIPLIER_ONE || b.maxMultiplier < MULTIPLIER_ONE) {
            revert InvalidBounds();
        }
        _bounds = b;
        emit MultiplierBoundsUpdated(b.minMultiplier, b.maxMultiplier, b.maxDividendStep, b.minNotice);
    }
}
