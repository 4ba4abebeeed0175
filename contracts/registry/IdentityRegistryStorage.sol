// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IIdentityRegistryStorage, IIdentityStorageListener} from "../interfaces/IIdentityRegistry.sol";
import {IOnchainIdentity} from "../interfaces/IOnchainIdentity.sol";

/// @title ERC-3643 identity registry storage: wallet -> (ONCHAINID identity, country).
/// @notice Shared by the identity registries bound to it, so an investor is onboarded once for
/// every token of the issuer. Every change is pushed to all bound registries, which may cache
/// verification results keyed on what is stored here.
contract IdentityRegistryStorage is IIdentityRegistryStorage, Ownable2Step {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice At most this many registries may write here.
    uint256 public constant MAX_REGISTRIES = 20;

    struct Investor {
        IOnchainIdentity identity;
        uint16 country;
    }

    mapping(address wallet => Investor) private _investors;
    EnumerableSet.AddressSet private _registries;

    error NotBoundRegistry(address caller);
    error ZeroAddress();
    error AlreadyStored(address wallet);
    error NotStored(address wallet);
    error RegistryAlreadyBound(address registry);
    error TooManyRegistries();

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
        delete _investors[userAddress];
        emit IdentityUnstored(userAddress, identity);
        _notifyRegistries(userAddress);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function modifyStoredIdentity(address userAddress, IOnchainIdentity identity) external onlyBoundRegistry {
        if (address(identity) == address(0)) revert ZeroAddress();
        IOnchainIdentity old = _requireStored(userAddress);
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
    function bindIdentityRegistry(address identityRegistry) external onlyOwner {
        if (identityRegistry == address(0)) revert ZeroAddress();
        if (_registries.length() >= MAX_REGISTRIES) revert TooManyRegistries();
        if (!_registries.add(identityRegistry)) revert RegistryAlreadyBound(identityRegistry);
        emit IdentityRegistryBound(identityRegistry);
    }

    /// @inheritdoc IIdentityRegistryStorage
    function unbindIdentityRegistry(address identityRegistry) external onlyOwner {
        if (!_registries.remove(identityRegistry)) revert NotBoundRegistry(identityRegistry);
        emit IdentityRegistryUnbound(identityRegistry);
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

    function _requireStored(address userAddress) private view returns (IOnchainIdentity identity) {
        identity = _investors[userAddress].identity;
        if (address(identity) == address(0)) revert NotStored(userAddress);
    }
}
