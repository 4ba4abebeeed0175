"""Hypothesis stateful tests of the token and the dividend distributor, against a model.

Every rule computes from a Python model whether the contract must accept or refuse the action,
then asserts exactly that: a token that refused everything, or accepted something it must
refuse, fails. After every step the invariants of DESIGN.md sections 6-7 are checked:

- balances match the model, sum to the total supply, frozen tokens never exceed a balance,
  the unverified wallet never holds anything;
- economic supply (raw supply at the multiplier in effect, rounded up) never exceeds the
  attested settled custody while that attestation counts, nor the custody the broker really
  holds, whatever sequence of single-key actions ran: hostile multiplier increases through every
  entry point and kind label, forward and reverse splits (the broker's position scaled at the
  effective time), mints, burns, forced transfers, attestations; an attestation made before a
  rescale never counts after it (issue 24, finding 1);
- the holder-count module counts exactly the identities with a positive balance;
- each dividend distribution pays at most what it was funded with (`claimed <= total`), and the
  distributor holds exactly what its open distributions still owe.

Brownie's own ``state_machine`` helper cannot be subclassed in 1.22 (its classes are compiled), so
this drives Hypothesis directly and reverts the chain after each example.
"""

from brownie import DevStablecoin, DividendDistributor, accounts, chain
from brownie.exceptions import VirtualMachineError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from deploy.suite import ONE, StockConfig
from issuer.corporate.merkle import MerkleTree

OTHER, DIVIDEND, FORWARD, REVERSE = range(4)
MAX_STEP = ONE // 10  # StockConfig's max_dividend_step
MIN_MULTIPLIER, MAX_MULTIPLIER = ONE // 1_000_000, ONE * 1_000_000  # StockConfig's bounds
amounts = st.integers(min_value=0, max_value=60 * ONE)
holders = st.integers(min_value=0, max_value=3)  # index 3 is the unverified wallet
SETTINGS = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    # steps are transactions on anvil: some runs draw long programs; that is the point
    suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow],
)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def outcome(fn, *args) -> bool:
    try:
        fn(*args)
        return True
    except VirtualMachineError:
        return False


def build_token_machine(suite, token, roles, wallets, supply_only):
    module = suite.modules["MaxHoldersModule"]
    compliance = token.compliance()
    feed = suite.feeds[token.symbol()].reserve

    class TokenModel(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            chain.snapshot()
            self.balance = [0, 0, 0, 0]
            self.frozen = [False] * 4
            self.frozen_tokens = [0] * 4
            self.multiplier = token.uiMultiplier()
            self.custody = feed.latestRoundData()[1]  # what the last attestation says
            self.held = self.custody  # what the broker really holds
            self.counts = True  # the attestation is as of the last rescale or later

        def teardown(self):
            chain.revert()

        # ------------------------------------------------------------------ model helpers

        def supply(self) -> int:
            return sum(self.balance)

        def economic(self, raw: int, multiplier: int) -> int:
            return ceil_div(raw * multiplier, ONE)

        def expect(self, expected: bool, fn, *args) -> None:
            assert outcome(fn, *args) is expected, (fn, args, "expected", expected)

        # ------------------------------------------------------------------ rules

        @rule(src=holders, dst=holders, amount=amounts)
        def transfer(self, src, dst, amount):
            ok = (not self.frozen[src] and not self.frozen[dst] and dst < 3
                  and amount <= self.balance[src] - self.frozen_tokens[src])
            self.expect(ok, token.transfer, wallets[dst], amount, {"from": wallets[src]})
            if ok:
                self.balance[src] -= amount
                self.balance[dst] += amount

        @rule(dst=holders, amount=amounts)
        def mint(self, dst, amount):
            fits = self.economic(self.supply() + amount, self.multiplier) <= self.custody
            ok = dst < 3 and fits and self.counts
            self.expect(ok, token.mint, wallets[dst], amount, {"from": roles.agent})
            if ok:
                self.balance[dst] += amount

        @rule(src=holders, amount=amounts, agent=st.booleans())
        def burn(self, src, amount, agent):
            unfrozen = self.balance[src] - self.frozen_tokens[src]
            if agent:  # supply + compliance roles: any balance
                ok = amount <= self.balance[src]
            else:  # the supply key alone: never a frozen holder's tokens
                ok = not self.frozen[src] and amount <= unfrozen
            who = roles.agent if agent else supply_only
            self.expect(ok, token.burn, wallets[src], amount, {"from": who})
            if ok:
                self.balance[src] -= amount
                self.frozen_tokens[src] = min(self.frozen_tokens[src], self.balance[src])

        @rule(who=holders, frozen=st.booleans())
        def freeze(self, who, frozen):
            self.expect(True, token.setAddressFrozen, wallets[who], frozen, {"from": roles.agent})
            self.frozen[who] = frozen

        @rule(who=holders, amount=amounts, freeze=st.booleans())
        def partial_freeze(self, who, amount, freeze):
            if freeze:
                ok = self.frozen_tokens[who] + amount <= self.balance[who]
                fn = token.freezePartialTokens
            else:
                ok = amount <= self.frozen_tokens[who]
                fn = token.unfreezePartialTokens
            self.expect(ok, fn, wallets[who], amount, {"from": roles.agent})
            if ok:
                self.frozen_tokens[who] += amount if freeze else -amount

        @rule(src=holders, dst=holders, amount=amounts)
        def forced_transfer(self, src, dst, amount):
            ok = dst < 3 and amount <= self.balance[src]
            self.expect(ok, token.forcedTransfer, wallets[src], wallets[dst], amount,
                        {"from": roles.agent})
            if ok:
                free = self.balance[src] - self.frozen_tokens[src]
                if amount > free:
                    self.frozen_tokens[src] -= amount - free
                self.balance[src] -= amount
                self.balance[dst] += amount

        @rule(percent=st.integers(min_value=-60, max_value=400),
              how=st.sampled_from(["setUIMultiplier", "other", "dividend"]))
        def corporate_action_key(self, percent, how):
            """The corporate-action key, acting alone, tries to move the multiplier."""
            current = self.multiplier
            new = current * (100 + percent) // 100
            up = new > current
            covered = self.economic(self.supply(), new) <= self.custody and self.counts
            ok = new != current and (not up or covered) and MIN_MULTIPLIER <= new <= MAX_MULTIPLIER
            at = chain[-1].timestamp + 5
            if how == "setUIMultiplier":
                args = (token.setUIMultiplier, new, at)
            else:
                kind = OTHER if how == "other" else DIVIDEND
                if kind == DIVIDEND:
                    ok = ok and up and new <= current + current * MAX_STEP // ONE
                args = (token.scheduleMultiplier, current, new, at, kind, "0x" + "00" * 32,
                        token.lastMultiplierNonce() + 1)
            self.expect(ok, *args, {"from": roles.corporate_actions})
            chain.sleep(6)
            chain.mine()
            if ok:
                self.multiplier = new
                if how != "dividend":  # `Other` rescales; the broker's custody does not move
                    self.counts = False
            assert token.uiMultiplier() == self.multiplier

        @rule(forward=st.booleans(), ratio=st.sampled_from([2, 3, 4]))
        def split(self, forward, ratio):
            """A real split, scheduled by the corporate-action key with the owner silent through
            the notice; the broker scales its position at the effective time (a reverse split
            leaves no fraction here: the model skips positions the ratio does not divide)."""
            current = self.multiplier
            new = current * ratio if forward else current // ratio
            if not forward and (self.held % ratio or current % ratio):
                return
            if not MIN_MULTIPLIER <= new <= MAX_MULTIPLIER:
                return
            notice = token.multiplierBounds()[4] if forward else 0
            token.scheduleMultiplier(current, new, chain[-1].timestamp + notice + 5,
                                     FORWARD if forward else REVERSE, "0x" + "00" * 32,
                                     token.lastMultiplierNonce() + 1,
                                     {"from": roles.corporate_actions})
            chain.sleep(notice + 6)
            chain.mine()
            assert token.uiMultiplier() == new
            self.multiplier = new
            self.held = self.held * ratio if forward else self.held // ratio
            self.counts = False

        @rule(extra=st.integers(min_value=0, max_value=200 * ONE))
        def attest(self, extra):
            """An honest attestor: the broker holds what backs the supply plus `extra` (bought),
            and that is what is attested, as of now."""
            self.held = max(self.held, self.economic(self.supply(), self.multiplier)) + extra
            self.custody = self.held
            self.counts = True
            suite.attest(token.symbol(), self.custody)

        # ------------------------------------------------------------------ invariants

        @invariant()
        def balances_match_the_model(self):
            balances = [token.balanceOf(w) for w in wallets]
            assert balances == self.balance
            assert sum(balances) == token.totalSupply()
            for wallet, balance in zip(wallets, balances, strict=True):
                assert token.getFrozenTokens(wallet) <= balance
            assert balances[-1] == 0  # the unverified wallet never received anything

        @invariant()
        def economic_supply_never_exceeds_custody(self):
            multiplier = max(token.uiMultiplier(), token.newUIMultiplier())
            economic = self.economic(token.totalSupply(), multiplier)
            assert economic <= self.held  # what the broker really holds
            if self.counts:
                assert economic <= feed.latestRoundData()[1]

        @invariant()
        def holder_count_is_identities_with_a_balance(self):
            assert module.holderCount(compliance) == sum(1 for b in self.balance if b > 0)

    return TokenModel


def test_token_follows_its_model(suite, alice, bob, roles):
    token = suite.list_stock(StockConfig("STAT", "Stateful test stock", max_holders=100))
    carol = accounts[8]
    suite.onboard(carol, 840)
    suite.attest("STAT", 500 * ONE)
    supply_only = accounts[9]
    token.grantRole(token.SUPPLY_AGENT_ROLE(), supply_only, {"from": roles.owner})
    machine = build_token_machine(suite, token, roles, [alice, bob, carol, accounts[5]],
                                  supply_only)
    run_state_machine_as_test(machine, settings=SETTINGS)


def deadline_state(deadline: int) -> str:
    """Whether claims are open or closed at the next block; "unsure" within a couple of seconds
    of the deadline, where the next block's timestamp decides."""
    now = chain[-1].timestamp
    return "open" if now + 2 < deadline else "closed" if now > deadline else "unsure"


def build_distributor_machine(token, roles, holders_):
    usd = DevStablecoin.deploy(roles.corporate_actions, {"from": roles.owner})
    distributor = DividendDistributor.deploy(roles.owner, roles.corporate_actions,
                                             {"from": roles.owner})
    usd.mint(roles.corporate_actions, 10**15, {"from": roles.corporate_actions})
    usd.approve(distributor, 2**256 - 1, {"from": roles.corporate_actions})
    owed = st.lists(st.integers(min_value=1, max_value=10**6), min_size=3, max_size=3)

    class DistributorModel(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            chain.snapshot()
            self.dists = []  # (id, tree, amounts, total, deadline)
            self.claimed = {}
            self.closed = set()

        def teardown(self):
            chain.revert()

        @rule(amounts=owed, total=st.integers(min_value=1, max_value=3 * 10**6))
        def create(self, amounts, total):
            leaves = dict(zip([h.address for h in holders_], amounts, strict=True))
            tree = MerkleTree(leaves)
            deadline = chain[-1].timestamp + 1_000
            tx = distributor.createDistribution(token, usd, tree.root, total, deadline,
                                                "0x" + "01" * 32,
                                                {"from": roles.corporate_actions})
            self.dists.append((tx.return_value, tree, leaves, total, deadline))
            self.claimed[tx.return_value] = {}

        @rule(pick=st.integers(min_value=0, max_value=50), who=st.integers(0, 2))
        def claim(self, pick, who):
            if not self.dists:
                return
            dist_id, tree, leaves, total, deadline = self.dists[pick % len(self.dists)]
            holder = holders_[who].address
            paid = sum(self.claimed[dist_id].values())
            when = deadline_state(deadline)
            ok = (dist_id not in self.closed and when == "open"
                  and holder not in self.claimed[dist_id] and paid + leaves[holder] <= total)
            done = outcome(distributor.claim, dist_id, holder, leaves[holder],
                           tree.proof(holder), {"from": accounts[9]})
            if when != "unsure":
                assert done is ok
            ok = done
            if ok:
                self.claimed[dist_id][holder] = leaves[holder]

        @rule(seconds=st.integers(min_value=0, max_value=1_500))
        def time_passes(self, seconds):
            chain.sleep(seconds)
            chain.mine()

        @rule(pick=st.integers(min_value=0, max_value=50))
        def reclaim(self, pick):
            if not self.dists:
                return
            dist_id, _, _, _, deadline = self.dists[pick % len(self.dists)]
            when = deadline_state(deadline)
            ok = dist_id not in self.closed and when == "closed"
            done = outcome(distributor.reclaim, dist_id, roles.corporate_actions,
                           {"from": roles.corporate_actions})
            if when != "unsure":
                assert done is ok
            if done:
                self.closed.add(dist_id)

        @invariant()
        def each_distribution_pays_only_its_own_funding(self):
            still_owed = 0
            for dist_id, *_ in self.dists:
                d = distributor.distribution(dist_id)
                assert d["claimed"] <= d["total"]
                assert d["claimed"] == sum(self.claimed[dist_id].values())
                if not d["closed"]:
                    still_owed += d["total"] - d["claimed"]
            assert usd.balanceOf(distributor) == still_owed

    return DistributorModel


def test_dividend_distributions_follow_their_model(token, roles):
    machine = build_distributor_machine(token, roles, [accounts[6], accounts[7], accounts[8]])
    run_state_machine_as_test(machine, settings=SETTINGS)
