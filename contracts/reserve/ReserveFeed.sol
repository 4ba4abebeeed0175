// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IReserveFeed} from "../interfaces/IReserveFeed.sol";
import {RoundFeed} from "./RoundFeed.sol";

/// @title A token's proof-of-reserve feed: the custody behind it, as the issuer attests it.
/// @notice Chainlink's `AggregatorV3Interface`: each attestation is a round whose answer is the
/// custodied settled shares (18 decimals: 1e18 = one share) and whose `updatedAt` is the broker
/// time it is as of. The pending (bought, unsettled) shares of each round are read through
/// {IReserveFeed}. The token's reserve guard reads its capacity here (or from any other feed the
/// token's owner points it at); DeFi protocols read it the same way.
contract ReserveFeed is IReserveFeed, RoundFeed, AccessControl {
    using SafeCast for uint256;

    bytes32 public constant RESERVE_ATTESTOR_ROLE = keccak256("RESERVE_ATTESTOR_ROLE");

    mapping(uint80 roundId => Attestation) private _attestations;

    /// @param admin grants and revokes the attestor role (the token's owner)
    /// @param description_ e.g. "AAPL custody, shares"
    constructor(address admin, string memory description_) RoundFeed(description_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IReserveFeed
    function attest(uint256 settledShares, uint256 pendingShares_, uint64 asOf)
        external
        onlyRole(RESERVE_ATTESTOR_ROLE)
        returns (uint80 roundId)
    {
        if (asOf > block.timestamp) revert AttestationInFuture(asOf);
        uint64 previous = _latestAsOf();
        if (asOf < previous) revert AttestationOutOfOrder(asOf, previous);
        uint128 settled = settledShares.toUint128();
        roundId = _newRound(int256(uint256(settled)), asOf);
        _attestations[roundId] = Attestation(settled, pendingShares_.toUint128(), asOf, uint64(block.timestamp));
        emit ReservesAttested(roundId, msg.sender, settledShares, pendingShares_, asOf);
    }

    /// @notice 18: answers are shares with 18 decimals.
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @inheritdoc IReserveFeed
    function pendingShares(uint80 roundId) external view returns (uint256) {
        _checkRound(roundId);
        return _attestations[roundId].pendingShares;
    }

    /// @inheritdoc IReserveFeed
    function attestation(uint80 roundId) external view returns (Attestation memory) {
        _checkRound(roundId);
        return _attestations[roundId];
    }

    function _round(uint80 roundId) internal view override returns (int256, uint64) {
        Attestation storage a = _attestations[roundId];
        return (int256(uint256(a.settledShares)), a.asOf);
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IReserveFeed).interfaceId || super.supportsInterface(interfaceId);
    }
}
