"""Hypothesis stateful test of the token's invariants (DESIGN.md section 6).

Random transfers, mints, burns, freezes, partial freezes, forced transfers and multiplier changes
between three verified holders and one unverified wallet. After every step: the sum of balances is
the total supply, frozen tokens never exceed a balance, only verified wallets hold tokens; after
every successful mint the economic supply (at the larger of the current and pending multiplier)
fits the attested custody.

Brownie's own ``state_machine`` helper cannot be subclassed in 1.22 (its classes are compiled), so
this drives Hypothesis directly and reverts the chain after each example.
"""

from brownie import accounts, chain
from brownie.exceptions import VirtualMachineError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from deploy.suite import ONE

CAPACITY = 500 * ONE
amounts = st.integers(min_value=0, max_value=60 * ONE)
holders = st.integers(min_value=0, max_value=3)  # index 3 is the unverified wallet


def build_machine(token, roles, wallets):
    class TokenInvariants(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            chain.snapshot()

        def teardown(self):
            chain.revert()

        def _try(self, fn, *args) -> bool:
            try:
                fn(*args)
                return True
            except VirtualMachineError:
                return False  # a refusal is a valid outcome; the invariants must still hold

        @rule(src=holders, dst=holders, amount=amounts)
        def transfer(self, src, dst, amount):
            self._try(token.transfer, wallets[dst], amount, {"from": wallets[src]})

        @rule(dst=holders, amount=amounts)
        def mint(self, dst, amount):
            if self._try(token.mint, wallets[dst], amount, {"from": roles.agent}):
                multiplier = max(token.uiMultiplier(), token.newUIMultiplier())
                assert -(-token.totalSupply() * multiplier // ONE) <= CAPACITY

        @rule(src=holders, amount=amounts)
        def burn(self, src, amount):
            self._try(token.burn, wallets[src], amount, {"from": roles.agent})

        @rule(who=holders, frozen=st.booleans())
        def freeze(self, who, frozen):
            self._try(token.setAddressFrozen, wallets[who], frozen, {"from": roles.agent})

        @rule(who=holders, amount=amounts, freeze=st.booleans())
        def partial_freeze(self, who, amount, freeze):
            fn = token.freezePartialTokens if freeze else token.unfreezePartialTokens
            self._try(fn, wallets[who], amount, {"from": roles.agent})

        @rule(src=holders, dst=holders, amount=amounts)
        def forced_transfer(self, src, dst, amount):
            self._try(
                token.forcedTransfer, wallets[src], wallets[dst], amount, {"from": roles.agent}
            )

        @rule(up=st.booleans())
        def change_multiplier(self, up):
            current = token.uiMultiplier()
            new = current * 2 if up else current // 2
            self._try(
                token.setUIMultiplier, new, chain.time() + 5, {"from": roles.corporate_actions}
            )
            chain.sleep(6)

        @invariant()
        def balances_are_consistent(self):
            balances = [token.balanceOf(w) for w in wallets]
            assert sum(balances) == token.totalSupply()
            for wallet, balance in zip(wallets, balances, strict=True):
                assert token.getFrozenTokens(wallet) <= balance
            assert balances[-1] == 0  # the unverified wallet never received anything

    return TokenInvariants


def test_token_invariants(suite, token, alice, bob, roles):
    carol = accounts[8]
    suite.onboard(carol, 840)
    suite.attest("AAPL", CAPACITY)
    machine = build_machine(token, roles, [alice, bob, carol, accounts[9]])
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            # steps are transactions on anvil: some runs draw long programs; that is the point
            suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow],
        ),
    )
