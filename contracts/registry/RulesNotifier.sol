// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IVerificationRulesListener} from "../interfaces/IIdentityRegistry.sol";

/// @title Pushes "the verification rules changed" to the identity registries that cache
/// verification results, so a removed issuer or a new required topic takes effect at once.
abstract contract RulesNotifier is Ownable2Step {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice At most this many listeners.
    uint256 public constant MAX_LISTENERS = 20;

    EnumerableSet.AddressSet private _listeners;

    event RulesListenerAdded(address indexed listener);
    event RulesListenerRemoved(address indexed listener);

    error ListenerAlreadyAdded(address listener);
    error ListenerNotFound(address listener);
    error TooManyListeners();

    /// @notice Notify `listener` (an identity registry) of every rule change.
    function addRulesListener(address listener) external onlyOwner {
        if (_listeners.length() >= MAX_LISTENERS) revert TooManyListeners();
        if (!_listeners.add(listener)) revert ListenerAlreadyAdded(listener);
        emit RulesListenerAdded(listener);
    }

    /// @notice Stop notifying `listener`.
    function removeRulesListener(address listener) external onlyOwner {
        if (!_listeners.remove(listener)) revert ListenerNotFound(listener);
        emit RulesListenerRemoved(listener);
    }

    /// @notice The registries notified of rule changes.
    function rulesListeners() external view returns (address[] memory) {
        return _listeners.values();
    }

    function _notifyRulesChanged() internal {
        uint256 n = _listeners.length();
        for (uint256 i; i < n; ++i) {
            IVerificationRulesListener(_listeners.at(i)).onVerificationRulesChanged();
        }
    }
}
