// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title Rounds of a Chainlink-shaped feed written by a role of its own.
/// @notice Each write opens round `latest + 1` with its answer and the time it is as of;
/// `startedAt` and `updatedAt` are that time, `answeredInRound` the round itself. A round that
/// does not exist reverts with {NoSuchRound}; `latestRoundData` before the first write answers
/// round 0 (zero everywhere), which a careful reader refuses. Each feed stores its rounds in
/// its own layout ({_round}), so a reader pays for as few storage slots as it can.
abstract contract RoundFeed is AggregatorV3Interface {
    /// @notice Chainlink's `AggregatorInterface` event, for readers that follow it.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    error NoSuchRound(uint80 roundId);

    string private _description;
    uint80 private _latestRound;

    constructor(string memory description_) {
        _description = description_;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return _description;
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        _checkRound(roundId);
        (int256 answer, uint64 asOf) = _round(roundId);
        return (roundId, answer, asOf, asOf, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        uint80 id = _latestRound;
        if (id == 0) return (0, 0, 0, 0, 0);
        return getRoundData(id);
    }

    /// @notice The latest round's id (0 before the first).
    function latestRound() public view returns (uint80) {
        return _latestRound;
    }

    /// @dev Open the next round (the caller stores it, keyed by the id returned).
    function _newRound(int256 answer, uint64 asOf) internal returns (uint80 roundId) {
        roundId = ++_latestRound;
        emit AnswerUpdated(answer, roundId, asOf);
    }

    /// @dev Revert unless round `roundId` exists.
    function _checkRound(uint80 roundId) internal view {
        if (roundId == 0 || roundId > _latestRound) revert NoSuchRound(roundId);
    }

    /// @dev The time the latest round is as of (0 before the first).
    function _latestAsOf() internal view returns (uint64 asOf) {
        uint80 id = _latestRound;
        if (id != 0) (, asOf) = _round(id);
    }

    /// @dev Round `roundId`'s answer and the time it is as of.
    function _round(uint80 roundId) internal view virtual returns (int256 answer, uint64 asOf);
}
