// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ERC-8056 Scaled UI Amount extension for ERC-20 tokens (draft).
/// @notice All ERC-20 amounts stay raw; `uiAmount = raw * uiMultiplier / 1e18`.
interface IScaledUIAmount {
    /// @notice Emitted whenever a multiplier change is set.
    event UIMultiplierUpdated(
        uint256 oldMultiplier, uint256 newMultiplier, uint256 setAtTimestamp, uint256 effectiveAtTimestamp
    );

    /// @notice The multiplier in effect now, with 18 decimals (1e18 = 1.0).
    function uiMultiplier() external view returns (uint256);

    /// @notice `rawAmount * uiMultiplier() / 1e18`, rounded down.
    function toUIAmount(uint256 rawAmount) external view returns (uint256);

    /// @notice `uiAmount * 1e18 / uiMultiplier()`, rounded down.
    function fromUIAmount(uint256 uiAmount) external view returns (uint256);

    /// @notice The UI (economic) balance of `account`.
    function balanceOfUI(address account) external view returns (uint256);

    /// @notice Schedule `newMultiplier` to take effect at `effectiveAtTimestamp`.
    function setUIMultiplier(uint256 newMultiplier, uint256 effectiveAtTimestamp) external;
}

/// @title ERC-8056 pending multiplier extension.
interface IScaledUIAmountNewUIMultiplier {
    /// @notice The pending multiplier (the current one when nothing is pending).
    function newUIMultiplier() external view returns (uint256);

    /// @notice When the pending multiplier takes effect (0 when nothing is pending).
    function effectiveAt() external view returns (uint256);
}
