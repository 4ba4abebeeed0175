// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Types, events and errors of the staged corporate-action multiplier.
/// @notice Declared here so integrators decode them from one ABI, and so the token and the
/// library that carries its schedule logic ({MultiplierScheduleLogic}) share them.
interface IMultiplierSchedule {
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

    /// @notice The pending change, if any (`effectiveAt == 0` means none), and the mint gate.
    struct PendingChange {
        uint256 multiplier;
        uint64 effectiveAt;
        uint64 nonce;
        ActionKind kind;
        /// mints wait for an attestation as of this time or later: the effective time of the
        /// last change that rescales a token's share (every kind but a dividend reinvestment),
        /// pending or activated (kept here, in the slot a mint already reads, and kept when the
        /// pending change is cleared)
        uint64 mintGate;
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
        /// minimum seconds between scheduling and activation of any change
        uint64 minNotice;
        /// minimum seconds between scheduling and activation of a forward split: the owner's
        /// window to cancel a split whose ratio is not the corporate-action record's
        uint64 splitNotice;
    }

    /// @notice What the reserve says when a change is scheduled (the cap on increases).
    struct Coverage {
        /// raw total supply now
        uint256 rawSupply;
        /// attested settled custody shares, 18 decimals
        uint256 settledShares;
        /// whether the attestation is recent enough to rely on
        bool fresh;
        /// the attestation's as-of time: it counts only when as of the last rescale or later
        uint64 asOf;
    }

    /// @notice A change was scheduled, or replaced the pending one.
    event MultiplierScheduled(
        uint64 indexed nonce, ActionKind indexed kind, bytes32 indexed ref, uint256 oldMultiplier, uint256 newMultiplier, uint64 effectiveAt
    );
    /// @notice The pending change `nonce` was cancelled before it took effect, by `by`.
    event MultiplierCancelled(uint64 indexed nonce, address indexed by);
    /// @notice The pending change `nonce` took effect and was written as the current value.
    event MultiplierActivated(uint64 indexed nonce, uint256 multiplier);
    /// @notice The schedule's bounds changed.
    event MultiplierBoundsUpdated(
        uint256 minMultiplier, uint256 maxMultiplier, uint256 maxDividendStep, uint64 minNotice, uint64 splitNotice
    );
    /// @notice Integrators should stop quoting around a corporate action while this is set.
    event MarketDataPausedSet(bool paused);

    error MultiplierMismatch(uint256 expected, uint256 current);
    error StaleNonce(uint64 nonce, uint64 lastNonce);
    error MultiplierOutOfBounds(uint256 multiplier, uint256 minMultiplier, uint256 maxMultiplier);
    error MultiplierUnchanged(uint256 multiplier);
    error InsufficientNotice(uint256 effectiveAt, uint256 earliest);
    error InvalidDirection(ActionKind kind, uint256 current, uint256 proposed);
    error DividendStepTooLarge(uint256 current, uint256 proposed, uint256 maxMultiplier);
    /// @notice An increase that is neither a bounded dividend nor a forward split would lift
    /// economic supply above attested settled custody.
    error IncreaseExceedsCustody(uint256 economicSupply, uint256 settledShares);
    /// @notice The attestation is too old to cap an increase against.
    error CustodyAttestationStale();
    /// @notice The attestation is as of before the last change that rescaled a token's share
    /// (a split either way, or `Other`): its figure is in the old share units.
    error CustodyAttestationPredatesRescale(uint64 asOf, uint64 rescaledAt);
    error PendingChangeExists(uint64 nonce);
    error NoPendingChange(uint64 nonce);
    error InvalidBounds();
    /// @notice New bounds would exclude the pending change; cancel it first.
    error BoundsExcludePendingChange(uint64 nonce);
}
