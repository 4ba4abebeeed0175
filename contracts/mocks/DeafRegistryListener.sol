// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Test double: a registry bound to a storage that fails every notification (reverts, or
/// burns all the gas it is given), to show it can still be unbound.
contract DeafRegistryListener {
    address public immutable identityStorage;
    /// @notice 0: revert; 1: burn all gas.
    uint8 public mode;

    error Deaf();

    constructor(address storage_) {
        identityStorage = storage_;
    }

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    function onStoredInvestorChanged(address) external pure {}

    function onStorageBindingChanged(bool bound) external view {
        if (bound) return;
        if (mode == 0) revert Deaf();
        while (true) {}
    }
}
