// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IERC3643, IERC3643AgentRole} from "../interfaces/IERC3643.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IModularCompliance} from "../interfaces/ICompliance.sol";
import {IScaledUIAmount, IScaledUIAmountNewUIMultiplier} from "../interfaces/IScaledUIAmount.sol";
import {IMultiplierSchedule} from "../interfaces/IMultiplierSchedule.sol";
import {IStockTokenErrors} from "../interfaces/IStockTokenErrors.sol";
import {RecoveryLogic} from "./RecoveryLogic.sol";
import {MultiplierSchedule} from "./MultiplierSchedule.sol";
import {ReserveGuard} from "./ReserveGuard.sol";

/// @title A tokenized US share: ERC-3643 permissioned token + ERC-8056 multiplier + reserve guard.
/// @notice Balances, supply, transfers, allowances, permits, mints, burns and freezes are in raw
/// units (18 decimals, never rebasing); `shares = raw * uiMultiplier / 1e18`.
///
/// Roles (no single hot key can do everything):
/// - owner (two-step transfer; meant to be a multisig): configuration, identity registry,
///   compliance, and the only account that grants or revokes roles;
/// - `SUPPLY_AGENT_ROLE`: mint and burn; `COMPLIANCE_AGENT_ROLE`: pause, freezes, forced
///   transfers; `RECOVERY_AGENT_ROLE`: lost-wallet recovery (these three make the ERC-3643 agent);
/// - `CORPORATE_ACTION_ROLE`: multiplier schedule. Custody is attested on the token's reserve
///   feed ({ReserveFeed}, its own attestor role), which the reserve guard reads.
///
/// Differences from the T-REX reference, each deliberate:
/// - recovery requires the new wallet to be registered to the *same* identity as the lost one;
/// - `forcedTransfer` respects compliance; only `forcedTransferWithOverride` skips it, with an event;
/// - `transferFrom` refuses a frozen spender;
/// - compliance checks and records in one call (`transferred`/`created`), so a transfer pays for one
///   compliance round trip instead of two, and receives the receiver's country, read from the
///   identity registry with the receiver's verification, so modules need not look it up again;
/// - a wallet's balance, partially frozen tokens and frozen flag share one storage slot, so a
///   transfer reads each party's state once. Raw supply is therefore capped at 2^128 - 1 and a
///   wallet's frozen tokens at 2^120 - 1.
contract StockToken is
    IStockTokenErrors,
    IERC3643,
    IERC3643AgentRole,
    ERC20Permit,
    AccessControl,
    Ownable2Step,
    MultiplierSchedule,
    ReserveGuard
{
    bytes32 public constant SUPPLY_AGENT_ROLE = keccak256("SUPPLY_AGENT_ROLE");
    bytes32 public constant COMPLIANCE_AGENT_ROLE = keccak256("COMPLIANCE_AGENT_ROLE");
    bytes32 public constant RECOVERY_AGENT_ROLE = keccak256("RECOVERY_AGENT_ROLE");
    bytes32 public constant CORPORATE_ACTION_ROLE = keccak256("CORPORATE_ACTION_ROLE");

    /// @notice Reason codes of {detectTransferRestriction} (ERC-1404 style).
    uint8 public constant TRANSFER_OK = 0;
    uint8 public constant TRANSFER_PAUSED = 1;
    uint8 public constant SENDER_FROZEN = 2;
    uint8 public constant RECEIVER_FROZEN = 3;
    uint8 public constant INSUFFICIENT_UNFROZEN_BALANCE = 4;
    uint8 public constant RECEIVER_NOT_VERIFIED = 5;
    uint8 public constant COMPLIANCE_REFUSED = 6;

    string private constant TOKEN_VERSION = "1.0.0";

    /// @dev One wallet, one slot: raw balance and freeze state. Balances live here instead of
    /// OpenZeppelin ERC20's own mapping ({balanceOf}, {totalSupply} and {_update} are overridden).
    struct Account {
        uint128 balance;
        uint120 frozenTokens;
        bool frozen;
    }

    /// @notice Token construction parameters.
    struct TokenConfig {
        string name;
        string symbol;
        address onchainID;
        address identityRegistry;
        address compliance;
        address owner;
        IMultiplierSchedule.MultiplierBounds bounds;
        ReserveGuard.ReservePolicy reservePolicy;
        /// the proof-of-reserve feed mints are checked against (zero: none yet, nothing mints)
        address reserveFeed;
    }

    string private _tokenName;
    string private _tokenSymbol;
    address private _onchainID;
    // read together on every transfer: kept in one slot
    IIdentityRegistry private _identityRegistry;
    bool private _paused;
    IModularCompliance private _compliance;
    mapping(address wallet => Account) private _accounts;
    uint128 private _supply;

    /// @notice A forced transfer skipped compliance because the agent asked for it.
    event ComplianceOverridden(address indexed agent, address indexed from, address indexed to, uint256 amount, bytes32 reason);

    constructor(TokenConfig memory config)
        ERC20(config.name, config.symbol)
        ERC20Permit(config.name)
        Ownable(config.owner)
        MultiplierSchedule(config.bounds)
        ReserveGuard(config.reservePolicy, config.reserveFeed)
    {
        _tokenName = config.name;
        _tokenSymbol = config.symbol;
        _onchainID = config.onchainID;
        _setIdentityRegistry(config.identityRegistry);
        _setCompliance(config.compliance);
        _emitTokenInformation();
    }

    // ================================================================ ERC-20 with ERC-3643 checks

    /// @notice Transfer `amount` raw units to a verified wallet, if compliant.
    function transfer(address to, uint256 amount) public override(ERC20, IERC20) returns (bool) {
        _transferChecked(msg.sender, to, amount);
        return true;
    }

    /// @notice Transfer on behalf of `from`; the spender must not be frozen either.
    function transferFrom(address from, address to, uint256 amount) public override(ERC20, IERC20) returns (bool) {
        if (_accounts[msg.sender].frozen) revert SpenderFrozen(msg.sender);
        _spendAllowance(from, msg.sender, amount);
        _transferChecked(from, to, amount);
        return true;
    }

    /// @notice Transfer to several wallets; all or nothing.
    function batchTransfer(address[] calldata toList, uint256[] calldata amounts) external {
        _forEach(toList, amounts, _transferFromSender);
    }

    /// @notice The token name (owner can change it; the permit domain keeps the original name).
    function name() public view override returns (string memory) {
        return _tokenName;
    }

    /// @notice The token symbol.
    function symbol() public view override returns (string memory) {
        return _tokenSymbol;
    }

    /// @notice Raw balance of `account`.
    function balanceOf(address account) public view override(ERC20, IERC20) returns (uint256) {
        return _accounts[account].balance;
    }

    /// @notice Raw total supply.
    function totalSupply() public view override(ERC20, IERC20) returns (uint256) {
        return _supply;
    }

    // ================================================================ transfer pre-check

    /// @notice Why a transfer would be refused, as a code (0 = it would pass). Never reverts.
    /// `TransferRestrictionMessages.messageForTransferRestriction` gives the text of a code.
    function detectTransferRestriction(address from, address to, uint256 amount) public view returns (uint8) {
        if (paused()) return TRANSFER_PAUSED;
        if (_accounts[from].frozen) return SENDER_FROZEN;
        if (_accounts[to].frozen) return RECEIVER_FROZEN;
        if (amount > _unfrozen(_accounts[from])) return INSUFFICIENT_UNFROZEN_BALANCE;
        if (!_identityRegistry.isVerified(to)) return RECEIVER_NOT_VERIFIED;
        if (!_compliance.canTransfer(from, to, amount)) return COMPLIANCE_REFUSED;
        return TRANSFER_OK;
    }

    /// @notice Whether a transfer would pass (ERC-7943 style).
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        return detectTransferRestriction(from, to, amount) == TRANSFER_OK;
    }

    // ================================================================ supply

    /// @inheritdoc IERC3643
    function mint(address to, uint256 amount) external onlyRole(SUPPLY_AGENT_ROLE) {
        _mintChecked(to, amount);
        _enforceReserve(totalSupply(), _mintMultiplier(), _splitGate());
    }

    /// @inheritdoc IERC3643
    /// @dev The reserve is checked once, after all mints.
    function batchMint(address[] calldata toList, uint256[] calldata amounts) external onlyRole(SUPPLY_AGENT_ROLE) {
        _forEach(toList, amounts, _mintChecked);
        _enforceReserve(totalSupply(), _mintMultiplier(), _splitGate());
    }

    /// @inheritdoc IERC3643
    /// @dev Burning from a frozen wallet, or more than its unfrozen balance, needs the compliance
    /// role as well: otherwise the supply key alone could move a frozen holder's tokens (burn
    /// here, mint the same amount elsewhere, supply unchanged).
    function burn(address userAddress, uint256 amount) external onlyRole(SUPPLY_AGENT_ROLE) {
        _burnChecked(userAddress, amount);
    }

    /// @inheritdoc IERC3643
    function batchBurn(address[] calldata userAddresses, uint256[] calldata amounts) external onlyRole(SUPPLY_AGENT_ROLE) {
        _forEach(userAddresses, amounts, _burnChecked);
    }

    // ================================================================ compliance agent

    /// @inheritdoc IERC3643
    function pause() external onlyRole(COMPLIANCE_AGENT_ROLE) {
        _requireNotPaused();
        _paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IERC3643
    function unpause() external onlyRole(COMPLIANCE_AGENT_ROLE) {
        if (!_paused) revert ExpectedPause();
        _paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IERC3643
    function paused() public view returns (bool) {
        return _paused;
    }

    /// @inheritdoc IERC3643
    function setAddressFrozen(address userAddress, bool freeze) external onlyRole(COMPLIANCE_AGENT_ROLE) {
        _setAddressFrozen(userAddress, freeze);
    }

    /// @inheritdoc IERC3643
    function batchSetAddressFrozen(address[] calldata userAddresses, bool[] calldata freeze)
        external
        onlyRole(COMPLIANCE_AGENT_ROLE)
    {
        if (userAddresses.length != freeze.length) revert ArrayLengthMismatch();
        for (uint256 i; i < userAddresses.length; ++i) {
            _setAddressFrozen(userAddresses[i], freeze[i]);
        }
    }

    /// @inheritdoc IERC3643
    function freezePartialTokens(address userAddress, uint256 amount) external onlyRole(COMPLIANCE_AGENT_ROLE) {
        _freezePartial(userAddress, amount);
    }

    /// @inheritdoc IERC3643
    function batchFreezePartialTokens(address[] calldata userAddresses, uint256[] calldata amounts)
        external
        onlyRole(COMPLIANCE_AGENT_ROLE)
    {
        _forEach(userAddresses, amounts, _freezePartial);
    }

    /// @inheritdoc IERC3643
    function unfreezePartialTokens(address userAddress, uint256 amount) external onlyRole(COMPLIANCE_AGENT_ROLE) {
        _unfreezePartial(userAddress, amount);
    }

    /// @inheritdoc IERC3643
    function batchUnfreezePartialTokens(address[] calldata userAddresses, uint256[] calldata amounts)
        external
        onlyRole(COMPLIANCE_AGENT_ROLE)
    {
        _forEach(userAddresses, amounts, _unfreezePartial);
    }

    /// @inheritdoc IERC3643
    /// @dev Works while paused or frozen, unfreezes partial tokens as needed, but the receiver
    /// must be verified and compliance must accept the transfer.
    function forcedTransfer(address from, address to, uint256 amount)
        external
        onlyRole(COMPLIANCE_AGENT_ROLE)
        returns (bool)
    {
        _forcedTransfer(from, to, amount, false);
        return true;
    }

    /// @inheritdoc IERC3643
    function batchForcedTransfer(address[] calldata fromList, address[] calldata toList, uint256[] calldata amounts)
        external
        onlyRole(COMPLIANCE_AGENT_ROLE)
    {
        if (fromList.length != toList.length || toList.length != amounts.length) revert ArrayLengthMismatch();
        for (uint256 i; i < fromList.length; ++i) {
            _forcedTransfer(fromList[i], toList[i], amounts[i], false);
        }
    }

    /// @notice A forced transfer that skips the compliance check (state is still recorded), for
    /// court orders and the like. Emits {ComplianceOverridden} with the agent's reason.
    function forcedTransferWithOverride(address from, address to, uint256 amount, bytes32 reason)
        external
        onlyRole(COMPLIANCE_AGENT_ROLE)
        returns (bool)
    {
        _forcedTransfer(from, to, amount, true);
        emit ComplianceOverridden(msg.sender, from, to, amount, reason);
        return true;
    }

    // ================================================================ recovery

    /// @inheritdoc IERC3643
    /// @dev Both wallets must be registered to `investorOnchainID` in the identity registry, so a
    /// lost wallet's tokens can never land in another investor's identity. Balance, frozen
    /// tokens and the frozen flag move to the new wallet, and the compliance modules run as for
    /// any transfer (a new wallet in a blocked country is refused). The lost wallet is then
    /// frozen, and deregistered from the identity registry once it holds none of the tokens the
    /// registry's storage guards (the token must be an agent of the registry for that).
    function recoveryAddress(address lostWallet, address newWallet, address investorOnchainID)
        external
        onlyRole(RECOVERY_AGENT_ROLE)
        returns (bool)
    {
        uint256 balance = balanceOf(lostWallet);
        if (balance == 0) revert NothingToRecover(lostWallet);
        IIdentityRegistry registry = _identityRegistry;
        uint16 country = RecoveryLogic.check(registry, lostWallet, newWallet, investorOnchainID);

        Account memory lost = _accounts[lostWallet];
        if (lost.frozenTokens > 0) {
            delete _accounts[lostWallet].frozenTokens;
            emit TokensUnfrozen(lostWallet, lost.frozenTokens);
            _accounts[newWallet].frozenTokens += lost.frozenTokens;
            emit TokensFrozen(newWallet, lost.frozenTokens);
        }
        if (lost.frozen && !_accounts[newWallet].frozen) _setAddressFrozen(newWallet, true);

        if (!lost.frozen) _setAddressFrozen(lostWallet, true);
        _transfer(lostWallet, newWallet, balance);
        _compliance.transferred(lostWallet, newWallet, balance, country);
        RecoveryLogic.retire(registry, lostWallet);
        emit RecoverySuccess(lostWallet, newWallet, investorOnchainID);
        return true;
    }

    // ================================================================ agents

    /// @inheritdoc IERC3643AgentRole
    /// @dev An ERC-3643 agent gets the supply, compliance and recovery roles; the multiplier and
    /// reserve roles are granted separately with {grantRole}.
    function addAgent(address agent) external onlyOwner {
        if (agent == address(0)) revert ZeroAddress();
        bool wasAgent = isAgent(agent);
        _grantRole(SUPPLY_AGENT_ROLE, agent);
        _grantRole(COMPLIANCE_AGENT_ROLE, agent);
        _grantRole(RECOVERY_AGENT_ROLE, agent);
        if (!wasAgent) emit AgentAdded(agent);
    }

    /// @inheritdoc IERC3643AgentRole
    function removeAgent(address agent) external onlyOwner {
        if (!isAgent(agent)) revert NotAnAgent(agent);
        _revokeRole(SUPPLY_AGENT_ROLE, agent);
        _revokeRole(COMPLIANCE_AGENT_ROLE, agent);
        _revokeRole(RECOVERY_AGENT_ROLE, agent);
        emit AgentRemoved(agent);
    }

    /// @inheritdoc IERC3643AgentRole
    function isAgent(address agent) public view returns (bool) {
        return hasRole(SUPPLY_AGENT_ROLE, agent) || hasRole(COMPLIANCE_AGENT_ROLE, agent)
            || hasRole(RECOVERY_AGENT_ROLE, agent);
    }

    /// @notice Grant `role` to `account`; only the owner manages roles. Emits `AgentAdded`
    /// when `account` becomes an ERC-3643 agent through it.
    function grantRole(bytes32 role, address account) public override onlyOwner {
        bool wasAgent = isAgent(account);
        _grantRole(role, account);
        if (!wasAgent && isAgent(account)) emit AgentAdded(account);
    }

    /// @notice Revoke `role` from `account`; only the owner manages roles. Emits
    /// `AgentRemoved` when `account` stops being an ERC-3643 agent through it.
    function revokeRole(bytes32 role, address account) public override onlyOwner {
        _revokeAgentRole(role, account);
    }

    /// @notice Renounce `role`; emits `AgentRemoved` when the caller stops being an agent.
    function renounceRole(bytes32 role, address callerConfirmation) public override {
        if (callerConfirmation != msg.sender) revert AccessControlBadConfirmation();
        _revokeAgentRole(role, msg.sender);
    }

    // ================================================================ owner configuration

    /// @inheritdoc IERC3643
    function setName(string calldata newName) external onlyOwner {
        _tokenName = newName;
        _emitTokenInformation();
    }

    /// @inheritdoc IERC3643
    function setSymbol(string calldata newSymbol) external onlyOwner {
        _tokenSymbol = newSymbol;
        _emitTokenInformation();
    }

    /// @inheritdoc IERC3643
    function setOnchainID(address newOnchainID) external onlyOwner {
        _onchainID = newOnchainID;
        _emitTokenInformation();
    }

    /// @inheritdoc IERC3643
    function setIdentityRegistry(address newRegistry) external onlyOwner {
        _setIdentityRegistry(newRegistry);
    }

    /// @inheritdoc IERC3643
    /// @dev The new compliance's owner must have bound it to this token first
    /// (`bindToken(token)`): only a compliance's owner binds it.
    function setCompliance(address newCompliance) external onlyOwner {
        if (newCompliance == address(0) || IModularCompliance(newCompliance).getTokenBound() != address(this)) {
            revert ComplianceNotBound(newCompliance);
        }
        IModularCompliance old = _compliance;
        _setCompliance(newCompliance);
        old.unbindToken(address(this));
    }

    // ================================================================ views

    /// @inheritdoc IERC3643
    function onchainID() external view returns (address) {
        return _onchainID;
    }

    /// @inheritdoc IERC3643
    function version() external pure returns (string memory) {
        return TOKEN_VERSION;
    }

    /// @inheritdoc IERC3643
    function identityRegistry() external view returns (IIdentityRegistry) {
        return _identityRegistry;
    }

    /// @inheritdoc IERC3643
    function compliance() external view returns (IModularCompliance) {
        return _compliance;
    }

    /// @inheritdoc IERC3643
    function isFrozen(address userAddress) external view returns (bool) {
        return _accounts[userAddress].frozen;
    }

    /// @inheritdoc IERC3643
    function getFrozenTokens(address userAddress) external view returns (uint256) {
        return _accounts[userAddress].frozenTokens;
    }

    /// @inheritdoc IScaledUIAmount
    function balanceOfUI(address account) external view returns (uint256) {
        return toUIAmount(balanceOf(account));
    }

    /// @notice Economic (UI) total supply.
    function totalSupplyUI() external view returns (uint256) {
        return toUIAmount(totalSupply());
    }

    /// @notice ERC-165: ERC-20, ERC-3643, ERC-8056 (both parts), access control.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC20).interfaceId || interfaceId == type(IERC3643).interfaceId
            || interfaceId == type(IScaledUIAmount).interfaceId
            || interfaceId == type(IScaledUIAmountNewUIMultiplier).interfaceId
            || interfaceId == ERC8056_DRAFT_INTERFACE_ID || super.supportsInterface(interfaceId);
    }

    /// @notice The identifier the ERC-8056 draft's integrators probe (the `uiMultiplier()` selector).
    bytes4 public constant ERC8056_DRAFT_INTERFACE_ID = 0xa60bf13d;

    // ================================================================ internals

    function _emitTokenInformation() private {
        emit UpdatedTokenInformation(_tokenName, _tokenSymbol, 18, TOKEN_VERSION, _onchainID);
    }

    /// @dev `fn(wallets[i], amounts[i])` for each i: the one loop of the batch functions.
    function _forEach(
        address[] calldata wallets,
        uint256[] calldata amounts,
        function(address, uint256) internal fn
    ) private {
        if (wallets.length != amounts.length) revert ArrayLengthMismatch();
        for (uint256 i; i < wallets.length; ++i) {
            fn(wallets[i], amounts[i]);
        }
    }

    function _transferFromSender(address to, uint256 amount) private {
        _transferChecked(msg.sender, to, amount);
    }

    function _requireNotPaused() private view {
        if (_paused) revert EnforcedPause();
    }

    function _transferChecked(address from, address to, uint256 amount) private {
        _requireNotPaused();
        Account memory sender = _accounts[from];
        if (sender.frozen) revert WalletFrozen(from);
        if (_accounts[to].frozen) revert WalletFrozen(to);
        uint256 available = _unfrozen(sender);
        if (amount > available) revert InsufficientUnfrozenBalance(from, available, amount);
        uint16 country = _verifiedCountry(to);
        _transfer(from, to, amount);
        _compliance.transferred(from, to, amount, country);
    }

    function _forcedTransfer(address from, address to, uint256 amount, bool overrideCompliance) private {
        _releaseFrozenFor(from, amount);
        uint16 country = _verifiedCountry(to);
        _transfer(from, to, amount);
        if (overrideCompliance) {
            _compliance.transferredWithOverride(from, to, amount, country);
        } else {
            _compliance.transferred(from, to, amount, country);
        }
    }

    function _mintChecked(address to, uint256 amount) private {
        uint16 country = _verifiedCountry(to);
        _mint(to, amount);
        _compliance.created(to, amount, country);
    }

    /// @dev The receiver's country; reverts unless the identity registry verifies `wallet`.
    function _verifiedCountry(address wallet) private view returns (uint16 country) {
        bool verified;
        (verified, country) = _identityRegistry.verifiedCountry(wallet);
        if (!verified) revert ReceiverNotVerified(wallet);
    }

    function _burnChecked(address from, uint256 amount) private {
        Account memory account = _accounts[from];
        if ((account.frozen || amount > _unfrozen(account)) && !hasRole(COMPLIANCE_AGENT_ROLE, msg.sender)) {
            revert FrozenBurnNeedsComplianceAgent(from);
        }
        _releaseFrozenFor(from, amount);
        _burn(from, amount);
        _compliance.destroyed(from, amount);
    }

    /// @dev Unfreeze just enough partial tokens of `wallet` for an agent to move `amount`.
    function _releaseFrozenFor(address wallet, uint256 amount) private {
        uint256 balance = balanceOf(wallet);
        if (amount > balance) revert ERC20InsufficientBalance(wallet, balance, amount);
        uint256 free = balance - _accounts[wallet].frozenTokens;
        if (amount > free) {
            uint256 release = amount - free;
            _accounts[wallet].frozenTokens -= uint120(release);
            emit TokensUnfrozen(wallet, release);
        }
    }

    /// @dev OpenZeppelin's `_update` (same checks, errors and event) on the packed {Account}; a
    /// mint beyond 2^128 - 1 raw reverts with SafeCast's error.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0)) {
            _supply = SafeCast.toUint128(_supply + value);
        } else {
            uint256 fromBalance = _accounts[from].balance;
            if (fromBalance < value) revert ERC20InsufficientBalance(from, fromBalance, value);
            unchecked {
                _accounts[from].balance = uint128(fromBalance - value);
            }
        }
        unchecked {
            // value <= balance or value <= supply, both below 2^128
            if (to == address(0)) {
                _supply -= uint128(value);
            } else {
                _accounts[to].balance += uint128(value);
            }
        }
        emit Transfer(from, to, value);
    }

    /// @dev What `account` may move: its balance less its partially frozen tokens.
    function _unfrozen(Account memory account) private pure returns (uint256) {
        return account.balance > account.frozenTokens ? account.balance - account.frozenTokens : 0;
    }

    function _setAddressFrozen(address wallet, bool freeze) private {
        _accounts[wallet].frozen = freeze;
        emit AddressFrozen(wallet, freeze, msg.sender);
    }

    function _freezePartial(address wallet, uint256 amount) private {
        uint256 balance = balanceOf(wallet);
        uint256 frozen = _accounts[wallet].frozenTokens;
        if (frozen + amount > balance) revert FreezeExceedsBalance(wallet, balance, frozen + amount);
        _accounts[wallet].frozenTokens = SafeCast.toUint120(frozen + amount);
        emit TokensFrozen(wallet, amount);
    }

    function _unfreezePartial(address wallet, uint256 amount) private {
        uint256 frozen = _accounts[wallet].frozenTokens;
        if (amount > frozen) revert UnfreezeExceedsFrozen(wallet, frozen, amount);
        _accounts[wallet].frozenTokens = uint120(frozen - amount);
        emit TokensUnfrozen(wallet, amount);
    }

    function _setIdentityRegistry(address registry) private {
        if (registry == address(0)) revert ZeroAddress();
        _identityRegistry = IIdentityRegistry(registry);
        emit IdentityRegistryAdded(registry);
    }

    /// @dev The compliance's owner binds it to this token (the factory does so in the listing
    /// transaction); until then every movement reverts in the compliance's `onlyToken` check.
    function _setCompliance(address newCompliance) private {
        if (newCompliance == address(0)) revert ZeroAddress();
        _compliance = IModularCompliance(newCompliance);
        emit ComplianceAdded(newCompliance);
    }

    /// @dev Mints are checked at the larger of the current and the pending multiplier, so the
    /// reserve still holds when a scheduled increase takes effect.
    function _mintMultiplier() private view returns (uint256) {
        uint256 current = uiMultiplier();
        uint256 next = newUIMultiplier();
        return next > current ? next : current;
    }

    function _authorizeMultiplierChange() internal view override {
        _checkRole(CORPORATE_ACTION_ROLE);
    }

    /// @dev Revoke `role`; emit `AgentRemoved` when `account` stops being an agent by it.
    function _revokeAgentRole(bytes32 role, address account) private {
        bool wasAgent = isAgent(account);
        _revokeRole(role, account);
        if (wasAgent && !isAgent(account)) emit AgentRemoved(account);
    }

    function _authorizeMultiplierCancel() internal view override {
        if (msg.sender != owner()) _checkRole(CORPORATE_ACTION_ROLE);
    }

    function _authorizeConfiguration() internal view override(MultiplierSchedule, ReserveGuard) {
        _checkOwner();
    }

    function _coverage() internal view override returns (Coverage memory) {
        (uint256 settled, bool fresh, uint64 asOf) = _feedCoverage();
        return Coverage(totalSupply(), settled, fresh, asOf);
    }
}
