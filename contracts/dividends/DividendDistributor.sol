// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Cash dividends paid in a stablecoin, claimed by each holder (pull-based).
/// @notice The issuer snapshots holders at the record date off chain, funds a distribution with
/// the net dividend and the Merkle root of `(holder, amount)` leaves, and every holder claims
/// their amount with a proof until the deadline; then the issuer takes back what is unclaimed.
/// Each distribution is accounted on its own: claims never exceed its funding (`claimed <= total`),
/// so a distribution whose tree owes more than it was funded with cannot pay out of another's.
/// @dev Leaves are `keccak256(bytes.concat(keccak256(abi.encode(account, amount))))`, the
/// OpenZeppelin standard Merkle tree encoding (no leaf can pass as an inner node).
contract DividendDistributor is AccessControl {
    using SafeERC20 for IERC20;

    /// @notice May fund distributions and reclaim what is left after their deadline.
    bytes32 public constant DISTRIBUTOR_ROLE = keccak256("DISTRIBUTOR_ROLE");

    struct Distribution {
        address stockToken;
        IERC20 asset;
        bytes32 root;
        uint256 total;
        uint256 claimed;
        uint64 deadline;
        bool closed;
        bytes32 ref;
    }

    Distribution[] private _distributions;
    mapping(uint256 id => mapping(address account => bool)) private _claimed;

    /// @notice A distribution was funded.
    event DistributionCreated(
        uint256 indexed id, address indexed stockToken, bytes32 indexed ref, address asset, bytes32 root, uint256 total, uint64 deadline
    );
    /// @notice `account` received `amount` from distribution `id`.
    event Claimed(uint256 indexed id, address indexed account, uint256 amount);
    /// @notice What was not claimed by the deadline went back to `to`.
    event Reclaimed(uint256 indexed id, address indexed to, uint256 amount);

    error EmptyDistribution();
    error DeadlinePassed(uint64 deadline);
    error UnknownDistribution(uint256 id);
    error AlreadyClaimed(uint256 id, address account);
    error InvalidProof(uint256 id, address account, uint256 amount);
    error ClaimsOpen(uint64 deadline);
    error DistributionClosed(uint256 id);
    /// @notice Distribution `id` has `left` units, fewer than the `amount` claimed: each
    /// distribution pays only from its own funding, never from another's.
    error DistributionExhausted(uint256 id, uint256 left, uint256 amount);

    constructor(address admin, address distributor) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(DISTRIBUTOR_ROLE, distributor);
    }

    /// @notice Fund a distribution of `total` units of `asset`, taken from the caller; it holds
    /// what actually arrived.
    /// @param stockToken the token whose holders are paid
    /// @param root Merkle root of the `(holder, amount)` leaves; the amounts sum to at most `total`
    /// @param deadline last timestamp at which a claim is accepted
    /// @param ref hash of the off-chain corporate-action record
    /// @return id the new distribution's id
    function createDistribution(address stockToken, IERC20 asset, bytes32 root, uint256 total, uint64 deadline, bytes32 ref)
        external
        onlyRole(DISTRIBUTOR_ROLE)
        returns (uint256 id)
    {
        if (total == 0 || root == bytes32(0)) revert EmptyDistribution();
        if (deadline <= block.timestamp) revert DeadlinePassed(deadline);
        // fund with what actually arrived (a fee-on-transfer asset delivers less than asked)
        uint256 before = asset.balanceOf(address(this));
        asset.safeTransferFrom(msg.sender, address(this), total);
        uint256 received = asset.balanceOf(address(this)) - before;
        if (received == 0) revert EmptyDistribution();
        id = _distributions.length;
        _distributions.push(Distribution(stockToken, asset, root, received, 0, deadline, false, ref));
        emit DistributionCreated(id, stockToken, ref, address(asset), root, received, deadline);
    }

    /// @notice Pay `account` its `amount` of distribution `id` (anyone may submit the proof).
    function claim(uint256 id, address account, uint256 amount, bytes32[] calldata proof) external {
        Distribution storage d = _distribution(id);
        if (d.closed) revert DistributionClosed(id);
        if (block.timestamp > d.deadline) revert DeadlinePassed(d.deadline);
        if (_claimed[id][account]) revert AlreadyClaimed(id, account);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
        if (!MerkleProof.verifyCalldata(proof, d.root, leaf)) revert InvalidProof(id, account, amount);
        uint256 claimed = d.claimed + amount;
        if (claimed > d.total) revert DistributionExhausted(id, d.total - d.claimed, amount);
        _claimed[id][account] = true;
        d.claimed = claimed;
        emit Claimed(id, account, amount);
        d.asset.safeTransfer(account, amount);
    }

    /// @notice After the deadline, send what was not claimed to `to` and close the distribution.
    function reclaim(uint256 id, address to) external onlyRole(DISTRIBUTOR_ROLE) {
        Distribution storage d = _distribution(id);
        if (d.closed) revert DistributionClosed(id);
        if (block.timestamp <= d.deadline) revert ClaimsOpen(d.deadline);
        d.closed = true;
        uint256 left = d.total - d.claimed;
        emit Reclaimed(id, to, left);
        if (left > 0) d.asset.safeTransfer(to, left);
    }

    /// @notice Distribution `id`.
    function distribution(uint256 id) external view returns (Distribution memory) {
        return _distribution(id);
    }

    /// @notice Number of distributions so far (the next id).
    function distributionCount() external view returns (uint256) {
        return _distributions.length;
    }

    /// @notice Whether `account` has claimed from distribution `id`.
    function isClaimed(uint256 id, address account) external view returns (bool) {
        return _claimed[id][account];
    }

    function _distribution(uint256 id) private view returns (Distribution storage) {
        if (id >= _distributions.length) revert UnknownDistribution(id);
        return _distributions[id];
    }
}
