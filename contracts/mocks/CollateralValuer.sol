// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Test consumer: values token collateral the way a lending market reads a Chainlink feed.
/// @notice Refuses a price that is not positive, from an incomplete round, or older than
/// `maxAge`; values `rawAmount` token units at the feed's price per raw unit (18-decimal units),
/// in the feed's decimals, rounded down.
contract CollateralValuer {
    AggregatorV3Interface public immutable feed;
    uint256 public immutable maxAge;

    error StalePrice(uint256 updatedAt, uint256 maxAge);
    error BadPrice(int256 answer, uint80 roundId, uint80 answeredInRound);

    constructor(address feed_, uint256 maxAge_) {
        feed = AggregatorV3Interface(feed_);
        maxAge = maxAge_;
    }

    /// @notice The value of `rawAmount` token units (1e18 = one token unit before the multiplier).
    function value(uint256 rawAmount) external view returns (uint256) {
        (uint80 roundId, int256 answer,, uint256 updatedAt, uint80 answeredInRound) = feed.latestRoundData();
        if (answer <= 0 || answeredInRound < roundId) revert BadPrice(answer, roundId, answeredInRound);
        if (updatedAt > block.timestamp || block.timestamp - updatedAt > maxAge) revert StalePrice(updatedAt, maxAge);
        return Math.mulDiv(rawAmount, uint256(answer), 1e18);
    }
}
