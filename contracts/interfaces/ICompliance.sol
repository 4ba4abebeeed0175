// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ERC-3643 modular compliance bound to one token.
/// @notice `transferred`, `created` and `destroyed` check *and* record in one call: a module that
/// refuses reverts with its own error, so the token makes one compliance call per transfer.
/// The token passes the receiver's country, which it reads from the identity registry together
/// with the receiver's verification, so no module has to look it up again (the ERC-3643
/// signatures of these three calls, plus that one argument).
interface IModularCompliance {
    event TokenBound(address indexed token);
    event TokenUnbound(address indexed token);
    event ModuleAdded(address indexed module);
    event ModuleRemoved(address indexed module);

    function bindToken(address token) external;
    function unbindToken(address token) external;
    function addModule(address module) external;
    function removeModule(address module) external;
    function getModules() external view returns (address[] memory);
    function isModuleBound(address module) external view returns (bool);
    function getTokenBound() external view returns (address);
    function canTransfer(address from, address to, uint256 amount) external view returns (bool);
    function transferred(address from, address to, uint256 amount, uint16 toCountry) external;
    function created(address to, uint256 amount, uint16 toCountry) external;
    function destroyed(address from, uint256 amount) external;
    /// @notice Record a forced transfer whose compliance check the agent explicitly overrode.
    function transferredWithOverride(address from, address to, uint256 amount, uint16 toCountry) external;
}

/// @title A compliance module shared by many compliance contracts, configured per compliance.
/// @dev `msg.sender` is always the compliance contract. `from == 0` is a mint, `to == 0` a burn
/// (then `toCountry` is 0). All state is keyed by `msg.sender`, so a caller can only ever read or
/// write its own records: the hot path does not look up whether the caller is bound.
interface IComplianceModule {
    event ComplianceBound(address indexed compliance);
    event ComplianceUnbound(address indexed compliance);

    /// @notice Human-readable module name.
    function name() external pure returns (string memory);
    /// @notice Called by a compliance when the module is added to it.
    function bindCompliance(address compliance) external;
    /// @notice Called by a compliance when the module is removed from it.
    function unbindCompliance(address compliance) external;
    /// @notice Whether the module would allow the movement, for the calling compliance.
    function moduleCheck(address from, address to, uint256 amount, uint16 toCountry) external view returns (bool);
    /// @notice Record the movement; revert if `enforce` and the module refuses it.
    function moduleUpdate(address from, address to, uint256 amount, uint16 toCountry, bool enforce) external;
}
