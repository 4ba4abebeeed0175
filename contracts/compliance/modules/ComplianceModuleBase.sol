// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IComplianceModule, IModularCompliance} from "../../interfaces/ICompliance.sol";
import {IERC3643} from "../../interfaces/IERC3643.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";

/// @title Shared plumbing of our compliance modules: binding, per-compliance configuration rights,
/// and access to the bound token and its identity registry.
/// @dev One deployed module serves many compliance contracts; all state is keyed by compliance
/// (`msg.sender` on the hot path), so a contract that is not bound can only touch records of its
/// own that no token reads. The binding is kept for the configuration calls and the views.
abstract contract ComplianceModuleBase is IComplianceModule {
    mapping(address compliance => bool) private _bound;

    error OnlyBoundCompliance(address caller);
    error OnlyComplianceOwner(address caller, address compliance);
    error AlreadyBound(address compliance);

    /// @dev Configuration of a compliance's rules belongs to that compliance's owner.
    modifier onlyComplianceOwner(address compliance) {
        if (Ownable(compliance).owner() != msg.sender) revert OnlyComplianceOwner(msg.sender, compliance);
        _;
    }

    /// @inheritdoc IComplianceModule
    function bindCompliance(address compliance) external {
        if (msg.sender != compliance) revert OnlyBoundCompliance(msg.sender);
        if (_bound[compliance]) revert AlreadyBound(compliance);
        _bound[compliance] = true;
        emit ComplianceBound(compliance);
    }

    /// @inheritdoc IComplianceModule
    function unbindCompliance(address compliance) external {
        if (msg.sender != compliance || !_bound[compliance]) revert OnlyBoundCompliance(msg.sender);
        delete _bound[compliance];
        emit ComplianceUnbound(compliance);
    }

    /// @notice Whether `compliance` uses this module.
    function isComplianceBound(address compliance) external view returns (bool) {
        return _bound[compliance];
    }

    function _token(address compliance) internal view returns (IERC3643) {
        return IERC3643(IModularCompliance(compliance).getTokenBound());
    }

    function _registry(address compliance) internal view returns (IIdentityRegistry) {
        return _token(compliance).identityRegistry();
    }
}
