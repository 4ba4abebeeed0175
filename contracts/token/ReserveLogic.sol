// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IReserveFeed} from "../interfaces/IReserveFeed.sol";
import {IReserveGuard} from "../interfaces/IReserveGuard.sol";

/// @title How {ReserveGuard} reads and configures its reserve feed, linked into {StockToken}.
/// @notice Runs by DELEGATECALL on the token's storage; kept out of the token's code, which
/// EIP-170 caps.
library ReserveLogic {
    using SafeCast for uint256;

    /// @notice Read `feed` from now on: it must be a contract answering `decimals()` (at most
    /// 36); whether it reports pending shares is asked once, by ERC-165.
    function setFeed(IReserveGuard.FeedConfig storage config, address feed) external {
        if (feed.code.length == 0) revert IReserveGuard.InvalidReserveFeed(feed);
        uint8 places;
        try AggregatorV3Interface(feed).decimals() returns (uint8 d) {
            places = d;
        } catch {
            revert IReserveGuard.InvalidReserveFeed(feed);
        }
        if (places > 36) revert IReserveGuard.InvalidReserveFeed(feed);
        bool pending = ERC165Checker.supportsInterface(feed, type(IReserveFeed).interfaceId);
        config.feed = AggregatorV3Interface(feed);
        config.decimals = places;
        config.reportsPending = pending;
        emit IReserveGuard.ReserveFeedUpdated(feed, places, pending);
    }

    /// @notice The feed's latest round in 18-decimal shares, and whether it is usable (all zero
    /// when not: no feed, the feed reverts, no round yet, a negative answer, a time in the future
    /// or none, an answer carried from an older round). Never reverts on what the feed does,
    /// only on an answer beyond 2^128 shares.
    function read(IReserveGuard.FeedConfig storage config)
        external
        view
        returns (IReserveGuard.Reserve memory r, bool ok)
    {
        IReserveGuard.FeedConfig memory f = config;
        if (address(f.feed) == address(0)) return (r, false);
        try f.feed.latestRoundData() returns (
            uint80 roundId, int256 answer, uint256, uint256 updatedAt, uint80 answeredInRound
        ) {
            if (roundId == 0 || answer < 0 || updatedAt == 0 || updatedAt > block.timestamp || answeredInRound < roundId)
            {
                return (r, false);
            }
            r = IReserveGuard.Reserve(_shares(uint256(answer), f.decimals), 0, uint64(updatedAt), roundId);
            if (f.reportsPending) {
                try IReserveFeed(address(f.feed)).pendingShares(roundId) returns (uint256 pending) {
                    r.pendingShares = _shares(pending, f.decimals);
                } catch {} // no pending figure: settled shares alone back supply
            }
            return (r, true);
        } catch {
            return (r, false);
        }
    }

    /// @dev A feed amount in 18-decimal shares, rounded down.
    function _shares(uint256 amount, uint8 places) private pure returns (uint128) {
        if (places <= 18) return (amount * 10 ** (18 - places)).toUint128();
        return (amount / 10 ** (places - 18)).toUint128();
    }
}
