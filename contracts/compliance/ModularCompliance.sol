// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IModularCompliance, IComplianceModule} from "../interfaces/ICompliance.sol";
import {IERC3643} from "../interfaces/IERC3643.sol";

/// @title ERC-3643 modular compliance bound to one token.
/// @notice Modules are shared contracts configured per compliance. On every movement the token
/// makes one call here; each module checks and records in one call and reverts with its own error
/// when it refuses. {canTransfer} asks every module without changing anything.
///
/// Gas: a transfer reads one storage slot here whatever the modules, when they are *presets*: up
/// to {MAX_PRESETS} module contracts fixed at construction (the factory passes the issuer's
/// shared modules) whose addresses live in the code, switched on and off by a bit each. Any other
/// module is kept in a list and costs one more slot per transfer. Presets run first, in preset
/// order, then the listed modules in the order they were added.
contract ModularCompliance is IModularCompliance, Ownable2Step {
    /// @notice At most this many modules, to bound a transfer's gas.
    uint256 public constant MAX_MODULES = 25;
    /// @notice At most this many presets.
    uint256 public constant MAX_PRESETS = 6;

    address private immutable _preset0;
    address private immutable _preset1;
    address private immutable _preset2;
    address private immutable _preset3;
    address private immutable _preset4;
    address private immutable _preset5;
    uint256 private immutable _presetCount;

    // read together on every movement: one slot
    address private _token;
    uint8 private _presetsOn; // bit i: preset i is a module of this compliance
    uint8 private _presetsOnCount;
    uint8 private _listedCount;
    mapping(uint256 index => address module) private _listedAt;
    mapping(address module => bool) private _bound;

    error NotToken(address caller);
    error NotAllowedToBind(address caller);
    error TokenAlreadyBound(address token);
    error ZeroAddress();
    error ModuleAlreadyBound(address module);
    error ModuleNotBound(address module);
    error TooManyModules();
    error TooManyPresets(uint256 count);

    /// @param owner_ the owner, who adds and removes modules
    /// @param presets module contracts that can be added without a storage slot of their own
    /// (none, or the shared modules of the factory deploying this compliance)
    constructor(address owner_, address[] memory presets) Ownable(owner_) {
        uint256 n = presets.length;
        if (n > MAX_PRESETS) revert TooManyPresets(n);
        address[MAX_PRESETS] memory p;
        for (uint256 i; i < n; ++i) {
            if (presets[i] == address(0)) revert ZeroAddress();
            p[i] = presets[i];
        }
        (_preset0, _preset1, _preset2, _preset3, _preset4, _preset5) = (p[0], p[1], p[2], p[3], p[4], p[5]);
        _presetCount = n;
    }

    modifier onlyToken() {
        if (msg.sender != _token) revert NotToken(msg.sender);
        _;
    }

    /// @inheritdoc IModularCompliance
    /// @dev Only the owner binds a token (the listing factory, while it owns a new compliance,
    /// binds the token it lists in the same transaction). A contract that could bind itself
    /// while none is bound would write fake holders and balances into the shared modules' records
    /// of this compliance, which no reset removes.
    function bindToken(address token) external onlyOwner {
        if (token == address(0)) revert ZeroAddress();
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
        if (_presetsOnCount + _listedCount >= MAX_MODULES) revert TooManyModules();
        _bound[module] = true;
        (bool preset, uint256 index) = _presetIndex(module);
        if (preset) {
            _presetsOn |= uint8(1 << index);
            _presetsOnCount += 1;
        } else {
            _listedAt[_listedCount] = module;
            _listedCount += 1;
        }
        IComplianceModule(module).bindCompliance(address(this));
        emit ModuleAdded(module);
    }

    /// @inheritdoc IModularCompliance
    function removeModule(address module) external onlyOwner {
        if (!_bound[module]) revert ModuleNotBound(module);
        delete _bound[module];
        (bool preset, uint256 index) = _presetIndex(module);
        if (preset) {
            _presetsOn &= ~uint8(1 << index);
            _presetsOnCount -= 1;
        } else {
            uint256 n = _listedCount;
            for (uint256 i; i < n; ++i) {
                if (_listedAt[i] == module) {
                    _listedAt[i] = _listedAt[n - 1];
                    delete _listedAt[n - 1];
                    _listedCount = uint8(n - 1);
                    break;
                }
            }
        }
        IComplianceModule(module).unbindCompliance(address(this));
        emit ModuleRemoved(module);
    }

    /// @inheritdoc IModularCompliance
    /// @dev In the order a movement runs them: presets, then listed modules.
    function getModules() external view returns (address[] memory modules) {
        modules = new address[](_presetsOnCount + _listedCount);
        uint256 k;
        uint256 on = _presetsOn;
        for (uint256 i; on >> i != 0; ++i) {
            if (on & (1 << i) != 0) modules[k++] = _preset(i);
        }
        uint256 n = _listedCount;
        for (uint256 i; i < n; ++i) {
            modules[k++] = _listedAt[i];
        }
    }

    /// @notice The module contracts this compliance can add as presets.
    function getPresets() external view returns (address[] memory presets) {
        presets = new address[](_presetCount);
        for (uint256 i; i < presets.length; ++i) {
            presets[i] = _preset(i);
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
    /// @dev Reads the receiver's country from the bound token's identity registry (0 for a burn).
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        if (_presetsOn == 0 && _listedCount == 0) return true;
        uint16 toCountry = to == address(0) ? 0 : IERC3643(_token).identityRegistry().investorCountry(to);
        uint256 on = _presetsOn;
        for (uint256 i; on >> i != 0; ++i) {
            if (on & (1 << i) != 0 && !IComplianceModule(_preset(i)).moduleCheck(from, to, amount, toCountry)) {
                return false;
            }
        }
        uint256 n = _listedCount;
        for (uint256 i; i < n; ++i) {
            if (!IComplianceModule(_listedAt[i]).moduleCheck(from, to, amount, toCountry)) return false;
        }
        return true;
    }

    /// @inheritdoc IModularCompliance
    function transferred(address from, address to, uint256 amount, uint16 toCountry) external onlyToken {
        _update(from, to, amount, toCountry, true);
    }

    /// @inheritdoc IModularCompliance
    function created(address to, uint256 amount, uint16 toCountry) external onlyToken {
        _update(address(0), to, amount, toCountry, true);
    }

    /// @inheritdoc IModularCompliance
    /// @dev A burn is never refused by a module; modules only record it.
    function destroyed(address from, uint256 amount) external onlyToken {
        _update(from, address(0), amount, 0, false);
    }

    /// @inheritdoc IModularCompliance
    function transferredWithOverride(address from, address to, uint256 amount, uint16 toCountry) external onlyToken {
        _update(from, to, amount, toCountry, false);
    }

    function _update(address from, address to, uint256 amount, uint16 toCountry, bool enforce) private {
        uint256 on = _presetsOn;
        for (uint256 i; on >> i != 0; ++i) {
            if (on & (1 << i) != 0) IComplianceModule(_preset(i)).moduleUpdate(from, to, amount, toCountry, enforce);
        }
        uint256 n = _listedCount;
        for (uint256 i; i < n; ++i) {
            IComplianceModule(_listedAt[i]).moduleUpdate(from, to, amount, toCountry, enforce);
        }
    }

    function _preset(uint256 i) private view returns (address) {
        if (i == 0) return _preset0;
        if (i == 1) return _preset1;
        if (i == 2) return _preset2;
        if (i == 3) return _preset3;
        if (i == 4) return _preset4;
        return _preset5;
    }

    function _presetIndex(address module) private view returns (bool found, uint256 index) {
        for (uint256 i; i < _presetCount; ++i) {
            if (_preset(i) == module) return (true, i);
        }
        return (false, 0);
    }
}
