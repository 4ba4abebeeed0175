// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceModule} from "../../interfaces/ICompliance.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IdentityBalanceModule} from "./IdentityBalanceModule.sol";
import {IScaledUIAmount} from "../../interfaces/IScaledUIAmount.sol";

/// @title Compliance module: an investor identity may hold at most `maxShares` economic shares.
/// @notice Economic shares are `raw * uiMultiplier / 1e18` (rounded up), so the cap keeps its
/// meaning across splits and dividend reinvestments. Outflows are never refused.
contract MaxBalanceModule is IdentityBalanceModule {
    mapping(address compliance => uint256 maxShares) private _maxShares;

    event MaxSharesSet(address indexed compliance, uint256 maxShares);

    error MaxBalanceExceeded(address identity, uint256 shares, uint256 maxShares);

    /// @inheritdoc IComplianceModule
    function name() external pure returns (string memory) {
        return "MaxBalanceModule";
    }

    /// @notice Set the largest economic balance (18-decimal shares) one identity may hold.
    function setMaxShares(address compliance, uint256 maxShares_) external onlyComplianceOwner(compliance) {
        _maxShares[compliance] = maxShares_;
        emit MaxSharesSet(compliance, maxShares_);
    }

    /// @notice The cap of `compliance` in economic shares.
    function maxShares(address compliance) external view returns (uint256) {
        return _maxShares[compliance];
    }

    function _allows(address compliance, address, address toId, uint256 amount) internal view override returns (bool) {
        return toId == address(0) || _sharesAfter(compliance, toId, amount) <= _maxShares[compliance];
    }

    function _enforce(address compliance, address, address toId, uint256 amount) internal view override {
        if (toId == address(0)) return;
        uint256 shares = _sharesAfter(compliance, toId, amount);
        if (shares > _maxShares[compliance]) revert MaxBalanceExceeded(toId, shares, _maxShares[compliance]);
    }

    function _sharesAfter(address compliance, address toId, uint256 amount) private view returns (uint256) {
        uint256 multiplier = IScaledUIAmount(address(_token(compliance))).uiMultiplier();
        return Math.mulDiv(identityBalance(compliance, toId) + amount, multiplier, 1e18, Math.Rounding.Ceil);
    }
}
