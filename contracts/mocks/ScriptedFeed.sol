// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Test feed: answers whatever a test sets, or reverts, to attack a feed's readers.
contract ScriptedFeed {
    uint8 public decimals;
    bool public reverts;
    uint80 private _roundId;
    int256 private _answer;
    uint256 private _updatedAt;
    uint80 private _answeredInRound;

    error FeedDown();

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    function set(uint80 roundId, int256 answer, uint256 updatedAt, uint80 answeredInRound) external {
        (_roundId, _answer, _updatedAt, _answeredInRound) = (roundId, answer, updatedAt, answeredInRound);
    }

    function setReverts(bool reverts_) external {
        reverts = reverts_;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (reverts) revert FeedDown();
        return (_roundId, _answer, _updatedAt, _updatedAt, _answeredInRound);
    }
}
