// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title Shareholder votes passed through: the ballot each meeting's holders of record vote on.
/// @notice For each shareholder meeting the issuer publishes who may vote and with how many
/// shares: the Merkle root of `(holder, shares)` leaves snapshotted at the record date (shares in
/// units of 1e-9 share, economic: raw balance times the multiplier at the record block), the
/// record block, the holders' deadline and the total. After the holders' deadline it records
/// the hash of the tally it instructed the broker with. Anyone can check an entitlement against
/// the root, and a ballot's signature (an EOA's, or a smart-contract wallet's through ERC-1271),
/// with this contract's EIP-712 domain.
/// @dev Leaves are `keccak256(bytes.concat(keccak256(abi.encode(holder, shares))))`, the
/// OpenZeppelin standard Merkle tree encoding (as DividendDistributor's).
contract ProxyVoteRegistry is AccessControl, EIP712 {
    /// @notice May publish ballots and record tallies.
    bytes32 public constant PUBLISHER_ROLE = keccak256("PUBLISHER_ROLE");

    struct Ballot {
        address stockToken;
        bytes32 root;
        uint64 recordBlock;
        uint64 deadline;
        uint256 totalShares;
        bytes32 tally;
        /// whether the tally was recorded (a flag: a zero tally is a tally too)
        bool tallied;
        /// Merkle root of the counted ballots (OpenZeppelin standard tree of
        /// `(voter, uint256(ballot digest))`), and how many there are: anyone recounts them
        bytes32 ballotsRoot;
        uint256 ballotCount;
    }

    mapping(bytes32 meeting => Ballot) private _ballots;

    /// @notice The ballot of `meeting` was published (`ref`: hash of the issuer's meeting record).
    event BallotPublished(
        bytes32 indexed meeting, address indexed stockToken, bytes32 root, uint64 recordBlock, uint64 deadline, uint256 totalShares, bytes32 ref
    );
    /// @notice The tally instructed for `meeting` (hash of the instruction the broker received),
    /// and the counted ballots it sums (their Merkle root and number).
    event TallyRecorded(bytes32 indexed meeting, bytes32 tally, bytes32 ballotsRoot, uint256 ballotCount);

    error BallotExists(bytes32 meeting);
    error UnknownBallot(bytes32 meeting);
    error EmptyBallot();
    error TallyExists(bytes32 meeting);
    error DeadlineNotInFuture(uint64 deadline, uint256 now_);
    error RecordBlockNotMined(uint64 recordBlock, uint256 currentBlock);
    error VotingStillOpen(bytes32 meeting, uint64 deadline);

    constructor(address admin, address publisher) EIP712("StockStack proxy vote", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PUBLISHER_ROLE, publisher);
    }

    /// @notice Publish `meeting`'s ballot, once: the record block is a mined block (a snapshot of
    /// the past) and the holders' deadline is in the future (chain time).
    function publish(
        bytes32 meeting,
        address stockToken,
        bytes32 root,
        uint64 recordBlock,
        uint64 deadline,
        uint256 totalShares,
        bytes32 ref
    ) external onlyRole(PUBLISHER_ROLE) {
        if (root == bytes32(0) || stockToken == address(0)) revert EmptyBallot();
        if (_ballots[meeting].root != bytes32(0)) revert BallotExists(meeting);
        if (deadline <= block.timestamp) revert DeadlineNotInFuture(deadline, block.timestamp);
        if (recordBlock >= block.number) revert RecordBlockNotMined(recordBlock, block.number);
        _ballots[meeting] =
            Ballot(stockToken, root, recordBlock, deadline, totalShares, bytes32(0), false, bytes32(0), 0);
        emit BallotPublished(meeting, stockToken, root, recordBlock, deadline, totalShares, ref);
    }

    /// @notice Record the hash of the tally the issuer instructed the broker with, and the
    /// Merkle root and number of the counted ballots it sums (served publicly after the
    /// deadline, so anyone can recount and a holder prove its ballot is in the total): once, and
    /// only after the holders' deadline (chain time), so no tally stands while ballots may come.
    function recordTally(bytes32 meeting, bytes32 tally, bytes32 ballotsRoot, uint256 ballotCount)
        external
        onlyRole(PUBLISHER_ROLE)
    {
        Ballot storage b = _ballot(meeting);
        if (b.tallied) revert TallyExists(meeting);
        if (block.timestamp <= b.deadline) revert VotingStillOpen(meeting, b.deadline);
        b.tally = tally;
        b.tallied = true;
        b.ballotsRoot = ballotsRoot;
        b.ballotCount = ballotCount;
        emit TallyRecorded(meeting, tally, ballotsRoot, ballotCount);
    }

    /// @notice Whether `voter`'s ballot with EIP-712 digest `digest` is among the counted ballots
    /// of `meeting`'s recorded tally.
    function ballotCounted(bytes32 meeting, address voter, bytes32 digest, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Ballot storage b = _ballot(meeting);
        if (!b.tallied) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(voter, uint256(digest)))));
        return MerkleProof.verifyCalldata(proof, b.ballotsRoot, leaf);
    }

    /// @notice `meeting`'s ballot.
    function ballot(bytes32 meeting) external view returns (Ballot memory) {
        return _ballot(meeting);
    }

    /// @notice Whether `holder` was entitled to vote `shares` (1e-9 units) at `meeting`.
    function entitled(bytes32 meeting, address holder, uint256 shares, bytes32[] calldata proof) external view returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(holder, shares))));
        return MerkleProof.verifyCalldata(proof, _ballot(meeting).root, leaf);
    }

    /// @notice Whether `signature` is `signer`'s over `digest` (an EIP-712 ballot digest in this
    /// contract's domain): ECDSA for an account, ERC-1271 for a contract wallet.
    function isValidSignature(address signer, bytes32 digest, bytes calldata signature) external view returns (bool) {
        return SignatureChecker.isValidSignatureNow(signer, digest, signature);
    }

    /// @notice This contract's EIP-712 domain separator (ballots are signed in it).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _ballot(bytes32 meeting) private view returns (Ballot storage b) {
        b = _ballots[meeting];
        if (b.root == bytes32(0)) revert UnknownBallot(meeting);
    }
}
