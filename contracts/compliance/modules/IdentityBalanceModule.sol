// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceModule} from "../../interfaces/ICompliance.sol";
import {ComplianceModuleBase} from "./ComplianceModuleBase.sol";

/// @title Base of modules whose rules are per investor identity, not per wallet: it keeps the raw
/// balance of every ONCHAINID identity, per compliance, from the movements it is told about.
/// @dev Movements between two wallets of one identity change nothing here. Add such modules
/// before the first mint (the factory does), or the balances they track start short. Outflows
/// never underflow: an identity cannot be debited more than was recorded for it. The records stay
/// right because the identity registry storage refuses to remove or re-point the identity of a
/// wallet holding a guarded token; a compliant outflow from a wallet without identity is refused.
abstract contract IdentityBalanceModule is ComplianceModuleBase {
    mapping(address compliance => mapping(address identity => uint256 raw)) private _identityBalance;

    /// @notice A compliant movement from a wallet with no identity: its tokens are recorded under
    /// no identity, so no identity rule could be applied to them.
    error SenderNotRegistered(address wallet);

    /// @notice The raw balance recorded for `identity` under `compliance`.
    function identityBalance(address compliance, address identity) public view returns (uint256) {
        return _identityBalance[compliance][identity];
    }

    /// @inheritdoc IComplianceModule
    function moduleCheck(address from, address to, uint256 amount, uint16) external view returns (bool) {
        (address fromId, address toId) = _identities(msg.sender, from, to);
        if (fromId == toId && from != address(0) && to != address(0)) return true;
        if (from != address(0) && fromId == address(0)) return false;
        return _allows(msg.sender, fromId, toId, amount);
    }

    /// @inheritdoc IComplianceModule
    function moduleUpdate(address from, address to, uint256 amount, uint16, bool enforce) external {
        (address fromId, address toId) = _identities(msg.sender, from, to);
        if (fromId == toId && from != address(0) && to != address(0)) return;
        if (enforce) {
            // a wallet whose identity was removed has no record here to debit or check
            if (from != address(0) && fromId == address(0)) revert SenderNotRegistered(from);
            _enforce(msg.sender, fromId, toId, amount);
        }
        mapping(address => uint256) storage balances = _identityBalance[msg.sender];
        uint256 fromBefore;
        uint256 toBefore;
        if (fromId != address(0)) {
            fromBefore = balances[fromId];
            balances[fromId] = fromBefore > amount ? fromBefore - amount : 0;
        }
        if (toId != address(0)) {
            toBefore = balances[toId];
            balances[toId] = toBefore + amount;
        }
        _afterUpdate(msg.sender, from == address(0), fromId, toId, amount, fromBefore, toBefore);
    }

    /// @dev Whether the movement passes (for the view pre-check).
    function _allows(address compliance, address fromId, address toId, uint256 amount)
        internal
        view
        virtual
        returns (bool);

    /// @dev Revert with the module's error unless the movement passes.
    function _enforce(address compliance, address fromId, address toId, uint256 amount) internal view virtual;

    /// @dev Hook after balances are recorded, with the balances before. `minted` tells a mint from
    /// a transfer whose sender has no identity (both have `fromId == 0`).
    function _afterUpdate(
        address compliance,
        bool minted,
        address fromId,
        address toId,
        uint256 amount,
        uint256 fromBefore,
        uint256 toBefore
    ) internal virtual {}

    function _identities(address compliance, address from, address to) private view returns (address fromId, address toId) {
        if (from != address(0)) fromId = address(_registry(compliance).identity(from));
        if (to != address(0)) toId = address(_registry(compliance).identity(to));
    }
}
