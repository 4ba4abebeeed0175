// SPDX-License-Identifier: MIT
// The ONCHAINID identity and claim-issuer contracts from npm (@onchain-id/solidity 2.2.1), as
// deployable project contracts. They are pinned to solc 0.8.17, so brownie compiles this file
// with that compiler; our own contracts reach them only through contracts/interfaces.
pragma solidity 0.8.17;

import {Identity} from "@onchain-id/solidity/contracts/Identity.sol";
import {ClaimIssuer} from "@onchain-id/solidity/contracts/ClaimIssuer.sol";

/// @title An investor's ONCHAINID identity (not a library: usable directly, without a proxy).
contract InvestorIdentity is Identity {
    constructor(address managementKey) Identity(managementKey, false) {}
}

/// @title A KYC provider's ONCHAINID claim issuer.
contract KycClaimIssuer is ClaimIssuer {
    constructor(address managementKey) ClaimIssuer(managementKey) {}
}
