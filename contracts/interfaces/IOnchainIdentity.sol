// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The subset of ERC-734 (keys) and ERC-735 (claims) that our registry reads from an
/// ONCHAINID identity or claim issuer. Written from the ERC definitions so our contracts can use
/// a current compiler while ONCHAINID itself stays on solc 0.8.17.
interface IOnchainIdentity {
    /// @notice Claim `claimId` (keccak256(abi.encode(issuer, topic))) held by this identity.
    function getClaim(bytes32 claimId)
        external
        view
        returns (
            uint256 topic,
            uint256 scheme,
            address issuer,
            bytes memory signature,
            bytes memory data,
            string memory uri
        );

    /// @notice All purposes the key `key` (keccak256(abi.encode(address))) holds.
    function getKeyPurposes(bytes32 key) external view returns (uint256[] memory purposes);

    /// @notice ERC-734 purpose check. Beware: ONCHAINID answers true for any purpose when the
    /// key is a management key, so our registry does not rely on it for claim keys.
    function keyHasPurpose(bytes32 key, uint256 purpose) external view returns (bool);
}

/// @title The revocation record of an ONCHAINID claim issuer.
interface IOnchainClaimIssuer is IOnchainIdentity {
    /// @notice True when the issuer revoked the claim carrying `signature`.
    function isClaimRevoked(bytes calldata signature) external view returns (bool);
}
