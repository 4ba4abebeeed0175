// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {RulesNotifier} from "./RulesNotifier.sol";
import {IClaimTopicsRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title ERC-3643 claim topics registry: the claim topics every investor must hold.
contract ClaimTopicsRegistry is IClaimTopicsRegistry, RulesNotifier {
    using EnumerableSet for EnumerableSet.UintSet;

    /// @notice At most this many required topics, to bound the verification walk.
    uint256 public constant MAX_TOPICS = 15;

    EnumerableSet.UintSet private _topics;

    error TopicAlreadyRequired(uint256 claimTopic);
    error TopicNotRequired(uint256 claimTopic);
    error TooManyTopics();

    constructor(address owner_) Ownable(owner_) {}

    /// @inheritdoc IClaimTopicsRegistry
    function addClaimTopic(uint256 claimTopic) external onlyOwner {
        if (_topics.length() >= MAX_TOPICS) revert TooManyTopics();
        if (!_topics.add(claimTopic)) revert TopicAlreadyRequired(claimTopic);
        emit ClaimTopicAdded(claimTopic);
        _notifyRulesChanged();
    }

    /// @inheritdoc IClaimTopicsRegistry
    function removeClaimTopic(uint256 claimTopic) external onlyOwner {
        if (!_topics.remove(claimTopic)) revert TopicNotRequired(claimTopic);
        emit ClaimTopicRemoved(claimTopic);
        _notifyRulesChanged();
    }

    /// @inheritdoc IClaimTopicsRegistry
    function getClaimTopics() external view returns (uint256[] memory) {
        return _topics.values();
    }
}
