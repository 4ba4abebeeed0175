// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOnchainIdentity} from "./IOnchainIdentity.sol";

/// @title ERC-3643 claim topics registry: the claim topics an investor must hold.
interface IClaimTopicsRegistry {
    event ClaimTopicAdded(uint256 indexed claimTopic);
    event ClaimTopicRemoved(uint256 indexed claimTopic);

    function addClaimTopic(uint256 claimTopic) external;
    function removeClaimTopic(uint256 claimTopic) external;
    function getClaimTopics() external view returns (uint256[] memory);
}

/// @title ERC-3643 trusted issuers registry: which claim issuers are trusted for which topics.
interface ITrustedIssuersRegistry {
    event TrustedIssuerAdded(address indexed trustedIssuer, uint256[] claimTopics);
    event TrustedIssuerRemoved(address indexed trustedIssuer);
    event ClaimTopicsUpdated(address indexed trustedIssuer, uint256[] claimTopics);
    /// @notice Whether a management key of `trustedIssuer` may sign claims (off by default).
    event ManagementKeySigningSet(address indexed trustedIssuer, bool allowed);

    function addTrustedIssuer(address trustedIssuer, uint256[] calldata claimTopics) external;
    function removeTrustedIssuer(address trustedIssuer) external;
    function updateIssuerClaimTopics(address trustedIssuer, uint256[] calldata claimTopics) external;
    function getTrustedIssuers() external view returns (address[] memory);
    function getTrustedIssuersForClaimTopic(uint256 claimTopic) external view returns (address[] memory);
    function isTrustedIssuer(address issuer) external view returns (bool);
    function getTrustedIssuerClaimTopics(address trustedIssuer) external view returns (uint256[] memory);
    function hasClaimTopic(address issuer, uint256 claimTopic) external view returns (bool);
    function managementKeyMaySign(address issuer) external view returns (bool);
}

/// @title ERC-3643 identity registry storage, shared by the identity registries of one issuer.
interface IIdentityRegistryStorage {
    event IdentityStored(address indexed investorAddress, IOnchainIdentity indexed identity);
    event IdentityUnstored(address indexed investorAddress, IOnchainIdentity indexed identity);
    event IdentityModified(IOnchainIdentity indexed oldIdentity, IOnchainIdentity indexed newIdentity);
    event CountryModified(address indexed investorAddress, uint16 indexed country);
    event IdentityRegistryBound(address indexed identityRegistry);
    event IdentityRegistryUnbound(address indexed identityRegistry);
    /// @notice The storage now refuses to remove or re-point the identity of a wallet holding `token`.
    event GuardedTokenAdded(address indexed token);
    event GuardedTokenRemoved(address indexed token);
    /// @notice `lister` may add guarded tokens (the listing factory), besides the owner.
    event TokenListerSet(address indexed lister);

    function addIdentityToStorage(address userAddress, IOnchainIdentity identity, uint16 country) external;
    function removeIdentityFromStorage(address userAddress) external;
    function modifyStoredIdentity(address userAddress, IOnchainIdentity identity) external;
    function modifyStoredInvestorCountry(address userAddress, uint16 country) external;
    function bindIdentityRegistry(address identityRegistry) external;
    function unbindIdentityRegistry(address identityRegistry) external;
    function linkedIdentityRegistries() external view returns (address[] memory);
    function storedIdentity(address userAddress) external view returns (IOnchainIdentity);
    function storedInvestorCountry(address userAddress) external view returns (uint16);
    /// @notice Identity and country in one call.
    function storedInvestor(address userAddress) external view returns (IOnchainIdentity identity, uint16 country);
    /// @notice Whether `identityRegistry` may write here (and is told of every change).
    function isIdentityRegistryBound(address identityRegistry) external view returns (bool);
    function addGuardedToken(address token) external;
    function removeGuardedToken(address token) external;
    function guardedTokens() external view returns (address[] memory);
    /// @notice A guarded token `userAddress` holds, or zero when it holds none.
    function heldGuardedToken(address userAddress) external view returns (address);
}

/// @title Told by the storage when a wallet's identity or country changes, so that a registry can
/// drop what it cached about the wallet.
interface IIdentityStorageListener {
    function onStoredInvestorChanged(address userAddress) external;
    /// @notice The storage bound (`bound`) or unbound the listening registry: an unbound registry
    /// hears of no change any more and must stop answering from its cache.
    function onStorageBindingChanged(bool bound) external;
}

/// @title Told by the claim topics or trusted issuers registry when the verification rules
/// change, so that a registry can drop every cached verification.
interface IVerificationRulesListener {
    function onVerificationRulesChanged() external;
}

/// @title ERC-3643 identity registry.
interface IIdentityRegistry {
    event ClaimTopicsRegistrySet(address indexed claimTopicsRegistry);
    event IdentityStorageSet(address indexed identityStorage);
    event TrustedIssuersRegistrySet(address indexed trustedIssuersRegistry);
    event IdentityRegistered(address indexed investorAddress, IOnchainIdentity indexed identity);
    event IdentityRemoved(address indexed investorAddress, IOnchainIdentity indexed identity);
    event IdentityUpdated(IOnchainIdentity indexed oldIdentity, IOnchainIdentity indexed newIdentity);
    event CountryUpdated(address indexed investorAddress, uint16 indexed country);

    function setIdentityRegistryStorage(address identityRegistryStorage) external;
    function setClaimTopicsRegistry(address claimTopicsRegistry) external;
    function setTrustedIssuersRegistry(address trustedIssuersRegistry) external;
    function registerIdentity(address userAddress, IOnchainIdentity identity, uint16 country) external;
    function deleteIdentity(address userAddress) external;
    function updateCountry(address userAddress, uint16 country) external;
    function updateIdentity(address userAddress, IOnchainIdentity identity) external;
    function batchRegisterIdentity(
        address[] calldata userAddresses,
        IOnchainIdentity[] calldata identities,
        uint16[] calldata countries
    ) external;
    function contains(address userAddress) external view returns (bool);
    function isVerified(address userAddress) external view returns (bool);
    /// @notice {isVerified} and, when verified, the investor's country (else 0), in one call:
    /// what a token needs to check a receiver and pass the country to its compliance.
    function verifiedCountry(address userAddress) external view returns (bool verified, uint16 country);
    function identity(address userAddress) external view returns (IOnchainIdentity);
    function investorCountry(address userAddress) external view returns (uint16);
    function identityStorage() external view returns (IIdentityRegistryStorage);
    function issuersRegistry() external view returns (ITrustedIssuersRegistry);
    function topicsRegistry() external view returns (IClaimTopicsRegistry);
}
