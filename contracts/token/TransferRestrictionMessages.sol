// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Readable texts of {StockToken.detectTransferRestriction} codes (ERC-1404 style).
/// @notice A lens deployed once beside the tokens: the texts are constant, so they need not take
/// room in every token's code, which EIP-170 caps at 24,576 bytes.
contract TransferRestrictionMessages {
    /// @notice A readable text for a code of `detectTransferRestriction`.
    function messageForTransferRestriction(uint8 code) external pure returns (string memory) {
        if (code == 0) return "Transfer allowed";
        if (code == 1) return "Token is paused";
        if (code == 2) return "Sender wallet is frozen";
        if (code == 3) return "Receiver wallet is frozen";
        if (code == 4) return "Amount exceeds the sender's unfrozen balance";
        if (code == 5) return "Receiver is not a verified investor";
        if (code == 6) return "A compliance rule refuses this transfer";
        return "Unknown restriction code";
    }
}
