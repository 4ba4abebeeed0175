// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IScaledUIAmountNewUIMultiplier} from "../interfaces/IScaledUIAmount.sol";
import {IMultiplierSchedule} from "../interfaces/IMultiplierSchedule.sol";

/// @notice The token's multiplier history, as {MultiplierSchedule} exposes it.
interface IMultiplierHistory is IScaledUIAmountNewUIMultiplier {
    function uiMultiplier() external view returns (uint256);
    function multiplierHistoryLength() external view returns (uint256);
    function multiplierHistory(uint256 index) external view returns (IMultiplierSchedule.HistoryEntry memory);
}

/// @title The price of one raw token unit: the underlying share's price times the multiplier.
/// @notice `AggregatorV3Interface` over an underlying price feed (Chainlink-shaped, e.g. "AAPL /
/// USD"): a round's answer is the underlying round's price x the token's multiplier, in the
/// underlying's decimals, rounded down (a collateral price never rounds up). The multiplier is
/// the one **in force when the underlying price was as of** (its `updatedAt`), read from the
/// token's history, not today's: a price quoted before a 2-for-1 split is worth half a share
/// after it, so a split, a reverse split or a reinvested dividend makes no jump while the
/// underlying feed catches up with the new share. The pending multiplier and its effective time
/// are readable ahead ({pendingMultiplier}, {pendingEffectiveAt}). Staleness is the reader's to
/// judge from `updatedAt`, as with any Chainlink feed.
contract MultiplierPriceFeed is AggregatorV3Interface {
    uint256 private constant ONE = 1e18;
    /// @notice How many changes back (each scheduled change, cancelled ones included) a price
    /// may predate before this feed refuses it: the walk through the history stays bounded
    /// however many changes the corporate-action key schedules and cancels (a price quoted
    /// after the newest one is answered with one read, so the next quote ends such a refusal).
    uint256 public constant MAX_CHANGES_BACK = 16;

    IMultiplierHistory public immutable token;
    AggregatorV3Interface public immutable underlying;
    string private _description;

    /// @notice The underlying price predates more multiplier changes than this feed looks back.
    error PriceTooOld(uint256 updatedAt);
    error NegativePrice(int256 price);

    constructor(address token_, address underlying_, string memory description_) {
        token = IMultiplierHistory(token_);
        underlying = AggregatorV3Interface(underlying_);
        _description = description_;
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        return underlying.decimals();
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
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        (uint80 id, int256 price, uint256 startedAt, uint256 updatedAt, uint80 answeredIn) =
            underlying.getRoundData(roundId);
        return (id, _scaled(price, updatedAt), startedAt, updatedAt, answeredIn);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        (uint80 id, int256 price, uint256 startedAt, uint256 updatedAt, uint80 answeredIn) =
            underlying.latestRoundData();
        return (id, _scaled(price, updatedAt), startedAt, updatedAt, answeredIn);
    }

    /// @notice The multiplier a scheduled change will set (the current one when none is pending).
    function pendingMultiplier() external view returns (uint256) {
        return token.newUIMultiplier();
    }

    /// @notice When the pending change takes effect (0 when none is pending).
    function pendingEffectiveAt() external view returns (uint256) {
        return token.effectiveAt();
    }

    /// @notice The multiplier in force at time `at` (at most {MAX_CHANGES_BACK} changes back).
    /// @dev The history is a sequence of chains: `Scheduled`, any `Replaced`, then either a
    /// `Cancelled` (nothing took effect) or nothing more (the chain's last entry takes effect at
    /// its `effectiveAt`).
    function multiplierAt(uint256 at) public view returns (uint256) {
        uint256 i = token.multiplierHistoryLength();
        uint256 before = token.uiMultiplier();
        if (i == 0) return before;
        IMultiplierSchedule.HistoryEntry memory newest = token.multiplierHistory(i - 1);
        if (at >= newest.recordedAt) {
            // nothing was recorded after the quote (a fresh price): one read decides
            if (newest.action == IMultiplierSchedule.HistoryAction.Cancelled) return before;
            return newest.effectiveAt <= at ? newest.newMultiplier : newest.oldMultiplier;
        }
        for (uint256 seen = 0; i > 0; ++seen) {
            if (seen == MAX_CHANGES_BACK) revert PriceTooOld(at);
            IMultiplierSchedule.HistoryEntry memory last = token.multiplierHistory(i - 1);
            uint256 start = i - 1;
            while (token.multiplierHistory(start).action != IMultiplierSchedule.HistoryAction.Scheduled) {
                if (i - start > MAX_CHANGES_BACK) revert PriceTooOld(at); // a long chain of replacements
                --start;
            }
            if (last.action != IMultiplierSchedule.HistoryAction.Cancelled) {
                if (last.effectiveAt <= at && last.effectiveAt <= block.timestamp) return last.newMultiplier;
                before = last.oldMultiplier;
            }
            i = start;
        }
        return before;
    }

    function _scaled(int256 price, uint256 updatedAt) private view returns (int256) {
        if (price < 0) revert NegativePrice(price);
        return int256(Math.mulDiv(uint256(price), multiplierAt(updatedAt), ONE));
    }
}
