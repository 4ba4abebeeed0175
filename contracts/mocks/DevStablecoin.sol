// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title A 6-decimal dollar stablecoin for the devnet: the stand-in for the issuer's USDC
/// on-ramp (the owner mints against dollars taken out of the broker account).
contract DevStablecoin is ERC20, Ownable {
    constructor(address owner_) ERC20("Devnet USD", "dUSD") Ownable(owner_) {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mint `amount` to `to` (the on-ramp delivering dollars as tokens).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
