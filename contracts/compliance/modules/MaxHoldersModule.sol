// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceModule} from "../../interfaces/ICompliance.sol";
import {IdentityBalanceModule} from "./IdentityBalanceModule.sol";

/// @title Compliance module: at most `maxHolders` investor identities hold the token at once.
contract MaxHoldersModule is IdentityBalanceModule {
    mapping(address compliance => uint256) private _maxHolders;
    mapping(address compliance => uint256) private _holders;

    event MaxHoldersSet(address indexed compliance, uint256 maxHolders);

    error MaxHoldersReached(uint256 holders, uint256 maxHolders);

    /// @inheritdoc IComplianceModule
    function name() external pure returns (string memory) {
        return "MaxHoldersModule";
    }

    /// @notice Set the largest number of holder identities.
    function setMaxHolders(address compliance, uint256 maxHolders_) external onlyComplianceOwner(compliance) {
        _maxHolders[compliance] = maxHolders_;
        emit MaxHoldersSet(compliance, maxHolders_);
    }

    /// @notice The cap of `compliance`.
    function maxHolders(address compliance) external view returns (uint256) {
        return _maxHolders[compliance];
    }

    /// @notice How many identities hold the token of `compliance` now.
    function holderCount(address compliance) external view returns (uint256) {
        return _holders[compliance];
    }

    function _allows(address compliance, address fromId, address toId, uint256 amount) internal view override returns (bool) {
        return !_adds(compliance, toId, amount) || _holdersAfter(compliance, fromId, toId, amount) <= _maxHolders[compliance];
    }

    function _enforce(address compliance, address fromId, address toId, uint256 amount) internal view override {
        if (!_adds(compliance, toId, amount)) return;
        uint256 after_ = _holdersAfter(compliance, fromId, toId, amount);
        if (after_ > _maxHolders[compliance]) revert MaxHoldersReached(after_, _maxHolders[compliance]);
    }

    function _afterUpdate(
        address compliance,
        bool,
        address fromId,
        address toId,
        uint256 amount,
        uint256 fromBefore,
        uint256 toBefore
    )
        internal
        override
    {
        if (toId != address(0) && toBefore == 0 && amount > 0) _holders[compliance] += 1;
        if (fromId != address(0) && fromBefore > 0 && fromBefore <= amount) _holders[compliance] -= 1;
    }

    /// @dev Whether the movement brings in a new holder.
    function _adds(address compliance, address toId, uint256 amount) private view returns (bool) {
        return toId != address(0) && amount > 0 && identityBalance(compliance, toId) == 0;
    }

    function _holdersAfter(address compliance, address fromId, address toId, uint256 amount) private view returns (uint256 n) {
        n = _holders[compliance];
        if (_adds(compliance, toId, amount)) n += 1;
        if (fromId != address(0)) {
            uint256 fromBalance = identityBalance(compliance, fromId);
            if (fromBalance > 0 && fromBalance <= amount) n -= 1;
        }
    }
}
