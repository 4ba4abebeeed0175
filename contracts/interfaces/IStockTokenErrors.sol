// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The errors {StockToken} and its linked libraries revert with.
/// @notice Declared in an interface so integrators decode them from one ABI.
interface IStockTokenErrors {
    error ZeroAddress();
    error EnforcedPause();
    error ExpectedPause();
    error ArrayLengthMismatch();
    error WalletFrozen(address wallet);
    error SpenderFrozen(address spender);
    error InsufficientUnfrozenBalance(address wallet, uint256 available, uint256 requested);
    error FreezeExceedsBalance(address wallet, uint256 balance, uint256 requested);
    error UnfreezeExceedsFrozen(address wallet, uint256 frozen, uint256 requested);
    error ReceiverNotVerified(address wallet);
    error ComplianceRefused(address from, address to, uint256 amount);
    error RecoveryIdentityMismatch(address wallet, address investorOnchainID);
    /// @notice A recovery names the lost wallet as its own new wallet.
    error RecoveryToSameWallet(address wallet);
    error NothingToRecover(address lostWallet);
    error NotAnAgent(address account);
    /// @notice Burning a frozen wallet's tokens, or more than its unfrozen balance, needs the
    /// compliance role besides the supply role.
    error FrozenBurnNeedsComplianceAgent(address wallet);
    /// @notice The compliance's owner has not bound it to this token.
    error ComplianceNotBound(address compliance);
}
