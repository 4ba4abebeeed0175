// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IMultiplierSchedule} from "../interfaces/IMultiplierSchedule.sol";
import {IScaledUIAmount} from "../interfaces/IScaledUIAmount.sol";

/// @title The write path of the staged multiplier: schedule, replace, cancel, bounds.
/// @notice Deployed once and linked into every {StockToken} (its functions run by DELEGATECALL on
/// the token's storage), so corporate-action logic, which runs a few times a year, does not take
/// room in the token's code, which is capped by EIP-170.
///
/// The rule that keeps economic supply within custody, whatever the entry point or kind label:
/// - an increase labelled `DividendReinvestment` is bounded by `maxDividendStep` and by attested
///   settled custody at today's raw supply;
/// - an increase labelled `ForwardSplit` may exceed custody (the broker shows the new shares only
///   once it has processed the split), so it must give at least `splitNotice` seconds of notice, in
///   which the owner can cancel it;
/// - any other increase (`Other`, the plain ERC-8056 `setUIMultiplier`) must fit attested settled
///   custody at today's raw supply, like a dividend, but without a step bound;
/// - a decrease is always within custody; `ReverseSplit` must decrease, the others must not.
/// Mints after scheduling are checked at the larger of the current and pending multiplier, so a
/// cap that held at scheduling still holds at activation.
///
/// An attestation made before a rescale never counts after it. Every change but a dividend
/// reinvestment rescales what one token's share is worth in broker shares (a forward or reverse
/// split, or `Other` in either direction, whose meaning the chain cannot know), so an attestation
/// as of before its effective time is in the old units: 150 shares attested before a 1-for-2
/// reverse split are 75 after it. From such a change's scheduling the token refuses every mint
/// until an attestation as of its effective time or later (the mint gate), and once it has
/// taken effect no increase is judged against an attestation as of before it. A dividend
/// reinvestment leaves the broker's share count as it was, so custody attested before it still
/// counts.
library MultiplierScheduleLogic {
    /// @notice 1.0 with 18 decimals.
    uint256 internal constant ONE = 1e18;

    /// @notice The schedule's storage, one struct in the token.
    struct Layout {
        uint256 multiplier;
        IMultiplierSchedule.PendingChange pending;
        // one slot: nonce, the last activated rescale's effective time (write path only; mints
        // read the gate from the pending slot), the flag
        uint64 lastNonce;
        uint64 lastRescaleAt;
        bool marketDataPaused;
        IMultiplierSchedule.MultiplierBounds bounds;
        IMultiplierSchedule.HistoryEntry[] history;
    }

    /// @notice One requested change.
    struct Request {
        uint256 expectedCurrent;
        uint256 newMultiplier;
        uint256 effectiveAt;
        IMultiplierSchedule.ActionKind kind;
        bytes32 ref;
        uint64 nonce;
    }

    /// @notice Schedule `r` into the empty pending slot (or over the pending change `replacing`
    /// when `replace`), after every check of the rule above.
    function schedule(
        Layout storage s,
        Request memory r,
        IMultiplierSchedule.Coverage memory cov,
        bool replace,
        uint64 replacing
    ) external {
        promote(s);
        uint64 pendingAt = s.pending.effectiveAt;
        if (replace) {
            if (pendingAt == 0 || s.pending.nonce != replacing) revert IMultiplierSchedule.NoPendingChange(replacing);
        } else if (pendingAt != 0) {
            revert IMultiplierSchedule.PendingChangeExists(s.pending.nonce);
        }
        uint256 current = s.multiplier;
        if (r.expectedCurrent != current) revert IMultiplierSchedule.MultiplierMismatch(r.expectedCurrent, current);
        if (r.nonce != s.lastNonce + 1) revert IMultiplierSchedule.StaleNonce(r.nonce, s.lastNonce);
        IMultiplierSchedule.MultiplierBounds memory b = s.bounds;
        _checkValue(b, r.newMultiplier);
        if (r.newMultiplier == current) revert IMultiplierSchedule.MultiplierUnchanged(r.newMultiplier);
        _checkNotice(b, r);
        _checkIncrease(b, r, current, cov, s.lastRescaleAt);

        uint64 at = uint64(r.effectiveAt);
        uint64 gate = _rescales(r.kind) ? at : s.lastRescaleAt;
        s.pending = IMultiplierSchedule.PendingChange(r.newMultiplier, at, r.nonce, r.kind, gate, r.ref);
        s.lastNonce = r.nonce;
        s.history.push(
            IMultiplierSchedule.HistoryEntry(
                current,
                r.newMultiplier,
                at,
                r.nonce,
                uint64(block.timestamp),
                r.kind,
                replace ? IMultiplierSchedule.HistoryAction.Replaced : IMultiplierSchedule.HistoryAction.Scheduled,
                r.ref
            )
        );
        emit IScaledUIAmount.UIMultiplierUpdated(current, r.newMultiplier, block.timestamp, r.effectiveAt);
        emit IMultiplierSchedule.MultiplierScheduled(r.nonce, r.kind, r.ref, current, r.newMultiplier, at);
    }

    /// @notice Cancel the pending change `pendingNonce` before it takes effect; nonce 0 (never a
    /// change's: nonces start at 1) cancels whatever is pending, so a canceller cannot be
    /// front-run by a replacement that changes the nonce.
    function cancel(Layout storage s, uint64 pendingNonce) external {
        promote(s);
        IMultiplierSchedule.PendingChange memory p = s.pending;
        if (p.effectiveAt == 0 || (pendingNonce != 0 && p.nonce != pendingNonce)) {
            revert IMultiplierSchedule.NoPendingChange(pendingNonce);
        }
        _clearPending(s, s.lastRescaleAt);
        uint256 current = s.multiplier;
        s.history.push(
            IMultiplierSchedule.HistoryEntry(
                current, p.multiplier, p.effectiveAt, p.nonce, uint64(block.timestamp), p.kind, IMultiplierSchedule.HistoryAction.Cancelled, p.ref
            )
        );
        emit IMultiplierSchedule.MultiplierCancelled(p.nonce, msg.sender);
        emit IScaledUIAmount.UIMultiplierUpdated(current, current, block.timestamp, block.timestamp);
    }

    /// @notice Set the bounds; refused while a pending change falls outside them (cancel it
    /// first), so bounds never silently stop applying to a change already scheduled.
    function setBounds(Layout storage s, IMultiplierSchedule.MultiplierBounds memory b) external {
        if (b.minMultiplier == 0 || b.minMultiplier > ONE || b.maxMultiplier < ONE) {
            revert IMultiplierSchedule.InvalidBounds();
        }
        promote(s);
        IMultiplierSchedule.PendingChange storage p = s.pending;
        if (p.effectiveAt != 0 && (p.multiplier < b.minMultiplier || p.multiplier > b.maxMultiplier)) {
            revert IMultiplierSchedule.BoundsExcludePendingChange(p.nonce);
        }
        s.bounds = b;
        emit IMultiplierSchedule.MultiplierBoundsUpdated(
            b.minMultiplier, b.maxMultiplier, b.maxDividendStep, b.minNotice, b.splitNotice
        );
    }

    /// @notice Write an activated pending value as the current one.
    function promote(Layout storage s) public {
        IMultiplierSchedule.PendingChange storage p = s.pending;
        uint64 at = p.effectiveAt;
        if (at != 0 && block.timestamp >= at) {
            uint64 nonce = p.nonce;
            uint256 value = p.multiplier;
            if (_rescales(p.kind)) s.lastRescaleAt = at;
            s.multiplier = value;
            _clearPending(s, s.lastRescaleAt);
            emit IMultiplierSchedule.MultiplierActivated(nonce, value);
        }
    }

    /// @dev Whether a change of `kind` rescales a token's share in broker shares: every kind but a
    /// dividend reinvestment (which buys shares, so custody attested before it still counts).
    function _rescales(IMultiplierSchedule.ActionKind kind) private pure returns (bool) {
        return kind != IMultiplierSchedule.ActionKind.DividendReinvestment;
    }

    /// @dev No pending change any more; the mint gate stays at the last activated rescale.
    function _clearPending(Layout storage s, uint64 gate) private {
        s.pending = IMultiplierSchedule.PendingChange(0, 0, 0, IMultiplierSchedule.ActionKind.Other, gate, bytes32(0));
    }

    function _checkValue(IMultiplierSchedule.MultiplierBounds memory b, uint256 value) private pure {
        if (value < b.minMultiplier || value > b.maxMultiplier) {
            revert IMultiplierSchedule.MultiplierOutOfBounds(value, b.minMultiplier, b.maxMultiplier);
        }
    }

    function _checkNotice(IMultiplierSchedule.MultiplierBounds memory b, Request memory r) private view {
        uint256 notice = b.minNotice;
        if (r.kind == IMultiplierSchedule.ActionKind.ForwardSplit && b.splitNotice > notice) notice = b.splitNotice;
        uint256 earliest = block.timestamp + notice;
        if (r.effectiveAt < earliest || r.effectiveAt == 0 || r.effectiveAt > type(uint64).max) {
            revert IMultiplierSchedule.InsufficientNotice(r.effectiveAt, earliest);
        }
    }

    /// @dev Direction by kind, then the custody cap on every increase but a forward split's,
    /// against an attestation that is fresh and as of the last rescale (`rescaledAt`) or later.
    function _checkIncrease(
        IMultiplierSchedule.MultiplierBounds memory b,
        Request memory r,
        uint256 current,
        IMultiplierSchedule.Coverage memory cov,
        uint64 rescaledAt
    ) private pure {
        IMultiplierSchedule.ActionKind kind = r.kind;
        bool up = r.newMultiplier > current;
        if (kind == IMultiplierSchedule.ActionKind.ReverseSplit ? up : (kind != IMultiplierSchedule.ActionKind.Other && !up)) {
            revert IMultiplierSchedule.InvalidDirection(kind, current, r.newMultiplier);
        }
        if (!up || kind == IMultiplierSchedule.ActionKind.ForwardSplit) return;
        if (kind == IMultiplierSchedule.ActionKind.DividendReinvestment) {
            uint256 maxValue = current + (current * b.maxDividendStep) / ONE;
            if (r.newMultiplier > maxValue) revert IMultiplierSchedule.DividendStepTooLarge(current, r.newMultiplier, maxValue);
        }
        if (!cov.fresh) revert IMultiplierSchedule.CustodyAttestationStale();
        if (cov.asOf < rescaledAt) revert IMultiplierSchedule.CustodyAttestationPredatesRescale(cov.asOf, rescaledAt);
        uint256 economic = Math.mulDiv(cov.rawSupply, r.newMultiplier, ONE, Math.Rounding.Ceil);
        if (economic > cov.settledShares) revert IMultiplierSchedule.IncreaseExceedsCustody(economic, cov.settledShares);
    }
}
