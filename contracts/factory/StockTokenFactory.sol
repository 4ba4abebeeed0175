// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {ModularCompliance} from "../compliance/ModularCompliance.sol";
import {CountryListModule} from "../compliance/modules/CountryListModule.sol";
import {MaxBalanceModule} from "../compliance/modules/MaxBalanceModule.sol";
import {MaxHoldersModule} from "../compliance/modules/MaxHoldersModule.sol";
import {HoldingPeriodModule} from "../compliance/modules/HoldingPeriodModule.sol";
import {StockToken} from "../token/StockToken.sol";
import {ReserveFeed} from "../reserve/ReserveFeed.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title Lists a new stock in one transaction: its compliance, configured modules and token,
/// wired to the issuer's shared identity registry.
/// @notice The token's creation code is passed in calldata and must hash to the value fixed at
/// construction: a factory that embedded it would exceed the 24 KiB code-size limit, and the hash
/// check keeps the factory from deploying anything but the audited token.
/// The new compliance is bound to the new token and offered to the stock's owner with a two-step
/// transfer (`acceptOwnership`); the token belongs to the stock's owner from the start. The token
/// gets its own proof-of-reserve feed ({ReserveFeed}, "<symbol> custody, shares"), administered
/// by the stock's owner, who grants its attestor role; the token's reserve guard reads it. The token
/// is added to the guarded tokens of the registry's storage (the factory must be its token lister),
/// so no holder's identity can change under its tokens. The registry's owner then makes the token
/// an agent of the registry, so a recovery can deregister the lost wallet.
contract StockTokenFactory is Ownable2Step {
    /// @notice The shared compliance modules this factory wires in.
    struct ModuleSet {
        address countryAllow;
        address countryBlock;
        address maxBalance;
        address maxHolders;
        address holdingPeriod;
    }

    /// @notice One stock's listing parameters; a module is added when its setting is non-empty.
    struct StockParams {
        string name;
        string symbol;
        address onchainID;
        address owner;
        StockToken.MultiplierBounds bounds;
        StockToken.ReservePolicy reservePolicy;
        uint16[] allowedCountries;
        uint16[] blockedCountries;
        uint256 maxSharesPerInvestor;
        uint256 maxHolders;
        uint64 lockPeriod;
    }

    /// @notice keccak256 of the StockToken creation code this factory deploys.
    bytes32 public immutable tokenCodeHash;
    /// @notice The identity registry every listed token uses.
    address public immutable identityRegistry;

    ModuleSet private _modules;
    mapping(string symbol => address token) private _tokens;
    string[] private _symbols;

    /// @notice A stock was listed.
    event StockDeployed(string symbol, address indexed token, address indexed compliance, address indexed owner);
    /// @notice The listed stock's proof-of-reserve feed.
    event ReserveFeedDeployed(string symbol, address indexed token, address indexed feed);

    error WrongTokenCode(bytes32 codeHash);
    error SymbolTaken(string symbol);
    error DeploymentFailed();
    error ZeroAddress();

    constructor(address owner_, bytes32 tokenCodeHash_, address identityRegistry_, ModuleSet memory modules_)
        Ownable(owner_)
    {
        if (identityRegistry_ == address(0)) revert ZeroAddress();
        tokenCodeHash = tokenCodeHash_;
        identityRegistry = identityRegistry_;
        _modules = modules_;
    }

    /// @notice Deploy the compliance, modules' configuration and token of a new stock.
    /// @param tokenCreationCode StockToken creation code (without constructor arguments)
    /// @param p the listing parameters
    function deployStock(bytes calldata tokenCreationCode, StockParams calldata p)
        external
        onlyOwner
        returns (address token, address compliance)
    {
        bytes32 codeHash = keccak256(tokenCreationCode);
        if (codeHash != tokenCodeHash) revert WrongTokenCode(codeHash);
        if (_tokens[p.symbol] != address(0)) revert SymbolTaken(p.symbol);
        if (p.owner == address(0)) revert ZeroAddress();

        ModularCompliance c = new ModularCompliance(address(this), _presets());
        _configureModules(c, p);
        compliance = address(c);
        address feed = address(new ReserveFeed(p.owner, string.concat(p.symbol, " custody, shares")));

        bytes memory init = abi.encodePacked(
            tokenCreationCode,
            abi.encode(
                StockToken.TokenConfig(
                    p.name, p.symbol, p.onchainID, identityRegistry, compliance, p.owner, p.bounds, p.reservePolicy, feed
                )
            )
        );
        assembly ("memory-safe") {
            token := create(0, add(init, 32), mload(init))
        }
        if (token == address(0)) revert DeploymentFailed();
        c.bindToken(token);
        IIdentityRegistry(identityRegistry).identityStorage().addGuardedToken(token);

        c.transferOwnership(p.owner);
        _tokens[p.symbol] = token;
        _symbols.push(p.symbol);
        emit StockDeployed(p.symbol, token, compliance, p.owner);
        emit ReserveFeedDeployed(p.symbol, token, feed);
    }

    /// @notice The token listed under `symbol` (zero if none).
    function tokenBySymbol(string calldata symbol) external view returns (address) {
        return _tokens[symbol];
    }

    /// @notice Every symbol listed, in order.
    function listedSymbols() external view returns (string[] memory) {
        return _symbols;
    }

    /// @notice The shared modules this factory wires in.
    function modules() external view returns (ModuleSet memory) {
        return _modules;
    }

    /// @dev The shared modules, as presets of every compliance this factory deploys (in the order
    /// a movement runs them).
    function _presets() private view returns (address[] memory presets) {
        ModuleSet memory m = _modules;
        presets = new address[](5);
        (presets[0], presets[1], presets[2], presets[3], presets[4]) =
            (m.countryAllow, m.countryBlock, m.maxBalance, m.maxHolders, m.holdingPeriod);
    }

    function _configureModules(ModularCompliance c, StockParams calldata p) private {
        ModuleSet memory m = _modules;
        address ca = address(c);
        if (p.allowedCountries.length > 0) {
            c.addModule(m.countryAllow);
            CountryListModule(m.countryAllow).listCountries(ca, p.allowedCountries);
        }
        if (p.blockedCountries.length > 0) {
            c.addModule(m.countryBlock);
            CountryListModule(m.countryBlock).listCountries(ca, p.blockedCountries);
        }
        if (p.maxSharesPerInvestor > 0) {
            c.addModule(m.maxBalance);
            MaxBalanceModule(m.maxBalance).setMaxShares(ca, p.maxSharesPerInvestor);
        }
        if (p.maxHolders > 0) {
            c.addModule(m.maxHolders);
            MaxHoldersModule(m.maxHolders).setMaxHolders(ca, p.maxHolders);
        }
        if (p.lockPeriod > 0) {
            c.addModule(m.holdingPeriod);
            HoldingPeriodModule(m.holdingPeriod).setLockPeriod(ca, p.lockPeriod);
        }
    }
}
