// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IIdentityRegistry, IIdentityRegistryStorage, IIdentityStorageListener} from "../interfaces/IIdentityRegistry.sol";
import {IOnchainIdentity} from "../interfaces/IOnchainIdentity.sol";

/// @title ERC-3643 identity registry storage: wallet -> (ONCHAINID identity, country).
/// @notice Shared by the identity registries bound to it, so an investor is onboarded once for
/// every token of the issuer. Every change is pushed to all bound registries, which may cache
/// verification results keyed on what is stored here, and so is a registry's binding or unbinding.
///
/// Identity-keyed compliance records (balances per identity, holding-period locks, holder counts)
/// are only right while a wallet's identity does not change under its tokens. So the storage
/// refuses to remove or re-point the identity of a wallet that holds any *guarded* token (the
/// issuer's tokens, added by the owner or the listing factory): offboard or migrate a holder by
/// moving its tokens first (a forced transfer or a recovery, each with its events), then change
/// the identity.
contract IdentityRegistryStorage is IIdentityRegistryStorage, Ownable2Step {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice At most this many registries may write here.
    uint256 public constant MAX_REGISTRIES = 20;
    /// @notice At most this many guarded tokens (each is read when an identity is removed or changed).
    uint256 public constant MAX_GUARDED_TOKENS = 64;
    /// @notice Gas an unbound registry is given to hear of its unbinding (it switches its cache
    /// off: about 30,000). The unbind refuses to run with less, so whether the registry hears it
    /// never depends on the gas the sender chose (`eth_estimateGas` finds the figure that gives
    /// it all of this), and a registry that burns it all cannot block the unbind.
    uint256 public constant BINDING_NOTICE_GAS = 100_000;

    struct Investor {
        IOnchainIdentity identity;
        uint16 country;
    }

    mapping(address wallet => Investor) private _investors;
    EnumerableSet.AddressSet private _registries;
    EnumerableSet.AddressSet private _guarded;
    address private _tokenLister;

    error NotBoundRegistry(address caller);
    error ZeroAddress();
    error AlreadyStored(address wallet);
    error NotStored(address wallet);
    error RegistryAlreadyBound(address registry);
    error TooManyRegistries();
    error WalletHoldsTokens(address wallet, address token);
    error NotTokenLister(address caller);
    error GuardedTokenAlreadyAdded(address token);
    error NotGuardedToken(address token);
    error TooManyGuardedTokens();
    error NotificationGasTooLow(uint256 gasLeft, uint256 needed);
    error RegistryUsesAnotherStorage(address registry, address registryStorage);

    /// @notice `registry` was unbound but failed to handle the notice with {BINDING_NOTICE_GAS}
    /// gas (a broken or hostile listener): it may still answer from a cache it should drop.
    event BindingNoticeFailed(address indexed registry);

    constructor(address owner_) Ownable(owner_) {}

    modifier onlyBoundRegistry() {
        if (!_registries.contains(msg.sender)) revert NotBoundRegistry(msg.sender);
        _;
    }

    /// @inheritdoc IIdentityRegistryStorage
    function addIdentityToStorage(address userAddress, IOnchainIdentity identity, uint16 country)
        external
        onlyBoundRegistry
    {
        if (userAddress == address(0) || address(identity) == address(0)) revert ZeroAddress();
        if (address(_investors[userAddress].identity) != address(0)) revert AlreadyStored(userAddress);
        _investors[userAddress] = Investor(identity, country);
        emit IdentityStored(userAddress, identity);
        _notifyRegistries(userAddress);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function removeIdentityFromStorage(address userAddress) external onlyBoundRegistry {
        IOnchainIdentity identity = _requireStored(userAddress);
        _requireHoldsNothing(userAddress);
        delete _investors[userAddress];
        emit IdentityUnstored(userAddress, identity);
        _notifyRegistries(userAddress);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function modifyStoredIdentity(address userAddress, IOnchainIdentity identity) external onlyBoundRegistry {
        if (address(identity) == address(0)) revert ZeroAddress();
        IOnchainIdentity old = _requireStored(userAddress);
        if (old != identity) _requireHoldsNothing(userAddress);
        _investors[userAddress].identity = identity;
        emit IdentityModified(old, identity);
        _notifyRegistries(userAddress);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function modifyStoredInvestorCountry(address userAddress, uint16 country) external onlyBoundRegistry {
        _requireStored(userAddress);
        _investors[userAddress].country = country;
        emit CountryModified(userAddress, country);
        _notifyRegistries(userAddress);
    }

    /// @inheritdoc IIdentityRegistryStorage
    /// @dev A registry that reads another storage would refuse this one's notifications: it is
    /// refused here, before it could be told anything.
    function bindIdentityRegistry(address identityRegistry) external onlyOwner {
        if (identityRegistry == address(0)) revert ZeroAddress();
        address itsStorage = address(IIdentityRegistry(identityRegistry).identityStorage());
        if (itsStorage != address(this)) revert RegistryUsesAnotherStorage(identityRegistry, itsStorage);
        if (_registries.length() >= MAX_REGISTRIES) revert TooManyRegistries();
        if (!_registries.add(identityRegistry)) revert RegistryAlreadyBound(identityRegistry);
        emit IdentityRegistryBound(identityRegistry);
        IIdentityStorageListener(identityRegistry).onStorageBindingChanged(true);
    }

    /// @inheritdoc IIdentityRegistryStorage
    /// @dev The registry is told with exactly {BINDING_NOTICE_GAS} gas, and the unbind reverts
    /// when less than that could reach it (EIP-150 passes on at most 63/64 of what is left), so
    /// the notice is never lost to the sender's gas margin. A registry that cannot handle it with
    /// that much is still unbound (it cannot keep its binding by failing), and the failure is an
    /// event, not silence.
    function unbindIdentityRegistry(address identityRegistry) external onlyOwner {
        if (!_registries.remove(identityRegistry)) revert NotBoundRegistry(identityRegistry);
        emit IdentityRegistryUnbound(identityRegistry);
        uint256 needed = BINDING_NOTICE_GAS + BINDING_NOTICE_GAS / 63 + 5_000;
        uint256 left = gasleft();
        if (left < needed) revert NotificationGasTooLow(left, needed);
        try IIdentityStorageListener(identityRegistry).onStorageBindingChanged{gas: BINDING_NOTICE_GAS}(false) {}
        catch {
            emit BindingNoticeFailed(identityRegistry);
        }
    }

    /// @notice Let `lister` (the listing factory) add guarded tokens; zero for nobody but the owner.
    function setTokenLister(address lister) external onlyOwner {
        _tokenLister = lister;
        emit TokenListerSet(lister);
    }

    /// @notice Who may add guarded tokens besides the owner.
    function tokenLister() external view returns (address) {
        return _tokenLister;
    }

    /// @inheritdoc IIdentityRegistryStorage
    function addGuardedToken(address token) external {
        if (msg.sender != owner() && msg.sender != _tokenLister) revert NotTokenLister(msg.sender);
        if (token == address(0)) revert ZeroAddress();
        if (_guarded.length() >= MAX_GUARDED_TOKENS) revert TooManyGuardedTokens();
        if (!_guarded.add(token)) revert GuardedTokenAlreadyAdded(token);
        emit GuardedTokenAdded(token);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function removeGuardedToken(address token) external onlyOwner {
        if (!_guarded.remove(token)) revert NotGuardedToken(token);
        emit GuardedTokenRemoved(token);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function guardedTokens() external view returns (address[] memory) {
        return _guarded.values();
    }

    /// @inheritdoc IIdentityRegistryStorage
    function heldGuardedToken(address userAddress) public view returns (address) {
        uint256 n = _guarded.length();
        for (uint256 i; i < n; ++i) {
            address token = _guarded.at(i);
            if (IERC20(token).balanceOf(userAddress) > 0) return token;
        }
        return address(0);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function isIdentityRegistryBound(address identityRegistry) external view returns (bool) {
        return _registries.contains(identityRegistry);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function linkedIdentityRegistries() external view returns (address[] memory) {
        return _registries.values();
    }

    /// @inheritdoc IIdentityRegistryStorage
    function storedIdentity(address userAddress) external view returns (IOnchainIdentity) {
        return _investors[userAddress].identity;
    }

    /// @inheritdoc IIdentityRegistryStorage
    function storedInvestorCountry(address userAddress) external view returns (uint16) {
        return _investors[userAddress].country;
    }

    /// @inheritdoc IIdentityRegistryStorage
    function storedInvestor(address userAddress) external view returns (IOnchainIdentity identity, uint16 country) {
        Investor memory inv = _investors[userAddress];
        return (inv.identity, inv.country);
    }

    function _notifyRegistries(address userAddress) private {
        uint256 n = _registries.length();
        for (uint256 i; i < n; ++i) {
            IIdentityStorageListener(_registries.at(i)).onStoredInvestorChanged(userAddress);
        }
    }

    function _requireHoldsNothing(address userAddress) private view {
        address token = heldGuardedToken(userAddress);
        if (token != address(0)) revert WalletHoldsTokens(userAddress, token);
    }

    function _requireStored(address userAddress) private view returns (IOnchainIdentity identity) {
        identity = _investors[userAddress].identity;
        if (address(identity) == address(0)) revert NotStored(userAddress);
    }
}
