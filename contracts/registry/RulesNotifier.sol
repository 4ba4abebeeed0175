// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IVerificationRulesListener} from "../interfaces/IIdentityRegistry.sol";

/// @title Pushes "the verification rules changed" to the identity registries that cache
/// verification results, so a removed issuer or a new required topic takes effect at once.
abstract contract RulesNotifier is Ownable2Step {
    /// @notice At most this many listeners.
    uint256 public constant MAX_LISTENERS = 20;

    address[] private _listeners;

    event RulesListenerAdded(address indexed listener);
    event RulesListenerRemoved(address indexed listener);

    error ListenerAlreadyAdded(address listener);
    error ListenerNotFound(address listener);
    error TooManyListeners();

    /// @notice Notify `listener` (an identity registry) of every rule change.
    function addRulesListener(address listener) external onlyOwner {
        uint256 n = _listeners.length;
        if (n >= MAX_LISTENERS) revert TooManyListeners();
        for (uint256 i; i < n; ++i) {
            if (_listeners[i] == listener) revert ListenerAlreadyAdded(listener);
        }
        _listeners.push(listener);
        emit RulesListenerAdded(listener);
    }

    /// @notice Stop notifying `listener`.
    function removeRulesListener(address listener) external onlyOwner {
        uint256 n = _listeners.length;
        for (uint256 i; i < n; ++i) {
            if (_listeners[i] == listener) {
                _listeners[i] = _listeners[n - 1];
                _listeners.pop();
                emit RulesListenerRemoved(listener);
                return;
            }
        }
        revert ListenerNotFound(listener);
    }

    /// @notice The registries notified of rule changes.
    function rulesListeners() external view returns (address[] memory) {
        return _listeners;
    }

    function _notifyRulesChanged() internal {
        uint256 n = _listeners.length;
        for (uint256 i; i < n; ++i) {
            IVerificationRulesListener(_listeners[i]).onVerificationRulesChanged();
        }
    }
}
