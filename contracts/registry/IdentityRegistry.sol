// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {
    IIdentityRegistry,
    IIdentityRegistryStorage,
    IIdentityStorageListener,
    IVerificationRulesListener,
    IClaimTopicsRegistry,
    ITrustedIssuersRegistry
} from "../interfaces/IIdentityRegistry.sol";
import {IOnchainIdentity, IOnchainClaimIssuer} from "../interfaces/IOnchainIdentity.sol";
import {AgentRoles} from "./AgentRoles.sol";

/// @title ERC-3643 identity registry verifying ONCHAINID claims, with a verification cache.
/// @notice A wallet is verified when its ONCHAINID identity holds, for every required topic, a
/// valid claim from an issuer trusted for that topic. A claim is valid here when:
/// - its data is `abi.encode(uint256 chainId, address registry, address issuer, uint64 expiresAt)`
///   naming this chain, this registry and the claim's own issuer, and `expiresAt` is in the future
///   (claims expire and do not travel; a claim revoked at one issuer cannot be re-filed under
///   another issuer that shares the signing key, since the signed data names the first);
/// - its signature over `keccak256(abi.encode(identity, topic, data))` (eth-signed) is canonical
///   (OpenZeppelin ECDSA: low s, v in {27, 28}), so a revoked claim cannot come back re-encoded;
/// - the signer holds the CLAIM purpose (3) on the issuer; a MANAGEMENT key (1) counts only if the
///   trusted issuers registry allows it for that issuer;
/// - the issuer has not revoked it. Revoke by signature (`revokeClaimBySignature` with the
///   signature the issuer made), never by `revokeClaim(claimId, identity)`: that one asks the
///   investor's identity for the signature, which its owner can remove first or fake.
/// A hostile identity contract (reverting, returning malformed data, burning gas) makes its
/// wallets unverified; it cannot make {verifiedCountry} or the token's pre-checks revert.
/// The ONCHAINID 2.2.1 `isClaimValid` is not used: it accepts malleable signatures, management
/// keys, claims without expiry and claims for any chain.
///
/// Gas: the full check walks topics, issuers and claims. Its result is cached per wallet with the
/// earliest claim expiry, capped at `maxCacheAge`; `isVerified` answers from the cache while it is
/// valid and falls back to the full check otherwise. The storage pushes every identity or country
/// change here, which drops the cache. A revocation at the claim issuer is seen at the next
/// {refreshVerification} (anyone may call it; the issuer service does right after revoking) or
/// when the cache ages out. {isVerifiedLive} always runs the full check. While the storage has
/// not bound this registry (or has unbound it), the cache is not used: the registry would not
/// hear of changes made through other registries.
contract IdentityRegistry is IIdentityRegistry, IIdentityStorageListener, IVerificationRulesListener, AgentRoles {
    /// @notice ONCHAINID key purposes.
    uint256 public constant MANAGEMENT_PURPOSE = 1;
    uint256 public constant CLAIM_PURPOSE = 3;

    /// @dev Cached per wallet, one slot: identity and country mirror the storage (kept in sync by
    /// its notifications); `validUntil` is the verification's expiry (0 = not verified), valid
    /// only while `epoch` equals the registry's rules epoch.
    struct Cached {
        IOnchainIdentity identity;
        uint40 validUntil;
        uint16 country;
        uint40 epoch;
    }

    IIdentityRegistryStorage private _storage;
    IClaimTopicsRegistry private _topics;
    ITrustedIssuersRegistry private _issuers;
    uint64 private _maxCacheAge;
    uint40 private _epoch;
    /// @dev While set, nothing is cached: switching it on or off advances the epoch, and
    /// {_refresh} writes no entry, so no entry of the current epoch exists and every read falls
    /// back to the storage (the hot path reads only the epoch, as before).
    bool private _cacheOff;
    mapping(address wallet => Cached) private _cache;

    /// @notice The cached verification of `wallet` was recomputed.
    event VerificationRefreshed(address indexed wallet, bool verified, uint64 validUntil);
    /// @notice What was cached about `wallet` was dropped (its identity or country changed).
    event VerificationInvalidated(address indexed wallet);
    /// @notice Every cached verification was dropped (the rules or a linked registry changed).
    event VerificationEpochAdvanced(uint40 epoch);
    /// @notice The longest a verification result may be cached.
    event MaxCacheAgeSet(uint64 maxCacheAge);
    /// @notice The cache was switched off (the storage unbound this registry) or on (bound).
    event VerificationCacheEnabled(bool enabled);

    error ZeroAddress();
    /// @notice The current storage still lists this registry: unbind it there first, or its
    /// notifications would reach a registry that no longer reads it.
    error StillBoundToStorage(address identityStorage);
    error NotRulesSource(address caller);
    error ArrayLengthMismatch();

    /// @notice Gas given to an identity contract's `getClaim`: enough for ONCHAINID's, and a
    /// hostile identity that burns it all cannot starve the caller.
    uint256 public constant CLAIM_CALL_GAS = 200_000;
    /// @notice The largest `getClaim` answer read (ONCHAINID's is a few hundred bytes).
    uint256 public constant MAX_CLAIM_ANSWER = 4_096;

    constructor(
        address owner_,
        address identityStorage_,
        address claimTopicsRegistry_,
        address trustedIssuersRegistry_,
        uint64 maxCacheAge_
    ) Ownable(owner_) {
        _setStorage(identityStorage_);
        _setTopics(claimTopicsRegistry_);
        _setIssuers(trustedIssuersRegistry_);
        _maxCacheAge = maxCacheAge_;
        emit MaxCacheAgeSet(maxCacheAge_);
    }

    // ---------------------------------------------------------------- agent writes

    /// @inheritdoc IIdentityRegistry
    function registerIdentity(address userAddress, IOnchainIdentity identity_, uint16 country) external onlyAgent {
        _register(userAddress, identity_, country);
    }

    /// @inheritdoc IIdentityRegistry
    function batchRegisterIdentity(
        address[] calldata userAddresses,
        IOnchainIdentity[] calldata identities,
        uint16[] calldata countries
    ) external onlyAgent {
        if (userAddresses.length != identities.length || identities.length != countries.length) {
            revert ArrayLengthMismatch();
        }
        for (uint256 i; i < userAddresses.length; ++i) {
            _register(userAddresses[i], identities[i], countries[i]);
        }
    }

    /// @inheritdoc IIdentityRegistry
    function updateIdentity(address userAddress, IOnchainIdentity identity_) external onlyAgent {
        IOnchainIdentity old = _storage.storedIdentity(userAddress);
        _storage.modifyStoredIdentity(userAddress, identity_);
        emit IdentityUpdated(old, identity_);
        _refresh(userAddress);
    }

    /// @inheritdoc IIdentityRegistry
    function updateCountry(address userAddress, uint16 country) external onlyAgent {
        _storage.modifyStoredInvestorCountry(userAddress, country);
        emit CountryUpdated(userAddress, country);
        _refresh(userAddress);
    }

    /// @inheritdoc IIdentityRegistry
    function deleteIdentity(address userAddress) external onlyAgent {
        IOnchainIdentity old = _storage.storedIdentity(userAddress);
        _storage.removeIdentityFromStorage(userAddress);
        emit IdentityRemoved(userAddress, old);
    }

    // ---------------------------------------------------------------- cache

    /// @notice Recompute and cache the verification of each wallet. Anyone may call it.
    function refreshVerification(address[] calldata wallets) external {
        for (uint256 i; i < wallets.length; ++i) {
            _refresh(wallets[i]);
        }
    }

    /// @inheritdoc IIdentityStorageListener
    /// @dev Calls from any contract but the current storage are ignored, never reverted: a storage
    /// this registry no longer reads must not fail its own writes because it still lists it.
    function onStoredInvestorChanged(address userAddress) external {
        if (msg.sender != address(_storage)) return;
        delete _cache[userAddress];
        emit VerificationInvalidated(userAddress);
    }

    /// @inheritdoc IIdentityStorageListener
    /// @dev Calls from any contract but the current storage are ignored.
    function onStorageBindingChanged(bool bound) external {
        if (msg.sender != address(_storage)) return;
        _setCacheOff(!bound);
    }

    /// @inheritdoc IVerificationRulesListener
    function onVerificationRulesChanged() external {
        if (msg.sender != address(_topics) && msg.sender != address(_issuers)) revert NotRulesSource(msg.sender);
        _advanceEpoch();
    }

    /// @notice Drop every cached verification at once.
    function invalidateAllVerifications() external onlyOwner {
        _advanceEpoch();
    }

    /// @notice The current rules epoch; cache entries of another epoch are ignored.
    function verificationEpoch() external view returns (uint40) {
        return _epoch;
    }

    /// @notice The cached entry of `wallet` (zero when nothing is cached).
    function cachedVerification(address wallet) external view returns (Cached memory) {
        return _cache[wallet];
    }

    /// @notice Set the longest time a verification result may be cached.
    function setMaxCacheAge(uint64 maxCacheAge_) external onlyOwner {
        _maxCacheAge = maxCacheAge_;
        emit MaxCacheAgeSet(maxCacheAge_);
    }

    /// @notice The longest time a verification result may be cached.
    function maxCacheAge() external view returns (uint64) {
        return _maxCacheAge;
    }

    // ---------------------------------------------------------------- owner configuration

    /// @inheritdoc IIdentityRegistry
    /// @dev Refused while the current storage still lists this registry (migrate in order:
    /// unbind there, point here, bind at the new storage).
    function setIdentityRegistryStorage(address identityRegistryStorage) external onlyOwner {
        if (identityRegistryStorage == address(0)) revert ZeroAddress();
        IIdentityRegistryStorage current = _storage;
        if (current.isIdentityRegistryBound(address(this))) revert StillBoundToStorage(address(current));
        _setStorage(identityRegistryStorage);
    }

    /// @inheritdoc IIdentityRegistry
    function setClaimTopicsRegistry(address claimTopicsRegistry) external onlyOwner {
        _setTopics(claimTopicsRegistry);
    }

    /// @inheritdoc IIdentityRegistry
    function setTrustedIssuersRegistry(address trustedIssuersRegistry) external onlyOwner {
        _setIssuers(trustedIssuersRegistry);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IIdentityRegistry
    /// @dev From the cache while it is valid, else the full check.
    function isVerified(address userAddress) external view returns (bool verified) {
        (verified,) = verifiedCountry(userAddress);
    }

    /// @inheritdoc IIdentityRegistry
    /// @dev From the cache while it is valid (one storage slot and the epoch), else the full check.
    function verifiedCountry(address userAddress) public view returns (bool verified, uint16 country) {
        Cached memory c = _cache[userAddress];
        if (c.validUntil > block.timestamp && c.epoch == _epoch) return (true, c.country);
        (verified,) = _verifyLive(userAddress);
        if (verified) country = _storage.storedInvestorCountry(userAddress);
    }

    /// @notice The full claim check, ignoring the cache.
    function isVerifiedLive(address userAddress) external view returns (bool) {
        (bool ok,) = _verifyLive(userAddress);
        return ok;
    }

    /// @inheritdoc IIdentityRegistry
    function contains(address userAddress) external view returns (bool) {
        return address(identity(userAddress)) != address(0);
    }

    /// @inheritdoc IIdentityRegistry
    function identity(address userAddress) public view returns (IOnchainIdentity) {
        Cached memory c = _cache[userAddress];
        return address(c.identity) != address(0) && c.epoch == _epoch ? c.identity : _storage.storedIdentity(userAddress);
    }

    /// @inheritdoc IIdentityRegistry
    function investorCountry(address userAddress) external view returns (uint16) {
        Cached memory c = _cache[userAddress];
        return address(c.identity) != address(0) && c.epoch == _epoch
            ? c.country
            : _storage.storedInvestorCountry(userAddress);
    }

    /// @inheritdoc IIdentityRegistry
    function identityStorage() external view returns (IIdentityRegistryStorage) {
        return _storage;
    }

    /// @inheritdoc IIdentityRegistry
    function issuersRegistry() external view returns (ITrustedIssuersRegistry) {
        return _issuers;
    }

    /// @inheritdoc IIdentityRegistry
    function topicsRegistry() external view returns (IClaimTopicsRegistry) {
        return _topics;
    }

    /// @notice The expiry of the valid claim of `identity_` for `topic` by `issuer`, or 0 when
    /// there is no such valid claim.
    function claimExpiry(IOnchainIdentity identity_, address issuer, uint256 topic) public view returns (uint64) {
        (bool ok, bytes memory ret) = _getClaim(identity_, keccak256(abi.encode(issuer, topic)));
        if (!ok) return 0;
        (bool wellFormed, uint256 claimTopic, address claimIssuer, bytes memory signature, bytes memory data) =
            _decodeClaim(ret);
        if (!wellFormed || claimIssuer != issuer || claimTopic != topic) return 0;
        uint64 expiresAt = _claimDataExpiry(data, issuer);
        if (expiresAt <= block.timestamp) return 0;
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(keccak256(abi.encode(identity_, topic, data)));
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || !_isClaimKey(issuer, signer)) return 0;
        try IOnchainClaimIssuer(issuer).isClaimRevoked(signature) returns (bool revoked) {
            return revoked ? 0 : expiresAt;
        } catch {
            return 0;
        }
    }

    // ---------------------------------------------------------------- internals

    function _register(address userAddress, IOnchainIdentity identity_, uint16 country) private {
        _storage.addIdentityToStorage(userAddress, identity_, country);
        emit IdentityRegistered(userAddress, identity_);
        _refresh(userAddress);
    }

    function _refresh(address wallet) private {
        (IOnchainIdentity identity_, uint16 country) = _storage.storedInvestor(wallet);
        if (address(identity_) == address(0)) {
            delete _cache[wallet];
            emit VerificationRefreshed(wallet, false, 0);
            return;
        }
        (bool ok, uint64 validUntil) = _verifyClaims(identity_);
        uint64 cap = uint64(block.timestamp) + _maxCacheAge;
        if (!ok) validUntil = 0;
        else if (validUntil > cap) validUntil = cap;
        if (_cacheOff) delete _cache[wallet];
        else _cache[wallet] = Cached(identity_, uint40(validUntil), country, _epoch);
        emit VerificationRefreshed(wallet, ok, validUntil);
    }

    /// @dev Full check of the wallet's stored identity.
    function _verifyLive(address wallet) private view returns (bool ok, uint64 validUntil) {
        return _verifyClaims(_storage.storedIdentity(wallet));
    }

    /// @dev Full claim check; `validUntil` is the earliest expiry among the claims that satisfy it.
    function _verifyClaims(IOnchainIdentity identity_) private view returns (bool ok, uint64 validUntil) {
        if (address(identity_) == address(0)) return (false, 0);
        uint256[] memory topics = _topics.getClaimTopics();
        validUntil = type(uint64).max;
        for (uint256 i; i < topics.length; ++i) {
            address[] memory issuers = _issuers.getTrustedIssuersForClaimTopic(topics[i]);
            uint64 best;
            for (uint256 j; j < issuers.length; ++j) {
                uint64 expiry = claimExpiry(identity_, issuers[j], topics[i]);
                if (expiry > best) best = expiry;
            }
            if (best == 0) return (false, 0);
            if (best < validUntil) validUntil = best;
        }
        return (true, validUntil);
    }

    /// @dev Decode `abi.encode(uint256 chainId, address registry, address issuer, uint64 expiresAt)`
    /// without reverting on malformed data; return 0 unless it names this chain, this registry
    /// and `issuer`.
    function _claimDataExpiry(bytes memory data, address issuer) private view returns (uint64) {
        if (data.length != 128) return 0;
        uint256 chainId;
        uint256 registry;
        uint256 signedIssuer;
        uint256 expiresAt;
        assembly ("memory-safe") {
            chainId := mload(add(data, 32))
            registry := mload(add(data, 64))
            signedIssuer := mload(add(data, 96))
            expiresAt := mload(add(data, 128))
        }
        if (chainId != block.chainid || registry != uint256(uint160(address(this)))) return 0;
        if (signedIssuer != uint256(uint160(issuer))) return 0;
        if (expiresAt > type(uint64).max) return 0;
        return uint64(expiresAt);
    }

    function _isClaimKey(address issuer, address signer) private view returns (bool) {
        try IOnchainIdentity(issuer).getKeyPurposes(keccak256(abi.encode(signer))) returns (uint256[] memory purposes) {
            bool managementMaySign;
            for (uint256 i; i < purposes.length; ++i) {
                if (purposes[i] == CLAIM_PURPOSE) return true;
                if (purposes[i] == MANAGEMENT_PURPOSE && !managementMaySign) {
                    managementMaySign = _issuers.managementKeyMaySign(issuer);
                    if (managementMaySign) return true;
                }
            }
            return false;
        } catch {
            return false;
        }
    }

    /// @dev `identity_.getClaim(claimId)` with at most {CLAIM_CALL_GAS} gas, copying its answer
    /// only when it is at most {MAX_CLAIM_ANSWER} bytes: a hostile identity can neither starve the
    /// caller of gas nor make it pay for a huge answer's memory (a "return bomb").
    function _getClaim(IOnchainIdentity identity_, bytes32 claimId) private view returns (bool ok, bytes memory ret) {
        bytes memory request = abi.encodeCall(IOnchainIdentity.getClaim, (claimId));
        uint256 size;
        assembly ("memory-safe") {
            ok := staticcall(CLAIM_CALL_GAS, identity_, add(request, 32), mload(request), 0, 0)
            size := returndatasize()
        }
        if (!ok || size > MAX_CLAIM_ANSWER) return (false, ret);
        ret = new bytes(size);
        assembly ("memory-safe") {
            returndatacopy(add(ret, 32), 0, size)
        }
    }

    /// @dev Decode ONCHAINID's `getClaim` answer `(uint256 topic, uint256 scheme, address issuer,
    /// bytes signature, bytes data, string uri)` without reverting on malformed data: every
    /// offset and length is checked against the answer's size before `abi.decode` reads it.
    function _decodeClaim(bytes memory ret)
        private
        pure
        returns (bool ok, uint256 topic, address issuer, bytes memory signature, bytes memory data)
    {
        uint256 size = ret.length;
        if (size < 192) return (false, 0, address(0), signature, data);
        uint256 issuerWord;
        uint256 sigOffset;
        uint256 dataOffset;
        uint256 uriOffset;
        assembly ("memory-safe") {
            topic := mload(add(ret, 32))
            issuerWord := mload(add(ret, 96))
            sigOffset := mload(add(ret, 128))
            dataOffset := mload(add(ret, 160))
            uriOffset := mload(add(ret, 192))
        }
        if (issuerWord >> 160 != 0) return (false, 0, address(0), signature, data);
        if (!_fits(ret, sigOffset) || !_fits(ret, dataOffset) || !_fits(ret, uriOffset)) {
            return (false, 0, address(0), signature, data);
        }
        (,,, signature, data,) = abi.decode(ret, (uint256, uint256, address, bytes, bytes, string));
        return (true, topic, address(uint160(issuerWord)), signature, data);
    }

    /// @dev Whether a dynamic value at `offset` (its length word, then its bytes) lies in `ret`.
    function _fits(bytes memory ret, uint256 offset) private pure returns (bool) {
        uint256 size = ret.length;
        if (offset > size || size - offset < 32) return false;
        uint256 len;
        assembly ("memory-safe") {
            len := mload(add(add(ret, 32), offset))
        }
        return len <= size - offset - 32;
    }

    function _setCacheOff(bool off) private {
        _cacheOff = off;
        _advanceEpoch();
        emit VerificationCacheEnabled(!off);
    }

    function _advanceEpoch() private {
        uint40 epoch = _epoch + 1;
        _epoch = epoch;
        emit VerificationEpochAdvanced(epoch);
    }

    function _setStorage(address s) private {
        if (s == address(0)) revert ZeroAddress();
        _storage = IIdentityRegistryStorage(s);
        emit IdentityStorageSet(s);
        _setCacheOff(!IIdentityRegistryStorage(s).isIdentityRegistryBound(address(this)));
    }

    function _setTopics(address t) private {
        if (t == address(0)) revert ZeroAddress();
        _topics = IClaimTopicsRegistry(t);
        emit ClaimTopicsRegistrySet(t);
        _advanceEpoch();
    }

    function _setIssuers(address i) private {
        if (i == address(0)) revert ZeroAddress();
        _issuers = ITrustedIssuersRegistry(i);
        emit TrustedIssuersRegistrySet(i);
        _advanceEpoch();
    }
}
