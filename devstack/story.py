"""The scripted story ``make up`` tells, through the real APIs: the issuer's operator API, the
broker's API (its ``/_mock`` control endpoints move the simulated clock and announce corporate
actions) and the chain's JSON-RPC (investors' own wallets send transfers).

Every step waits for the issuer's worker to do its part and prints what changed; a step that
does not happen in time stops the story with the state it was stuck in.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3.exceptions import ContractCustomError, ContractLogicError

from custody_mock.client import AccountTradingClient, BrokerClient
from devstack.processes import ROOT, StackError
from issuer.chain import Chain
from issuer.config import dev_key
from issuer.units import from_feed_price, raw_to_shares
from issuer.voting import ballot
from servicekit.calendar import NEW_YORK, SettlementCalendar
from servicekit.tokenization import DEVNET as DEVNET_NETWORK

D = Decimal
ONE = 10**18
US, UK = 840, 826


class Api:
    """One API key's client of the issuer; a refusal raises :class:`StackError` with the
    problem the API answered."""

    def __init__(self, url: str, key: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30)

    def get(self, path: str, **params: Any) -> Any:
        return self._answer(self.http.get(path, params=params))

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._answer(self.http.post(path, json=body or {}, headers={
            "Idempotency-Key": str(uuid.uuid4())}))

    @staticmethod
    def _answer(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise StackError(f"{response.request.method} {response.request.url.path} answered "
                             f"{response.status_code}: {response.text[:500]}")
        return response.json()


@dataclass
class Wallets:
    ap: str
    redemption: str
    alice: str
    bob: str
    outsider: str


class Story:
    def __init__(self, *, issuer_url: str, keys: dict[str, str], broker: BrokerClient,
                 chain: Chain, participant_id: str, ap_account: str,
                 ap_trading: AccountTradingClient, wallets: Wallets,
                 timeout: float = 90) -> None:
        self.issuer_url = issuer_url
        self.operator = Api(issuer_url, keys["operator"])
        self.approver = Api(issuer_url, keys["approver"])
        self.compliance = Api(issuer_url, keys["compliance"])
        self.broker = broker
        self.chain = chain
        self.participant_id = participant_id
        self.ap_account = ap_account
        #: the participant's own Trading API client (its key pair, its account only)
        self.ap_trading = ap_trading
        self.w = wallets
        self.timeout = timeout

    # ------------------------------------------------------------------------- helpers

    def wait(self, what: str, done: Callable[[], Any]) -> Any:
        """Poll ``done()`` until it returns something truthy (returned), or stop the story."""
        deadline = time.monotonic() + self.timeout
        while True:
            result = done()
            if result:
                return result
            if time.monotonic() > deadline:
                raise StackError(f"timed out waiting for: {what}")
            time.sleep(0.2)

    def settle(self) -> None:
        """Let the worker run two full passes after whatever was just changed."""
        start = self.operator.get("/v1/health")["worker"]["passes"]
        self.wait("two worker passes", lambda: self.operator.get("/v1/health")["worker"]
                  ["passes"] >= start + 2)

    def next_day(self) -> dt.date:
        """The broker's end of day to the next open; the chain's clock moves as far."""
        before = self.broker.clock().now
        after = self.broker.end_of_day().now
        self.advance_chain(int((after - before).total_seconds()))
        day = after.astimezone(NEW_YORK).date()
        print(f"   -- end of day; the broker opens {day:%a %Y-%m-%d}")
        return day

    def advance_chain(self, seconds: int) -> None:
        self.chain.w3.provider.make_request("evm_increaseTime", [seconds])
        self.chain.w3.provider.make_request("evm_mine", [])

    def until_date(self, day: dt.date) -> None:
        while self.broker.clock().date < day:
            self.settle()
            self.next_day()
        self.settle()

    def status(self, path: str) -> str:
        return str(self.operator.get(path)["status"])

    def days_until(self, path: str, statuses: tuple[str, ...]) -> None:
        """Broker days pass (the worker's two passes after each) until the corporate action
        at ``path`` is in one of ``statuses``."""
        while self.status(path) not in statuses:
            self.next_day()
            self.settle()

    def proposed(self, path: str, what: str) -> dict[str, Any]:
        """The corporate action at ``path`` once its figures are proposed (the story stops if
        it halted instead)."""
        self.wait(f"the {what} is computed", lambda: self.status(path) in ("proposed", "halted"))
        ca: dict[str, Any] = self.operator.get(path)
        if ca["status"] != "proposed":
            raise StackError(f"the {what} is {ca['status']}: {ca['status_reason']}")
        return ca

    def approved(self, path: str) -> str:
        """Maker-checker: the operator asks to apply the corporate action at ``path``, the
        approver approves; the approval's id."""
        approval = self.operator.post(f"{path}/apply")
        self.approver.post(f"/v1/approvals/{approval['id']}/approve")
        return str(approval["id"])

    def shares(self, symbol: str, wallet: str) -> D:
        return raw_to_shares(self.chain.balance(symbol, wallet), self.chain.multiplier(symbol))

    def holders(self, symbol: str, names: dict[str, str]) -> None:
        m = self.chain.multiplier(symbol)
        print(f"   {symbol}: multiplier {D(m) / ONE}, raw supply "
              f"{D(self.chain.total_supply(symbol)) / ONE}")
        for name, wallet in names.items():
            raw = self.chain.balance(symbol, wallet)
            print(f"     {name:<12} raw {D(raw) / ONE:>24}   shares {raw_to_shares(raw, m):>24}")

    def send(self, symbol: str, sender: str, to: str, shares: int) -> str:
        token = self.chain.stock(symbol).token
        tx = token.functions.transfer(to, shares * ONE).transact({"from": sender})
        receipt = self.chain.w3.eth.wait_for_transaction_receipt(tx)
        return f"block {receipt['blockNumber']}, gas {receipt['gasUsed']:,}"

    # ------------------------------------------------------------------------- the story

    def run(self) -> None:
        self.onboard()
        self.create()
        self.transfer()
        self.refused_transfer()
        self.dividend()
        self.split()
        self.redeem()
        self.tokenization()
        self.meeting()
        self.name_change()
        self.cash_merger()
        self.spin_off()
        self.reconcile()

    def tokenization(self) -> None:
        print("\n8. The tokenization network (ITN): the participant mints 10 AAPL from shares it "
              "holds at the broker, in seconds, and redeems 4 the same way")
        position = self.broker.position(self.ap_account, "AAPL")
        print(f"   the participant's own AAPL at the broker: {position.qty_settled} settled")
        before = self.chain.balance("AAPL", self.w.ap)
        t0 = time.monotonic()
        request = self.ap_trading.tokenization_mint(   # with its own Trading API key pair
            underlying_symbol="AAPL", qty=D(10), issuer="stockstack", network=DEVNET_NETWORK,
            wallet_address=self.w.ap)
        self.wait("the ITN mint", lambda: self.chain.balance("AAPL", self.w.ap) > before)
        minted = time.monotonic() - t0
        done = self.wait("the broker has the mint's hash", lambda: (
            r := self.ap_trading.tokenization_request(request.tokenization_request_id)
        ).status == "completed" and r)
        print(f"   request {request.tokenization_request_id}: shares journaled to custody "
              f"({done.transfer_status}), 10 AAPL minted in {minted:.2f} s, tx {done.tx_hash}")
        t0 = time.monotonic()
        print(f"   the participant sends 4 AAPL to the redemption wallet: "
              f"{self.send('AAPL', self.w.ap, self.w.redemption, 4)}")
        rows = self.wait("the ITN redemption", lambda: [
            r for r in self.operator.get("/v1/itn/requests", type="redeem")["items"]
            if r["status"] in ("completed", "rejected")])
        print(f"   redemption {rows[0]['issuer_request_id'][:18]}...: {rows[0]['status']} in "
              f"{time.monotonic() - t0:.2f} s (shares journaled back, tokens burned)")
        position = self.broker.position(self.ap_account, "AAPL")
        print(f"   the participant's own AAPL at the broker: {position.qty_settled} settled")

    def onboard(self) -> None:
        print("\n1. Onboard two investors (the issuer deploys each an ONCHAINID identity, signs "
              "a KYC claim and registers the wallet)")
        for name, wallet, country in (("alice", self.w.alice, US), ("bob", self.w.bob, UK)):
            self.compliance.post("/v1/investors", {"wallet": wallet, "country": country})
            investor = self.wait(f"{name} onboarded", lambda w=wallet: (
                i := self.operator.get(f"/v1/investors/{w}"))["status"] == "active" and i)
            print(f"   {name:<6} {wallet}  identity {investor['identity']}  country {country}"
                  f"  verified={self.chain.is_verified(wallet)}")
        print(f"   outsider {self.w.outsider}  verified={self.chain.is_verified(self.w.outsider)}"
              "  (never onboarded)")

    def create(self) -> None:
        day = self.broker.clock().now.astimezone(NEW_YORK)
        print(f"\n2. Cash creations on {day:%a %Y-%m-%d %H:%M} New York: 100 AAPL and 40 NVDA "
              "for the authorized participant")
        # the participant also buys 15 AAPL for itself: settled shares it mints over ITN later
        self.broker.submit_order(self.ap_account, symbol="AAPL", side="buy", qty=D(15))
        feed_before = self.chain.reserve_round("AAPL")
        ids = {}
        for symbol, qty in (("AAPL", "100"), ("NVDA", "40")):
            ids[symbol] = self.operator.post("/v1/creations", {
                "participant_id": self.participant_id, "symbol": symbol, "qty": qty})["id"]
        for _ in range(5):
            self.settle()
            self.wait("the mints are mined", lambda: not any(
                self.status(f"/v1/creations/{i}") == "minting" for i in ids.values()))
            rows = {s: self.operator.get(f"/v1/creations/{i}") for s, i in ids.items()}
            for symbol, row in rows.items():
                print(f"   {symbol} creation: {row['status']:<10} filled {row['filled_qty']} "
                      f"at {row['filled_avg_price']}, settled {row['settled_qty']}, "
                      f"tokens minted {D(self.chain.balance(symbol, self.w.ap)) / ONE}")
            if all(r["status"] == "completed" for r in rows.values()):
                break
            self.next_day()
        else:
            raise StackError(f"the creations did not complete: {rows}")
        print("   T+1: filled Friday, the weekend and Columbus Day (banks closed) in between, "
              "settled and minted Tuesday")
        self.feed_moved("AAPL", feed_before)

    def feed_moved(self, symbol: str, before: tuple[int, int, int, int]) -> None:
        """The symbol's proof-of-reserve feed (Chainlink's AggregatorV3Interface), before and
        after: each attestation a new round, what a DeFi protocol or the token's guard reads."""
        round_id, settled, pending, as_of = self.chain.reserve_round(symbol)
        print(f"   {symbol} reserve feed {self.chain.stock(symbol).reserve_feed.address}: round "
              f"{before[0]} ({D(before[1]) / ONE} settled shares) -> round {round_id} "
              f"({D(settled) / ONE} settled, {D(pending) / ONE} pending, as of "
              f"{dt.datetime.fromtimestamp(as_of, dt.UTC):%Y-%m-%d %H:%M:%S} UTC)")

    def transfer(self) -> None:
        print("\n3. The participant's wallet sells on: 30 AAPL to alice, 20 AAPL and 10 NVDA to "
              "bob (plain ERC-20 transfers from their own wallets)")
        print(f"   {self.send('AAPL', self.w.ap, self.w.alice, 30)}")
        print(f"   {self.send('AAPL', self.w.ap, self.w.bob, 20)}")
        print(f"   {self.send('NVDA', self.w.ap, self.w.bob, 10)}")
        self.holders("AAPL", {"participant": self.w.ap, "alice": self.w.alice, "bob": self.w.bob})

    def refused_transfer(self) -> None:
        print("\n4. alice tries to send 5 AAPL to a wallet without identity")
        token = self.chain.stock("AAPL").token
        code = token.functions.detectTransferRestriction(self.w.alice, self.w.outsider,
                                                         5 * ONE).call()
        reason = self.chain.contract("TransferRestrictionMessages").functions \
            .messageForTransferRestriction(code).call()
        print(f"   pre-check (ERC-1404): code {code}, \"{reason}\"")
        try:
            token.functions.transfer(self.w.outsider, 5 * ONE).transact({"from": self.w.alice})
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else None
            print(f"   the transfer reverts: {self.chain.decode_error(data)}; "
                  f"alice still holds {self.shares('AAPL', self.w.alice)} AAPL")
        else:
            raise StackError("a transfer to an unverified wallet went through")

    def dividend(self) -> None:
        today = self.broker.clock().date
        ex, pay = today + dt.timedelta(days=2), today + dt.timedelta(days=6)
        print(f"\n5. AAPL declares a 0.25 USD dividend: ex/record {ex}, payable {pay}. The "
              "issuer's custody account is Swiss: 30 % US withholding")
        announced = self.broker.announce(
            ca_type="dividend", ca_sub_type="cash", initiating_symbol="AAPL",
            declaration_date=today, ex_date=ex, record_date=ex, payable_date=pay,
            cash=D("0.25"))
        path = f"/v1/corporate-actions/{announced.corporate_action_id}"
        self.wait("the issuer picks up the announcement",
                  lambda: self.operator.get("/v1/corporate-actions")["items"])
        before = {n: self.shares("AAPL", w) for n, w in
                  (("alice", self.w.alice), ("bob", self.w.bob))}
        while self.status(path) not in ("proposed", "halted"):
            self.next_day()
            self.settle()
            print(f"   dividend: {self.status(path)}")
        ca = self.operator.get(path)
        print(f"   record date: R {D(ca['raw_supply']) / ONE} raw, M0 {D(ca['m0']) / ONE}, "
              f"E {ca['entitled']} shares\n   paid: gross {ca['gross']}, withheld "
              f"{ca['withholding']}, net {ca['net']} reinvested in {ca['filled_qty']} shares\n"
              f"   proposed: M1 = M0 * (1 + {ca['filled_qty']} / {ca['entitled']}) = "
              f"{D(ca['m1']) / ONE}")
        self._apply(path)
        self.wait("the dividend completes", lambda: self.status(path) == "completed")
        residue = self.operator.get(path)["residue"]
        print(f"   completed; residue (custody beyond the supply) {residue}")
        for name, wallet in (("alice", self.w.alice), ("bob", self.w.bob)):
            print(f"   {name}: {before[name]} -> {self.shares('AAPL', wallet)} AAPL shares, raw "
                  f"balance unchanged ({D(self.chain.balance('AAPL', wallet)) / ONE})")

    def _apply(self, path: str) -> None:
        """The operator asks to apply the proposed multiplier, the approver approves, the
        worker schedules it; the chain's clock passes the notice and it takes effect."""
        ca = self.operator.get(path)
        if ca["status"] != "proposed":
            raise StackError(f"{ca['kind']} is {ca['status']}: {ca['status_reason']}")
        approval = self.approved(path)
        print(f"   operator asks to apply M1 = {ca['m1']} (approval {approval[:8]}), "
              "the approver approves")
        self.wait("the multiplier is scheduled on chain",
                  lambda: self.status(path) in ("scheduled", "checking", "completed"))
        effective = self.operator.get(path)["effective_at"]
        wait_s = max(0, effective - self.chain.block_time()) + 1
        if self.status(path) == "scheduled" and wait_s < 86_400:
            print(f"   scheduled on chain, effective in {wait_s} s (the notice period)")
            self.advance_chain(wait_s)

    def split(self) -> None:
        today = self.broker.clock().date
        ex = today + dt.timedelta(days=2)
        print(f"\n6. NVDA splits 2-for-1, effective {ex}: one multiplier write, no holder "
              "touched")
        announced = self.broker.announce(
            ca_type="split", ca_sub_type="stock_split", initiating_symbol="NVDA",
            declaration_date=today, ex_date=ex, old_rate=D(1), new_rate=D(2))
        path = f"/v1/corporate-actions/{announced.corporate_action_id}"
        self.wait("the split is computed", lambda: self.operator.get(
            "/v1/corporate-actions", symbol="NVDA")["items"] and
            self.status(path) in ("proposed", "halted"))
        self.holders("NVDA", {"participant": self.w.ap, "bob": self.w.bob})
        unit_before = self.unit_price("NVDA")
        self._apply(path)
        token = self.chain.stock("NVDA").token
        self.wait("the market-data flag", lambda: token.functions.marketDataPaused().call())
        print("   creations and redemptions of NVDA wait for the split; the token flags its "
              "market data as paused")
        self.until_date(ex)
        self.wait("the split completes", lambda: self.status(path) == "completed")
        ca = self.operator.get(path)
        print(f"   completed: price {ca['price_before']} -> {ca['price_after']} at the broker, "
              f"M {D(ca['m0']) / ONE} -> {D(ca['m1']) / ONE} (continuity checked)")
        self.holders("NVDA", {"participant": self.w.ap, "bob": self.w.bob})
        feed = self.chain.stock("NVDA").price_feed
        self.wait("the price feed reports the split share", lambda: from_feed_price(
            feed.functions.latestRoundData().call()[1]) == D(ca["price_after"]))
        print(f"   a lender's NVDA token price (feed x multiplier): {unit_before} USD before the "
              f"split, {self.unit_price('NVDA')} USD after ({ca['price_after']} USD a share x "
              f"{D(ca['m1']) / ONE}): no jump")

    def unit_price(self, symbol: str) -> D:
        """The token unit's price feed's latest answer, in dollars."""
        feed = self.chain.stock(symbol).unit_price_feed
        return from_feed_price(feed.functions.latestRoundData().call()[1])

    def redeem(self) -> None:
        print("\n7. The participant redeems 20 AAPL for cash: burned, sold, proceeds paid at T+1")
        cash = self.broker.trading_account(self.ap_account).cash
        redemption = self.operator.post("/v1/redemptions", {
            "participant_id": self.participant_id, "symbol": "AAPL", "qty": "20"})
        path = f"/v1/redemptions/{redemption['id']}"
        for _ in range(5):
            self.settle()
            self.wait("the burn is mined", lambda: self.status(path) != "burning")
            row = self.operator.get(path)
            burned = D(row["burn_raw"]) / ONE if row["burn_raw"] else None
            print(f"   redemption: {row['status']:<10} burned raw {burned}, sold "
                  f"{row['filled_qty']}, proceeds {row['proceeds']}")
            if row["status"] == "completed":
                break
            self.next_day()
        else:
            raise StackError(f"the redemption did not complete: {row}")
        after = self.broker.trading_account(self.ap_account).cash
        print(f"   the participant's broker cash: {cash} -> {after}")

    def meeting(self) -> None:
        today = self.broker.clock().date
        sessions = SettlementCalendar()
        last_day = sessions.settlement_date(sessions.settlement_date(today))
        meeting_day = last_day + dt.timedelta(days=3)
        cutoff = dt.datetime.combine(last_day, dt.time(16), NEW_YORK)
        print(f"\n9. A shareholder meeting of AAPL on {meeting_day}: record date {today}, the "
              f"broker's cutoff {cutoff:%a %H:%M} New York; the holders vote, the issuer "
              "instructs the broker")
        notice = self.broker.announce_meeting(
            symbol="AAPL", meeting_date=meeting_day, record_date=today, cutoff=cutoff,
            proposals=[{"id": "1", "text": "Ratify the auditors",
                        "kind": "for_against_abstain", "recommendation": "for"},
                       {"id": "2", "text": "Elect one director", "kind": "slate",
                        "choices": ["Ada", "Grace"], "recommendation": "Ada"}],
            street={"1": {"for": D(5000), "against": D(4990)}})
        mid = notice.meeting_id
        path = f"/v1/meetings/{mid}"
        self.settle()
        self.next_day()                                  # the record date ends
        self.wait("the ballot is published", lambda: self.status(path) == "open")
        row = self.operator.get(path)
        print(f"   holders of record at block {row['record_block']} (multiplier "
              f"{D(row['multiplier']) / ONE}): {row['entitled_shares']} shares; custody "
              f"held {row['custody_shares']}; Merkle root {row['root'][:18]}... on chain")
        public = httpx.Client(base_url=self.operator.http.base_url, timeout=30)
        alice = public.get(f"{path}/voters/{self.w.alice}").json()
        bob = public.get(f"{path}/voters/{self.w.bob}").json()
        print(f"   alice may vote {alice['shares']}, bob {bob['shares']} "
              "(each with a proof against the root)")

        def vote(index: int, wallet: str, votes: list[tuple[str, str, str]], nonce: int = 1,
                 signer: int | None = None) -> httpx.Response:
            message = ballot.typed_data(
                chain_id=self.chain.chain_id,
                registry=self.chain.contract("ProxyVoteRegistry").address, meeting_id=mid,
                voter=wallet, votes=[(p, c, ballot.to_units(D(s))) for p, c, s in votes],
                nonce=nonce)
            signed = Account.from_key(dev_key(signer or index)).sign_message(
                encode_typed_data(full_message=message))
            return public.post(f"{path}/ballots", json={
                "voter": wallet, "nonce": nonce, "signature": "0x" + signed.signature.hex(),
                "votes": [{"proposal": p, "choice": c, "shares": s} for p, c, s in votes]})

        half = format(D(alice["shares"]) / 2, "f")
        split = vote(7, self.w.alice, [("1", "for", half), ("1", "against", half),
                                       ("2", "Grace", alice["shares"])])
        print(f"   alice splits her vote: {half} for, {half} against; Grace on the slate "
              f"(ballot {split.json()['ballot_id'][:8]}, {split.status_code})")
        vote(8, self.w.bob, [("1", "against", bob["shares"])])
        changed = vote(8, self.w.bob, [("1", "for", bob["shares"]),
                                       ("2", "Ada", bob["shares"])], nonce=2)
        print(f"   bob votes against, then changes his mind: for, and Ada (nonce 2 replaces "
              f"nonce 1: {changed.status_code})")
        stranger = vote(9, self.w.outsider, [("1", "for", "1")])
        print(f"   a stranger's ballot is refused: {stranger.status_code} "
              f"{stranger.json()['code']}")
        self.until_date(last_day)
        before = self.broker.clock().now                 # past the holders' deadline
        after = self.broker.set_clock(cutoff - dt.timedelta(minutes=30)).now
        self.advance_chain(int((after - before).total_seconds()))
        self.wait("the instruction", lambda: self.status(path) == "instructed")
        row = self.operator.get(path)
        print(f"   the instruction to the broker (unvoted shares: {row['unvoted_policy']}): "
              f"{row['instruction']['votes']}; its hash on chain "
              f"{row['instruction_hash'][:18]}...")
        self.until_date(meeting_day + dt.timedelta(days=1))
        self.wait("the result", lambda: self.status(path) == "completed")
        for result in self.operator.get(path)["results"]["proposals"]:
            print(f"   result of {result['id']}: {result['outcome']} {result['totals']}, "
                  f"as instructed {result['account_votes']}")

    def _announce_tomorrow(self, what: str, **fields: Any) -> tuple[str, dt.date]:
        """Announce a corporate action effective on the broker's next day; its API path once
        the issuer has picked it up, and the day."""
        today = self.broker.clock().date
        on = today + dt.timedelta(days=1)
        print(what.format(on=on))
        announced = self.broker.announce(declaration_date=today, ex_date=on, **fields)
        self.wait("the issuer picks up the announcement", lambda: any(
            a["corporate_action_id"] == announced.corporate_action_id
            for a in self.operator.get("/v1/corporate-actions", symbol="NVDA")["items"]))
        return f"/v1/corporate-actions/{announced.corporate_action_id}", on

    def name_change(self) -> None:
        path, on = self._announce_tomorrow(
            "\n10. NVDA changes its symbol to NVDX on {on}: the broker moves custody to NVDX, "
            "the token's name and symbol follow through its owner, nothing is minted or burned",
            ca_type="name_change", ca_sub_type="name_change", initiating_symbol="NVDA",
            target_symbol="NVDX")
        self.until_date(on)
        ca = self.proposed(path, "name change")
        print(f"   custody {ca['custody_settled']} NVDX shares for {D(ca['supply_raw']) / ONE} "
              f"raw tokens at M {D(ca['m0']) / ONE}; the token becomes {ca['token_symbol']!r} "
              f"({ca['token_name']!r})")
        self.approved(path)
        self.wait("the owner's calls are prepared", lambda: self.status(path) == "renaming")
        owner = self.chain.manifest["roles"]["owner"]
        for call in self.operator.get(path)["owner_calls"]:
            tx = self.chain.w3.eth.send_transaction({"from": owner, "to": call["to"],
                                                     "data": call["data"]})
            self.chain.w3.eth.wait_for_transaction_receipt(tx)
            print(f"   the token's owner sends {call['function']}")
        self.wait("the name change completes", lambda: self.status(path) == "completed")
        both = [self.operator.get(f"/v1/reserves/{s}") for s in ("NVDA", "NVDX")]
        print(f"   completed: the token is {self.chain.token_symbol('NVDA')!r}; /v1/reserves/NVDA "
              f"and /v1/reserves/NVDX both answer {both[1]['economic_supply']} shares, holds="
              f"{both[0]['holds'] and both[1]['holds']}")

    def cash_merger(self) -> None:
        path, on = self._announce_tomorrow(
            "\n11. NVDX (the NVDA listing) is acquired for 55 USD a share in cash on {on}: the "
            "broker pays custody, the token is paused, each holder of record gets a stablecoin "
            "claim, every token is burned",
            ca_type="cash_merger", ca_sub_type="cash_merger", initiating_symbol="NVDX",
            target_symbol="ACME", cash=D("55.00"))
        self.holders("NVDA", {"participant": self.w.ap, "bob": self.w.bob})
        self.until_date(on)
        ca = self.proposed(path, "merger")
        print(f"   the token is paused ({self.chain.is_paused('NVDA')}); paying "
              f"{ca['net']} USD and burning every token wait for the approval")
        self.approved(path)
        self.settle()
        self.days_until(path, ("claimable", "halted", "completed"))
        ca = self.operator.get(path)
        if ca["status"] != "claimable":
            raise StackError(f"the merger is {ca['status']}: {ca['status_reason']}")
        print(f"   the broker converted {ca['custody_entitled']} shares into {ca['net']} USD; "
              f"the token is paused ({self.chain.is_paused('NVDA')}) and its supply is "
              f"{self.chain.total_supply('NVDA')}")
        claims = self.operator.get(f"{path}/claims")["claims"]
        unit = self.chain.stablecoin_unit()
        for name, wallet in (("participant", self.w.ap), ("bob", self.w.bob)):
            owed = next(c["amount"] for c in claims if c["wallet"] == wallet)
            print(f"   {name} may claim {D(owed) / unit} USD of stablecoin with the proof the "
                  "API serves")

    def spin_off(self) -> None:
        today = self.broker.clock().date
        record, payable = today + dt.timedelta(days=1), today + dt.timedelta(days=3)
        print(f"\n12. AAPL spins off APLS, 1 share for every 4 held at the end of {record}, "
              f"delivered on {payable}: the factory's owner lists APLS, the issuer attests "
              "custody's APLS and mints each AAPL holder of record their part")
        self.broker.set_asset("APLS", name="Apple Spinco", tradable=True, fractionable=True)
        self.broker.set_price("APLS", D(40))
        announced = self.broker.announce(
            ca_type="spin_off", ca_sub_type="spin_off", initiating_symbol="AAPL",
            target_symbol="APLS", old_rate=D(4), new_rate=D(1), declaration_date=today,
            ex_date=record, record_date=record, payable_date=payable)
        path = f"/v1/corporate-actions/{announced.corporate_action_id}"
        self.wait("the issuer picks up the spin-off", lambda: any(
            a["corporate_action_id"] == announced.corporate_action_id
            for a in self.operator.get("/v1/corporate-actions", symbol="AAPL")["items"]))
        self.until_date(payable)
        self.days_until(path, ("proposed", "halted"))
        ca = self.proposed(path, "spin-off")
        print(f"   custody received {ca['filled_qty']} APLS for {ca['custody_entitled']} AAPL; "
              f"the holders of record ({D(ca['raw_supply']) / ONE} raw AAPL at M "
              f"{D(ca['m0']) / ONE}) get {D(ca['supply_raw']) / ONE} APLS, "
              f"{ca['residue']} stay in custody")
        self.approved(path)
        self.wait("the listing's parameters are prepared", lambda: self.status(path) == "listing")
        call = self.operator.get(path)["owner_calls"][0]
        listed = subprocess.run(
            [sys.executable, "-m", "toolchain.run", "deploy.list_stock"], cwd=ROOT,
            env={**os.environ, "DEVNET_PORT": str(urlsplit(self.chain.settings.rpc_url).port),
                 "MANIFEST": str(self.chain.settings.manifest),
                 "LIST_SYMBOL": call["symbol"], "LIST_NAME": call["name"]},
            capture_output=True, text=True)
        if listed.returncode != 0:
            raise StackError(f"listing {call['symbol']} failed:\n{listed.stdout[-2000:]}"
                             f"{listed.stderr[-2000:]}")
        print(f"   the factory's owner lists {call['symbol']} ({call['name']!r}) with "
              "deploy.list_stock")
        self.wait("the spin-off completes", lambda: self.status(path) == "completed")
        for name, wallet in (("alice", self.w.alice), ("bob", self.w.bob)):
            print(f"   {name} holds {self.shares('APLS', wallet)} APLS "
                  f"(for {self.shares('AAPL', wallet)} AAPL)")
        report = self.operator.get("/v1/reserves/APLS")
        print(f"   APLS: supply {report['economic_supply']} shares, custody settled "
              f"{report['custody_settled']}, holds={report['holds']}")

    def reconcile(self) -> None:
        print("\n13. Reconciliation: tokens (economic shares) against settled custody")
        for report in self.operator.get("/v1/reserves"):
            print(f"   {report['symbol']}: supply {report['economic_supply']} shares, custody "
                  f"settled {report['custody_settled']}, surplus {report['surplus']}, "
                  f"holds={report['holds']}")
        print(f"   the public reserve page (no key): {self.issuer_url}/reserves; JSON and signed "
              f"snapshots under {self.issuer_url}/public/v1/reserves")

