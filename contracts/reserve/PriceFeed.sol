// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {RoundFeed} from "./RoundFeed.sol";

/// @title A share's market price, reported by a role of its own (the devnet's stand-in for a
/// Chainlink price feed; the stack reports the broker's last trade).
/// @notice `AggregatorV3Interface`, 8 decimals like Chainlink's USD feeds; each report is a
/// round whose `updatedAt` is the time the price is as of (not in the future, not older than
/// the previous round's). The price is of one share of the underlying stock, before any token
/// multiplier ({MultiplierPriceFeed} applies it).
contract PriceFeed is RoundFeed, AccessControl {
    bytes32 public constant PRICE_REPORTER_ROLE = keccak256("PRICE_REPORTER_ROLE");

    /// @dev One round in one slot.
    struct Price {
        int192 price;
        uint64 asOf;
    }

    mapping(uint80 roundId => Price) private _prices;

    error InvalidPrice(int256 price);
    error PriceOutOfOrder(uint64 asOf, uint64 previousAsOf);
    error PriceInFuture(uint64 asOf);

    /// @param admin grants and revokes the reporter role
    /// @param description_ e.g. "AAPL / USD"
    constructor(address admin, string memory description_) RoundFeed(description_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice 8: answers are US dollars with 8 decimals.
    function decimals() external pure returns (uint8) {
        return 8;
    }

    /// @notice Report the price as of `asOf`; opens a new round.
    function report(int256 price, uint64 asOf) external onlyRole(PRICE_REPORTER_ROLE) returns (uint80) {
        if (price <= 0 || price > type(int192).max) revert InvalidPrice(price);
        if (asOf > block.timestamp) revert PriceInFuture(asOf);
        uint64 previous = _latestAsOf();
        if (asOf < previous) revert PriceOutOfOrder(asOf, previous);
        uint80 roundId = _newRound(price, asOf);
        _prices[roundId] = Price(int192(price), asOf);
        return roundId;
    }

    function _round(uint80 roundId) internal view override returns (int256, uint64) {
        Price storage p = _prices[roundId];
        return (p.price, p.asOf);
    }
}
