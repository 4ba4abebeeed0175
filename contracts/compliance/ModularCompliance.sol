// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IModularCompliance, IComplianceModule} from "../interfaces/ICompliance.sol";

/// @title ERC-3643 modular compliance bound to one token.
/// @notice Modules are shared contracts configured per compliance. On every movement the token
/// makes one call here; each module checks and records in one call and reverts with its own error
/// when it refuses. {canTransfer} asks every module without changing anything.
contract ModularCompliance is IModularCompliance, Ownable2Step {
    /// @notice At most this many modules, to bound a transfer's gas.
    uint256 public constant MAX_MODULES = 25;

    // the bound token and the module count are read together on every movement: one slot
    address private _token;
    uint96 private _moduleCount;
    mapping(uint256 index => address module) private _moduleAt;
    mapping(address module => bool) private _bound;

    error NotToken(address caller);
    error NotAllowedToBind(address caller);
    error TokenAlreadyBound(address token);
    error ZeroAddress();
    error ModuleAlreadyBound(address module);
    error ModuleNotBound(address module);
    error TooManyModules();

    constructor(address owner_) Ownable(owner_) {}

    modifier onlyToken() {
        if (msg.sender != _token) revert NotToken(msg.sender);
        _;
    }

    /// @inheritdoc IModularCompliance
    /// @dev The owner may bind any token; a token may bind itself while none is bound.
    function bindToken(address token) external {
        if (token == address(0)) revert ZeroAddress();
        if (msg.sender != owner() && !(_token == address(0) && msg.sender == token)) revert NotAllowedToBind(msg.sender);
        if (_token == token) revert TokenAlreadyBound(token);
        _token = token;
        emit TokenBound(token);
    }

    /// @inheritdoc IModularCompliance
    function unbindToken(address token) external {
        if (msg.sender != owner() && msg.sender != _token) revert NotAllowedToBind(msg.sender);
        if (token != _token) revert NotToken(token);
        delete _token;
        emit TokenUnbound(token);
    }

    /// @inheritdoc IModularCompliance
    function addModule(address module) external onlyOwner {
        if (module == address(0)) revert ZeroAddress();
        if (_bound[module]) revert ModuleAlreadyBound(module);
        uint96 n = _moduleCount;
        if (n >= MAX_MODULES) revert TooManyModules();
        _bound[module] = true;
        _moduleAt[n] = module;
        _moduleCount = n + 1;
        IComplianceModule(module).bindCompliance(address(this));
        emit ModuleAdded(module);
    }

    /// @inheritdoc IModularCompliance
    function removeModule(address module) external onlyOwner {
        if (!_bound[module]) revert ModuleNotBound(module);
        delete _bound[module];
        uint96 n = _moduleCount;
        for (uint256 i; i < n; ++i) {
            if (_moduleAt[i] == module) {
                _moduleAt[i] = _moduleAt[n - 1];
                delete _moduleAt[n - 1];
                _moduleCount = n - 1;
                break;
            }
        }
        IComplianceModule(module).unbindCompliance(address(this));
        emit ModuleRemoved(module);
    }

    /// @inheritdoc IModularCompliance
    function getModules() external view returns (address[] memory modules) {
        uint256 n = _moduleCount;
        modules = new address[](n);
        for (uint256 i; i < n; ++i) {
            modules[i] = _moduleAt[i];
        }
    }

    /// @inheritdoc IModularCompliance
    function isModuleBound(address module) external view returns (bool) {
        return _bound[module];
    }

    /// @inheritdoc IModularCompliance
    function getTokenBound() external view returns (address) {
        return _token;
    }

    /// @inheritdoc IModularCompliance
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        uint256 n = _moduleCount;
        for (uint256 i; i < n; ++i) {
            if (!IComplianceModule(_moduleAt[i]).moduleCheck(from, to, amount)) return false;
        }
        return true;
    }

    /// @inheritdoc IModularCompliance
    function transferred(address from, address to, uint256 amount) external onlyToken {
        _update(from, to, amount, true);
    }

    /// @inheritdoc IModularCompliance
    function created(address to, uint256 amount) external onlyToken {
        _update(address(0), to, amount, true);
    }

    /// @inheritdoc IModularCompliance
    /// @dev A burn is never refused by a module; modules only record it.
    function destroyed(address from, uint256 amount) external onlyToken {
        _update(from, address(0), amount, false);
    }

    /// @inheritdoc IModularCompliance
    function transferredWithOverride(address from, address to, uint256 amount) external onlyToken {
        _update(from, to, amount, false);
    }

    function _update(address from, address to, uint256 amount, bool enforce) private {
        uint256 n = _moduleCount;
        for (uint256 i; i < n; ++i) {
            IComplianceModule(_moduleAt[i]).moduleUpdate(from, to, amount, enforce);
        }
    }
}
