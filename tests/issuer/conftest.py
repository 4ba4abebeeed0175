"""The issuer against the real things: the token suite on anvil (deployed by our brownie
scripts), the broker service over HTTP, and a database (SQLite file; PostgreSQL with
``ISSUER_TEST_DATABASE=postgresql``).

Each test starts from a chain snapshot taken after the deployment and onboarding, an empty
broker at ``START`` and an empty issuer database.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy

from custody_mock.client import BrokerClient
from custody_mock.settings import Settings as BrokerSettings
from issuer import operations, worker
from issuer.api.auth import create_key
from issuer.app import create_app
from issuer.broker import AlpacaBroker
from issuer.broker.tickers import TickerBroker
from issuer.config import Settings
from issuer.models import ChainTx, CorporateAction, Creation, Investor, Redemption
from issuer.service import Issuer
from servicekit.calendar import NEW_YORK
from tests.support import database_url, serve, serve_app

D = Decimal
US = 840
#: Friday 2024-10-11, 10:00 New York: the Monday after is Columbus Day.
START = dt.datetime(2024, 10, 11, 10, 0, tzinfo=NEW_YORK)


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("issuer_broker") / "broker.db"
    with serve(BrokerSettings(database_url=f"sqlite:///{db}", start=START)) as url:
        yield url


class DeployedState:
    """The suite deployed once per test session (per xdist worker) and an anvil snapshot of
    the chain right after it: each test reverts to it. brownie's one ``chain.snapshot()`` slot
    is the contract tests' isolation, and their ``module_isolation`` resets the chain to its
    start (spending every later snapshot) when a contracts module runs in the same worker: a
    snapshot found spent is replaced by deploying again."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self.deploys = 0
        self._deploy()

    def _deploy(self) -> None:
        from brownie import accounts

        from deploy.deploy_suite import DEFAULT_STOCKS
        from deploy.suite import Roles, deploy_suite

        suite = deploy_suite(Roles.from_accounts(accounts))
        for cfg in DEFAULT_STOCKS:
            suite.list_stock(cfg)
        suite.onboard(accounts[6], US)   # the authorized participant's wallet
        suite.onboard(accounts[7], US)   # an investor
        suite.onboard(accounts[5], US)   # the issuer's redemption wallet
        self.suite = suite
        self.manifest = suite.write_manifest(self._tmp.mktemp("deployments"))
        self.snapshot = self._rpc("evm_snapshot")
        self.deploys += 1
        self._reset_id = self._brownie_reset_id()

    @staticmethod
    def _brownie_reset_id() -> object:
        """brownie's chain-reset snapshot: it changes whenever ``module_isolation`` resets the
        chain (to its start, spending the snapshots after it, whose ids anvil then reuses)."""
        from brownie import chain

        return chain._reset_id

    @staticmethod
    def _rpc(method: str, *params: object) -> object:
        from brownie import web3

        answer = web3.provider.make_request(method, list(params))
        return answer.get("result", False)

    def restore(self) -> None:
        """Back to the deployed state, by anvil's own snapshot (the issuer tests move the
        chain's clock through the RPC too, so brownie keeps no offset of theirs; its revert,
        which also walks every contract object it knows, cost half a second a test). The
        snapshot is taken again, as anvil spends it."""
        from brownie import history, web3

        if self._brownie_reset_id() != self._reset_id or \
                self._rpc("evm_revert", self.snapshot) is not True:
            self._deploy()   # the chain was reset under it (a contracts module ran here)
        else:
            self.snapshot = self._rpc("evm_snapshot")
        # brownie's record of sent transactions, which its accounts read their next nonce
        # from, forgets what the revert undid (what its own revert does, without walking the
        # garbage collector and every contract object)
        history._revert(web3.eth.block_number)


@pytest.fixture(scope="session")
def deployed_state(tmp_path_factory: pytest.TempPathFactory) -> DeployedState:
    """About a second of anvil work that every test module used to repeat."""
    return DeployedState(tmp_path_factory)


@pytest.fixture
def deployed(deployed_state: DeployedState) -> tuple[object, Path]:
    """The deployed suite and its manifest, the chain reverted to right after deploying."""
    deployed_state.restore()
    return deployed_state.suite, deployed_state.manifest


@dataclass
class Stack:
    issuer: Issuer
    broker: BrokerClient
    participant_id: str
    ap_account: str
    custody_account: str
    ap_wallet: str
    suite: object
    #: What the lifecycles looked like at the end of each day ``until`` waited (for messages).
    trail: list = field(default_factory=list)
    #: Every reconciliation the worker's passes produced (the invariant at every step).
    reports: list = field(default_factory=list)

    def _pass(self) -> None:
        self.reports.extend(worker.run_once(self.issuer).values())

    def run(self, passes: int | None = None) -> None:
        """Run worker passes: ``passes`` of them, or until nothing changes any more."""
        if passes is not None:
            for _ in range(passes):
                self._pass()
            return
        before = None
        for _ in range(40):
            self._pass()
            now = self._fingerprint()
            if now == before and not now[2]:
                return
            if now[2]:
                time.sleep(0.05)  # the node has not mined what was sent yet
            before = now
        raise AssertionError(f"the worker keeps changing state: {now}")

    def _fingerprint(self) -> tuple:
        """Lifecycle states, and transactions still in flight (a pass is not the last one
        while the node has not mined what was sent)."""
        with self.issuer.session() as db:
            return (tuple(db.execute(sqlalchemy.select(Creation.id, Creation.status,
                                                       Creation.status_reason)).all()),
                    tuple(db.execute(sqlalchemy.select(Redemption.id, Redemption.status,
                                                       Redemption.status_reason)).all()),
                    tuple(db.execute(sqlalchemy.select(ChainTx.id, ChainTx.status).where(
                        ChainTx.status.in_(("signed", "sent")))).all()),
                    tuple(db.execute(sqlalchemy.select(Investor.wallet, Investor.status))
                          .all()),
                    tuple(db.execute(sqlalchemy.select(
                        CorporateAction.id, CorporateAction.status,
                        CorporateAction.status_reason)).all()))

    def creation(self, creation_id: str) -> Creation:
        with self.issuer.session() as db:
            row = db.get(Creation, creation_id)
            assert row is not None
            db.expunge(row)
            return row

    def redemption(self, redemption_id: str) -> Redemption:
        with self.issuer.session() as db:
            row = db.get(Redemption, redemption_id)
            assert row is not None
            db.expunge(row)
            return row

    def journals_for(self, client_id: str) -> list:
        """The broker's journals the issuer made under ``client_id`` (Alpaca's journals have
        no client id: the issuer's adapter writes it into the description)."""
        return [j for j in self.broker.journals()
                if j.description.endswith(f"[ref:{client_id}]")]

    def create(self, qty: str, symbol: str = "AAPL", kind: str = "cash") -> str:
        with self.issuer.session() as db:
            return operations.request_creation(
                self.issuer, db, participant_id=self.participant_id, symbol=symbol,
                qty=D(qty), kind=kind, actor="test").id

    def redeem(self, qty: str, symbol: str = "AAPL", kind: str = "cash") -> str:
        with self.issuer.session() as db:
            return operations.request_redemption(
                self.issuer, db, participant_id=self.participant_id, symbol=symbol,
                qty=D(qty), kind=kind, actor="test").id

    def until(self, done: Callable[[], bool], *, days: int = 10) -> list[dt.date]:
        """Run the worker each broker day (end of day between) until ``done``; the dates seen."""
        seen = []
        for _ in range(days):
            self.run()
            seen.append(self.broker.clock().date)
            if done():
                return seen
            self.trail.append((seen[-1], self._fingerprint()))
            self.eod()
        raise AssertionError(f"not done after {days} broker days: {seen}")

    def restart(self, **changes: object) -> None:
        """The issuer closed and started again from its settings with ``changes`` (as an
        operator would redeploy it), the broker port reading renames as the fixture's does."""
        settings = self.issuer.settings.replace(**changes)
        self.issuer.close()
        self.issuer = Issuer(settings)
        self.issuer.broker = TickerBroker(AlpacaBroker(settings.broker_url, backoff=0.01),
                                          self.issuer.renames)

    def eod(self) -> None:
        """The broker's end of day to the next open, and the chain's clock moved as far: the
        two clocks run together, as they do on a live system."""
        before = self.broker.clock().now
        after = self.broker.end_of_day().now
        self.advance_chain(int((after - before).total_seconds()))

    def set_clock(self, moment: dt.datetime) -> None:
        """Set the broker's clock to ``moment`` and move the chain's as far (never back)."""
        before = self.broker.clock().now
        after = self.broker.set_clock(moment).now
        if after > before:
            self.advance_chain(int((after - before).total_seconds()))

    def advance_chain(self, seconds: int) -> None:
        w3 = self.issuer.chain.w3
        w3.provider.make_request("evm_increaseTime", [seconds])
        w3.provider.make_request("evm_mine", [])

    def to_date(self, day: dt.date) -> None:
        """Run the worker each broker day until the broker's date is ``day``."""
        while self.broker.clock().date < day:
            self.run()
            self.eod()
        self.run()

    def invariant_held(self) -> bool:
        return bool(self.reports) and all(r.holds for r in self.reports)

    def run_report(self, symbol: str):  # noqa: ANN201
        """The invariant check the worker runs, once, for ``symbol``."""
        from issuer.reserves import check_invariant

        with self.issuer.session() as db:
            return check_invariant(self.issuer, db, symbol)

    def tokens(self, wallet: str | None = None, symbol: str = "AAPL") -> int:
        return self.issuer.chain.balance(symbol, wallet or self.ap_wallet)


@pytest.fixture
def stack(deployed, broker_url, tmp_path) -> Iterator[Stack]:
    from brownie import accounts, web3

    suite, manifest = deployed
    with BrokerClient(broker_url, backoff=0.01) as broker, database_url(tmp_path) as db_url:
        broker.reset(START)
        for symbol, price in (("AAPL", "200"), ("NVDA", "100")):
            broker.set_asset(symbol)
            broker.set_price(symbol, D(price))
        custody = broker.create_account(given_name="Issuer", family_name="Custody").id
        broker.set_account_flags(custody, firm=True)   # the source of share journals out
        broker.deposit(custody, D("10000000"))
        ap = broker.create_account(given_name="Authorized", family_name="Participant").id
        broker.deposit(ap, D("1000000"))
        issuer = Issuer(Settings(database_url=db_url, manifest=manifest,
                                 rpc_url=web3.provider.endpoint_uri,   # brownie's anvil
                                 broker_url=broker_url, broker_account_id=custody,
                                 redemption_wallet=accounts[5].address,
                                 # their own tests run them
                                 price_report_interval=0, public_refresh=0))
        issuer.broker = TickerBroker(AlpacaBroker(broker_url, backoff=0.01), issuer.renames)
        with issuer.session() as db:
            participant = operations.register_participant(
                issuer, db, name="AP One", broker_account_id=ap,
                wallet=accounts[6].address, actor="test").id
        running = Stack(issuer, broker, participant, ap, custody, accounts[6].address, suite)
        yield running
        running.issuer.close()  # a restart test may have replaced it (the old one is closed)


@pytest.fixture
def migrated_db(tmp_path) -> Iterator[object]:
    """A session on a fresh issuer database at the newest revision, no chain, no broker (the
    unit layer's database)."""
    from sqlalchemy.orm import sessionmaker

    from issuer.schema import upgrade

    with database_url(tmp_path) as url:
        engine = sqlalchemy.create_engine(url)
        upgrade(engine)
        with sessionmaker(engine)() as session:
            yield session
        engine.dispose()


class Api:
    def __init__(self, url: str, key: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30)

    def get(self, path: str, **params: object) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, body: dict | None = None, key: str | None = None) -> httpx.Response:
        return self.http.post(path, json=body or {},
                              headers={"Idempotency-Key": key or str(uuid.uuid4())})


@pytest.fixture
def keys(stack) -> dict[str, str]:
    out = {}
    with stack.issuer.session() as db:
        for name, role in (("admin", "admin"), ("ops", "operator"), ("ops2", "operator"),
                           ("cmp", "compliance"), ("cmp2", "compliance"),
                           ("view", "viewer")):
            out[name] = create_key(db, name, role)[1]
    return out


@pytest.fixture
def api(stack, keys) -> Iterator[dict[str, Api]]:
    app = create_app(issuer=stack.issuer)
    with serve_app(app) as url:
        clients = {name: Api(url, key) for name, key in keys.items()}
        yield clients
        for client in clients.values():
            client.http.close()
