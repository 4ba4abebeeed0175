// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {RulesNotifier} from "./RulesNotifier.sol";
import {ITrustedIssuersRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title ERC-3643 trusted issuers registry.
/// @notice Which ONCHAINID claim issuers are trusted for which claim topics, and whether an
/// issuer's management keys may sign claims (off unless the owner turns it on: in ONCHAINID a
/// management key passes every purpose check, which would let a key meant for administration sign
/// KYC claims).
contract TrustedIssuersRegistry is ITrustedIssuersRegistry, RulesNotifier {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice Bounds on the lists, to bound the verification walk.
    uint256 public constant MAX_ISSUERS = 50;
    uint256 public constant MAX_TOPICS_PER_ISSUER = 15;

    EnumerableSet.AddressSet private _issuers;
    mapping(address issuer => uint256[] topics) private _issuerTopics;
    mapping(uint256 topic => EnumerableSet.AddressSet issuers) private _topicIssuers;
    mapping(address issuer => bool) private _managementKeyMaySign;

    error InvalidIssuer();
    error IssuerAlreadyTrusted(address issuer);
    error IssuerNotTrusted(address issuer);
    error InvalidTopicList();
    error TooManyIssuers();

    constructor(address owner_) Ownable(owner_) {}

    /// @inheritdoc ITrustedIssuersRegistry
    function addTrustedIssuer(address trustedIssuer, uint256[] calldata claimTopics) external onlyOwner {
        if (trustedIssuer == address(0)) revert InvalidIssuer();
        if (_issuers.length() >= MAX_ISSUERS) revert TooManyIssuers();
        _checkTopics(claimTopics);
        if (!_issuers.add(trustedIssuer)) revert IssuerAlreadyTrusted(trustedIssuer);
        _setTopics(trustedIssuer, claimTopics);
        emit TrustedIssuerAdded(trustedIssuer, claimTopics);
        _notifyRulesChanged();
    }

    /// @inheritdoc ITrustedIssuersRegistry
    function removeTrustedIssuer(address trustedIssuer) external onlyOwner {
        if (!_issuers.contains(trustedIssuer)) revert IssuerNotTrusted(trustedIssuer);
        _clearTopics(trustedIssuer);
        _issuers.remove(trustedIssuer);
        delete _managementKeyMaySign[trustedIssuer];
        emit TrustedIssuerRemoved(trustedIssuer);
        _notifyRulesChanged();
    }

    /// @inheritdoc ITrustedIssuersRegistry
    function updateIssuerClaimTopics(address trustedIssuer, uint256[] calldata claimTopics) external onlyOwner {
        if (!_issuers.contains(trustedIssuer)) revert IssuerNotTrusted(trustedIssuer);
        _checkTopics(claimTopics);
        _clearTopics(trustedIssuer);
        _setTopics(trustedIssuer, claimTopics);
        emit ClaimTopicsUpdated(trustedIssuer, claimTopics);
        _notifyRulesChanged();
    }

    /// @notice Allow or forbid the management keys of `trustedIssuer` to sign claims.
    function setManagementKeySigning(address trustedIssuer, bool allowed) external onlyOwner {
        if (!_issuers.contains(trustedIssuer)) revert IssuerNotTrusted(trustedIssuer);
        _managementKeyMaySign[trustedIssuer] = allowed;
        emit ManagementKeySigningSet(trustedIssuer, allowed);
        _notifyRulesChanged();
    }

    /// @inheritdoc ITrustedIssuersRegistry
    function getTrustedIssuers() external view returns (address[] memory) {
        return _issuers.values();
    }

    /// @inheritdoc ITrustedIssuersRegistry
    function getTrustedIssuersForClaimTopic(uint256 claimTopic) external view returns (address[] memory) {
        return _topicIssuers[claimTopic].values();
    }

    /// @inheritdoc ITrustedIssuersRegistry
    function isTrustedIssuer(address issuer) external view returns (bool) {
        return _issuers.contains(issuer);
    }

    /// @inheritdoc ITrustedIssuersRegistry
    function getTrustedIssuerClaimTopics(address trustedIssuer) external view returns (uint256[] memory) {
        if (!_issuers.contains(trustedIssuer)) revert IssuerNotTrusted(trustedIssuer);
        return _issuerTopics[trustedIssuer];
    }

    /// @inheritdoc ITrustedIssuersRegistry
    function hasClaimTopic(address issuer, uint256 claimTopic) external view returns (bool) {
        uint256[] storage topics = _issuerTopics[issuer];
        for (uint256 i; i < topics.length; ++i) {
            if (topics[i] == claimTopic) return true;
        }
        return false;
    }

    /// @inheritdoc ITrustedIssuersRegistry
    function managementKeyMaySign(address issuer) external view returns (bool) {
        return _managementKeyMaySign[issuer];
    }

    function _checkTopics(uint256[] calldata claimTopics) private pure {
        if (claimTopics.length == 0 || claimTopics.length > MAX_TOPICS_PER_ISSUER) revert InvalidTopicList();
    }

    function _setTopics(address issuer, uint256[] calldata claimTopics) private {
        for (uint256 i; i < claimTopics.length; ++i) {
            _topicIssuers[claimTopics[i]].add(issuer);
        }
        _issuerTopics[issuer] = claimTopics;
    }

    function _clearTopics(address issuer) private {
        uint256[] storage topics = _issuerTopics[issuer];
        for (uint256 i; i < topics.length; ++i) {
            _topicIssuers[topics[i]].remove(issuer);
        }
        delete _issuerTopics[issuer];
    }
}
