// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC3643AgentRole} from "../interfaces/IERC3643.sol";

/// @title ERC-3643 agent role for registry-side contracts: an owner (two-step transfer) and agents
/// it appoints.
abstract contract AgentRoles is IERC3643AgentRole, Ownable2Step {
    mapping(address agent => bool) private _agents;

    error NotAgent(address caller);
    error AgentAlreadyAdded(address agent);
    error InvalidAgent();

    modifier onlyAgent() {
        if (!_agents[msg.sender]) revert NotAgent(msg.sender);
        _;
    }

    /// @inheritdoc IERC3643AgentRole
    function addAgent(address agent) external onlyOwner {
        if (agent == address(0)) revert InvalidAgent();
        if (_agents[agent]) revert AgentAlreadyAdded(agent);
        _agents[agent] = true;
        emit AgentAdded(agent);
    }

    /// @inheritdoc IERC3643AgentRole
    function removeAgent(address agent) external onlyOwner {
        if (!_agents[agent]) revert NotAgent(agent);
        delete _agents[agent];
        emit AgentRemoved(agent);
    }

    /// @inheritdoc IERC3643AgentRole
    function isAgent(address agent) public view returns (bool) {
        return _agents[agent];
    }
}
