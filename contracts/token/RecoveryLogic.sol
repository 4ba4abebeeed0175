// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IStockTokenErrors} from "../interfaces/IStockTokenErrors.sol";

/// @title The identity side of a lost-wallet recovery, linked into {StockToken}.
/// @notice Runs by DELEGATECALL (as the token), so the token's code keeps only the balance moves.
library RecoveryLogic {
    /// @notice Check that the wallets differ, that both are registered to `investorOnchainID` and
    /// that the new wallet is verified; return the new wallet's country for the compliance
    /// modules. (A recovery onto the lost wallet itself would only freeze it: the recovery key
    /// alone would freeze any holder.)
    function check(IIdentityRegistry registry, address lostWallet, address newWallet, address investorOnchainID)
        external
        view
        returns (uint16 country)
    {
        if (newWallet == lostWallet) revert IStockTokenErrors.RecoveryToSameWallet(lostWallet);
        if (address(registry.identity(lostWallet)) != investorOnchainID) {
            revert IStockTokenErrors.RecoveryIdentityMismatch(lostWallet, investorOnchainID);
        }
        if (investorOnchainID == address(0) || address(registry.identity(newWallet)) != investorOnchainID) {
            revert IStockTokenErrors.RecoveryIdentityMismatch(newWallet, investorOnchainID);
        }
        bool verified;
        (verified, country) = registry.verifiedCountry(newWallet);
        if (!verified) revert IStockTokenErrors.ReceiverNotVerified(newWallet);
    }

    /// @notice Deregister the lost wallet once it holds none of the tokens the registry's storage
    /// guards (with several of the issuer's tokens, the last recovery deregisters it). The token
    /// must be an agent of the registry.
    function retire(IIdentityRegistry registry, address lostWallet) external {
        if (registry.identityStorage().heldGuardedToken(lostWallet) == address(0)) registry.deleteIdentity(lostWallet);
    }
}
