// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceModule} from "../../interfaces/ICompliance.sol";
import {ComplianceModuleBase} from "./ComplianceModuleBase.sol";

/// @title A per-compliance list of ISO 3166-1 numeric country codes checked against the receiver.
/// @dev {CountryAllowModule} passes listed countries only; {CountryBlockModule} refuses them.
abstract contract CountryListModule is ComplianceModuleBase {
    mapping(address compliance => mapping(uint16 country => bool)) private _listed;

    event CountryListed(address indexed compliance, uint16 indexed country);
    event CountryUnlisted(address indexed compliance, uint16 indexed country);

    error CountryRestricted(address receiver, uint16 country);

    /// @notice Put `countries` on the list of `compliance`.
    function listCountries(address compliance, uint16[] calldata countries) external onlyComplianceOwner(compliance) {
        for (uint256 i; i < countries.length; ++i) {
            _listed[compliance][countries[i]] = true;
            emit CountryListed(compliance, countries[i]);
        }
    }

    /// @notice Take `countries` off the list of `compliance`.
    function unlistCountries(address compliance, uint16[] calldata countries) external onlyComplianceOwner(compliance) {
        for (uint256 i; i < countries.length; ++i) {
            delete _listed[compliance][countries[i]];
            emit CountryUnlisted(compliance, countries[i]);
        }
    }

    /// @notice Whether `country` is on the list of `compliance`.
    function isCountryListed(address compliance, uint16 country) external view returns (bool) {
        return _listed[compliance][country];
    }

    /// @inheritdoc IComplianceModule
    function moduleCheck(address, address to, uint256, uint16 toCountry) external view returns (bool) {
        return to == address(0) || _passes(_listed[msg.sender][toCountry]);
    }

    /// @inheritdoc IComplianceModule
    /// @dev One storage read: the list entry of the country the compliance passes.
    function moduleUpdate(address, address to, uint256, uint16 toCountry, bool enforce) external {
        if (!enforce || to == address(0)) return;
        if (!_passes(_listed[msg.sender][toCountry])) revert CountryRestricted(to, toCountry);
    }

    /// @dev Whether a receiver whose country is (or is not) listed passes.
    function _passes(bool listed) internal pure virtual returns (bool);
}

/// @title Compliance module: receivers must live in an allowed country.
contract CountryAllowModule is CountryListModule {
    /// @inheritdoc IComplianceModule
    function name() external pure returns (string memory) {
        return "CountryAllowModule";
    }

    function _passes(bool listed) internal pure override returns (bool) {
        return listed;
    }
}

/// @title Compliance module: receivers must not live in a blocked country.
contract CountryBlockModule is CountryListModule {
    /// @inheritdoc IComplianceModule
    function name() external pure returns (string memory) {
        return "CountryBlockModule";
    }

    function _passes(bool listed) internal pure override returns (bool) {
        return !listed;
    }
}
