// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {RulesNotifier} from "./RulesNotifier.sol";
import {IClaimTopicsRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title ERC-3643 claim topics registry: the claim topics every investor must hold.
contract ClaimTopicsRegistry is IClaimTopicsRegistry, RulesNotifier {
    /// @notice At most this many required topics, to bound the verification walk.
    uint256 public constant MAX_TOPICS = 15;

    uint256[] private _topics;

    error TopicAlreadyRequired(uint256 claimTopic);
    error TopicNotRequired(uint256 claimTopic);
    error TooManyTopics();

    constructor(address owner_) Ownable(owner_) {}

    /// @inheritdoc IClaimTopicsRegistry
    function addClaimTopic(uint256 claimTopic) external onlyOwner {
        uint256 n = _topics.length;
        if (n >= MAX_TOPICS) revert TooManyTopics();
        for (uint256 i; i < n; ++i) {
            if (_topics[i] == claimTopic) revert TopicAlreadyRequired(claimTopic);
        }
        _topics.push(claimTopic);
        emit ClaimTopicAdded(claimTopic);
        _notifyRulesChanged();
    }

    /// @inheritdoc IClaimTopicsRegistry
    function removeClaimTopic(uint256 claimTopic) external onlyOwner {
        uint256 n = _topics.length;
        for (uint256 i; i < n; ++i) {
            if (_topics[i] == claimTopic) {
                _topics[i] = _topics[n - 1];
                _topics.pop();
                emit ClaimTopicRemoved(claimTopic);
                _notifyRulesChanged();
                return;
            }
        }
        revert TopicNotRequired(claimTopic);
    }

    /// @inheritdoc IClaimTopicsRegistry
    function getClaimTopics() external view returns (uint256[] memory) {
        return _topics;
    }
}
