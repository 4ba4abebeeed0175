// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Test double: an "identity" contract that answers `getClaim` the way an attacker would,
/// to show that a hostile identity linked to a wallet cannot make the registry's checks revert.
contract HostileIdentity {
    /// @notice 0: revert; 1: malformed answer (offsets past the end); 2: burn all gas;
    /// 3: a short answer; 4: a dirty address word; 5: a 100 kB answer (a "return bomb").
    uint8 public mode;

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    error Hostile();

    // solhint-disable-next-line no-complex-fallback
    fallback(bytes calldata) external returns (bytes memory) {
        uint8 m = mode;
        if (m == 0) revert Hostile();
        if (m == 1) return abi.encode(uint256(1), uint256(1), address(this), uint256(1e30), uint256(1e30), uint256(1e30));
        if (m == 2) {
            while (true) {}
        }
        if (m == 3) return hex"01";
        if (m == 5) return new bytes(100_000);
        return abi.encode(uint256(1), uint256(1), type(uint256).max, uint256(192), uint256(224), uint256(256), uint256(0), uint256(0), uint256(0));
    }
}
