// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceModule} from "../../interfaces/ICompliance.sol";
import {IdentityBalanceModule} from "./IdentityBalanceModule.sol";

/// @title Compliance module: newly minted tokens cannot leave the investor identity for
/// `lockPeriod` seconds (e.g. a Rule 144 style holding period).
/// @notice Each mint opens a lot `(amount, unlockAt)`; an outflow must leave at least the still
/// locked amount. Agent actions that skip compliance (burns, overridden forced transfers) consume
/// the oldest locks first so the record never exceeds the balance.
contract HoldingPeriodModule is IdentityBalanceModule {
    /// @notice Open lots per identity are bounded; past it a mint joins the newest lot, which then
    /// unlocks at the later of the two times (never earlier than asked).
    uint256 public constant MAX_OPEN_LOTS = 32;

    struct Lot {
        uint192 amount;
        uint64 unlockAt;
    }

    mapping(address compliance => uint64) private _lockPeriod;
    mapping(address compliance => mapping(address identity => Lot[])) private _lots;

    event LockPeriodSet(address indexed compliance, uint64 lockPeriod);
    event TokensLocked(address indexed compliance, address indexed identity, uint256 amount, uint64 unlockAt);

    error TokensLockedUntil(address identity, uint256 locked, uint256 available, uint256 requested);

    /// @inheritdoc IComplianceModule
    function name() external pure returns (string memory) {
        return "HoldingPeriodModule";
    }

    /// @notice Set the holding period applied to future mints of `compliance`.
    function setLockPeriod(address compliance, uint64 lockPeriod_) external onlyComplianceOwner(compliance) {
        _lockPeriod[compliance] = lockPeriod_;
        emit LockPeriodSet(compliance, lockPeriod_);
    }

    /// @notice The holding period of `compliance`.
    function lockPeriod(address compliance) external view returns (uint64) {
        return _lockPeriod[compliance];
    }

    /// @notice Raw tokens of `identity` still locked now.
    function lockedAmount(address compliance, address identity) public view returns (uint256 locked) {
        Lot[] storage lots = _lots[compliance][identity];
        for (uint256 i; i < lots.length; ++i) {
            if (lots[i].unlockAt > block.timestamp) locked += lots[i].amount;
        }
    }

    function _allows(address compliance, address fromId, address, uint256 amount) internal view override returns (bool) {
        return fromId == address(0) || identityBalance(compliance, fromId) >= amount + lockedAmount(compliance, fromId);
    }

    function _enforce(address compliance, address fromId, address, uint256 amount) internal view override {
        if (fromId == address(0)) return;
        uint256 locked = lockedAmount(compliance, fromId);
        uint256 balance = identityBalance(compliance, fromId);
        if (balance < amount + locked) {
            revert TokensLockedUntil(fromId, locked, balance > locked ? balance - locked : 0, amount);
        }
    }

    function _afterUpdate(
        address compliance,
        bool minted,
        address fromId,
        address toId,
        uint256 amount,
        uint256,
        uint256
    ) internal override {
        if (minted && toId != address(0)) {
            _openLot(compliance, toId, amount);
        } else if (fromId != address(0)) {
            _trimLots(compliance, fromId);
        }
    }

    function _openLot(address compliance, address identity, uint256 amount) private {
        uint64 period = _lockPeriod[compliance];
        if (period == 0 || amount == 0) return;
        Lot[] storage lots = _lots[compliance][identity];
        _dropExpired(lots);
        uint64 unlockAt = uint64(block.timestamp) + period;
        if (lots.length >= MAX_OPEN_LOTS) {
            Lot storage last = lots[lots.length - 1];
            last.amount += uint192(amount);
            if (unlockAt > last.unlockAt) last.unlockAt = unlockAt;
        } else {
            lots.push(Lot(uint192(amount), unlockAt));
        }
        emit TokensLocked(compliance, identity, amount, unlockAt);
    }

    /// @dev After an outflow, drop expired lots and consume the oldest locks until the locked
    /// amount fits the recorded balance.
    function _trimLots(address compliance, address identity) private {
        Lot[] storage lots = _lots[compliance][identity];
        if (lots.length == 0) return;
        _dropExpired(lots);
        uint256 locked = lockedAmount(compliance, identity);
        uint256 balance = identityBalance(compliance, identity);
        uint256 excess = locked > balance ? locked - balance : 0;
        uint256 i;
        while (excess > 0 && i < lots.length) {
            uint256 take = lots[i].amount < excess ? lots[i].amount : excess;
            lots[i].amount -= uint192(take);
            excess -= take;
            ++i;
        }
    }

    function _dropExpired(Lot[] storage lots) private {
        uint256 n = lots.length;
        uint256 kept;
        for (uint256 i; i < n; ++i) {
            if (lots[i].unlockAt > block.timestamp && lots[i].amount > 0) {
                if (kept != i) lots[kept] = lots[i];
                ++kept;
            }
        }
        while (lots.length > kept) lots.pop();
    }
}
