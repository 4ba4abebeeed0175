"""``python -m devstack`` (``make up``): the whole stack on this machine, and its story.

Starts an anvil devnet, deploys the suite (shared identity registry, AAPL and NVDA), starts the
broker with seeded prices, a custody account and an authorized participant's account, starts
the issuer service (API + worker), prints where everything is and the demo API keys, then tells
the story (:mod:`devstack.story`) through the real APIs. Ctrl-C stops everything; every start
begins from a fresh devnet and fresh databases under ``.devstack/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import FrameType

from custody_mock.client import AccountTradingClient, BrokerClient
from custody_mock.schemas import TradingKeyOut
from custody_mock.settings import Settings as BrokerSettings
from devstack.processes import (
    ROOT,
    Processes,
    StackError,
    http_ready,
    rpc_ready,
    tail,
)
from devstack.story import Api, Story, Wallets
from issuer.chain import Chain
from issuer.config import Settings, dev_key
from issuer.db import make_engine
from issuer.schema import downgrade_to_empty, upgrade
from servicekit.calendar import NEW_YORK
from servicekit.tokenization import DEVNET as DEVNET_NETWORK

#: The issuer's name on the broker's tokenization network, and the participant's email there.
ITN_ISSUER, AP_EMAIL = "stockstack", "desk@participant.example"
#: Friday 2024-10-11, 10:00 New York: the Monday after is Columbus Day (NYSE open, banks
#: closed), so a Friday trade settles on Tuesday.
START = dt.datetime(2024, 10, 11, 10, 0, tzinfo=NEW_YORK)
D = Decimal


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep-running", action="store_true",
                        help="after the story, leave the stack up until Ctrl-C")
    parser.add_argument("--no-story", action="store_true",
                        help="start the stack and skip the story (with --keep-running: an "
                             "empty stack to use with the CLI)")
    parser.add_argument("--chain-port", type=int, default=8545)
    parser.add_argument("--broker-port", type=int, default=8700)
    parser.add_argument("--issuer-port", type=int, default=8800)
    parser.add_argument("--database-url", default=None,
                        help="the issuer's database (default: SQLite in the run folder); its "
                             "issuer tables are dropped at each start")
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".devstack",
                        help="logs, databases, manifest and env file (wiped at each start)")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="run the worker as N processes of its own (PostgreSQL "
                             "--database-url); default: a worker thread in the API process")
    parser.add_argument("--issuer-metrics-port", type=int, default=9800, metavar="PORT",
                        help="the issuer API's Prometheus port (its own, not the API's)")
    parser.add_argument("--broker-metrics-port", type=int, default=9700, metavar="PORT",
                        help="the broker's Prometheus port (its own, not the API's)")
    parser.add_argument("--worker-metrics-port", type=int, default=9810, metavar="PORT",
                        help="the first worker's Prometheus port (the next ones count up)")
    parser.add_argument("--worker-profile", type=Path, default=None, metavar="DIR",
                        help="profile each worker process into DIR/worker-N.prof (benchmarks)")
    args = parser.parse_args(argv)
    if args.workers < 0:
        parser.error("--workers is 0 or more")
    if args.workers > 1 and not (args.database_url or "").startswith("postgresql"):
        parser.error("--workers N (more than one) needs a PostgreSQL --database-url: SQLite "
                     "takes one worker")
    return args


def address(index: int) -> str:
    from eth_account import Account
    return str(Account.from_key(dev_key(index)).address)


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop the stack. SIGINT's handler is installed explicitly: a
    process started in the background by a non-interactive shell inherits SIGINT ignored, and
    Python then leaves it ignored."""
    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    run_dir: Path = args.run_dir
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    try:
        with Processes(run_dir) as procs:
            up(args, procs)
    except KeyboardInterrupt:
        print("\nstopped: anvil, the broker and the issuer are down")
        return 130
    except StackError as exc:
        print(f"\nFAILED: {exc}\nlogs in {run_dir}", file=sys.stderr)
        return 1
    return 0


def up(args: argparse.Namespace, procs: Processes) -> None:
    run_dir: Path = args.run_dir
    python = sys.executable
    rpc = f"http://127.0.0.1:{args.chain_port}"
    broker_url = f"http://127.0.0.1:{args.broker_port}"
    issuer_url = f"http://127.0.0.1:{args.issuer_port}"
    t0 = time.monotonic()

    anvil = shutil.which("anvil", path=f"{ROOT / 'node_modules/.bin'}:{os.environ['PATH']}")
    if anvil is None:
        raise StackError("anvil not found: run `make setup` first")
    procs.start("anvil", [anvil, "--port", str(args.chain_port), "--accounts", "10",
                          "--gas-limit", "12000000", "--base-fee", "0"],
                ready=rpc_ready(rpc), port=args.chain_port)
    deployed = subprocess.run([python, "-m", "toolchain.run", "devstack.deploy"], cwd=ROOT,
                              env={**os.environ, "DEVNET_PORT": str(args.chain_port),
                                   "DEVSTACK_DIR": str(run_dir)},
                              capture_output=True, text=True)
    (run_dir / "deploy.log").write_text(deployed.stdout + deployed.stderr)
    if deployed.returncode != 0:
        raise StackError(f"the deployment failed:\n{tail(run_dir / 'deploy.log')}")
    manifest = next(run_dir.glob("*.json"))

    procs.start("broker", [python, "-m", "custody_mock", "--port", str(args.broker_port),
                           "--database-url", f"sqlite:///{run_dir / 'broker.db'}",
                           "--start", START.isoformat()],
                env={"CUSTODY_MOCK_METRICS_PORT": str(args.broker_metrics_port)},
                ready=http_ready(f"{broker_url}/healthz"), port=args.broker_port)
    with BrokerClient(broker_url) as broker:
        for symbol, price in (("AAPL", "200"), ("NVDA", "100")):
            broker.set_asset(symbol)
            broker.set_price(symbol, D(price))
        custody = broker.create_account(given_name="Issuer", family_name="Custody",
                                        country_of_tax_residence="CHE").id
        broker.set_account_flags(custody, firm=True)   # share journals out (in-kind redemptions)
        broker.deposit(custody, D("10000000"))
        ap = broker.create_account(given_name="Authorized", family_name="Participant").id
        broker.deposit(ap, D("1000000"))
        # the stablecoin on-ramp: cash paid to holders as claims (a cash merger) goes here
        onramp = broker.create_account(given_name="Stablecoin", family_name="On-ramp").id
        # the participant's own Trading API key pair: it acts on its account and nothing else
        # (the Broker API credentials are the issuer's, the control API's the broker's)
        ap_key = broker.create_trading_key(ap)

    keys = {name: secrets.token_urlsafe(24) for name in ("admin",)}
    itn_key = secrets.token_urlsafe(24)   # what the issuer gives the broker for its ITN routes
    wallets = Wallets(redemption=address(5), ap=address(6), alice=address(7), bob=address(8),
                      outsider=address(9))
    database_url = args.database_url or f"sqlite:///{run_dir / 'issuer.db'}"
    if args.database_url:
        empty_database(database_url)
    issuer_env = {"ISSUER_DATABASE_URL": database_url, "ISSUER_RPC_URL": rpc,
                  "ISSUER_MANIFEST": str(manifest), "ISSUER_BROKER_URL": broker_url,
                  "ISSUER_BROKER_ACCOUNT_ID": custody, "ISSUER_ONRAMP_ACCOUNT_ID": onramp,
                  "ISSUER_REDEMPTION_WALLET": wallets.redemption,
                  "ISSUER_BOOTSTRAP_ADMIN_KEY": keys["admin"], "ISSUER_ITN_API_KEY": itn_key,
                  "ISSUER_METRICS_PORT": str(args.issuer_metrics_port),
                  # the broker's price reaches the devnet's price feeds within seconds (the
                  # story's simulated days pass in seconds too)
                  "ISSUER_PRICE_REPORT_INTERVAL": "5",
                  **{k: v for k, v in os.environ.items() if k.startswith("ISSUER_PRICE_")}}
    procs.start("issuer", [python, "-m", "issuer", "--port", str(args.issuer_port),
                           *(["--no-worker"] if args.workers else [])],
                env=issuer_env, ready=http_ready(f"{issuer_url}/v1/health"),
                port=args.issuer_port)
    for n in range(args.workers):   # each its own process, log and metrics port
        port = args.worker_metrics_port + n
        profile = ([] if args.worker_profile is None else
                   ["--profile", str(args.worker_profile / f"worker-{n + 1}.prof")])
        procs.start(f"worker-{n + 1}", [python, "-m", "issuer", "worker", "--metrics-port",
                                        str(port), *profile],
                    env=issuer_env, ready=http_ready(f"http://127.0.0.1:{port}/metrics"),
                    port=port)

    admin = Api(issuer_url, keys["admin"])
    # the approver is a second person with the admin role: large creations need an admin
    # checker, and the bootstrap admin issued the operator's key, so it may not check them
    for name, role in (("operator", "operator"), ("approver", "admin"),
                       ("compliance", "compliance")):
        keys[name] = admin.post("/v1/api-keys", {"name": f"demo-{name}", "role": role,
                                                 "operator": f"demo {name}"})["key"]
    compliance = Api(issuer_url, keys["compliance"])
    for wallet in (wallets.ap, wallets.redemption):   # the issuer's own wallets, verified
        compliance.post("/v1/investors", {"wallet": wallet, "country": 840})
    deadline = time.monotonic() + 60
    while any(admin.get(f"/v1/investors/{w}")["status"] != "active"
              for w in (wallets.ap, wallets.redemption)):
        if time.monotonic() > deadline:
            raise StackError("the participant's and the redemption wallets were not onboarded")
        time.sleep(0.2)
    participant = admin.post("/v1/participants", {"name": "Authorized Participant",
                                                  "broker_account_id": ap,
                                                  "wallet": wallets.ap,
                                                  "email": AP_EMAIL})["id"]
    with BrokerClient(broker_url) as broker:   # the issuer on the tokenization network
        broker.set_tokenization_issuer(ITN_ISSUER, account_id=custody, base_url=issuer_url,
                                       api_key=itn_key, networks=[DEVNET_NETWORK])
        broker.link_tokenization(ap, ITN_ISSUER, AP_EMAIL)
    write_env(run_dir, issuer_url, keys, participant, ap_key, itn_key)
    env_file = shown(run_dir / "env")

    workers = (f"operator API; {args.workers} worker process(es)" if args.workers
               else "operator API + worker")
    worker_metrics = "".join(f", http://127.0.0.1:{args.worker_metrics_port + n}/metrics"
                             for n in range(args.workers))
    print(f"""The stack is up ({time.monotonic() - t0:.0f} s):
  chain    {rpc}  (anvil, chain id 31337; manifest {shown(manifest)})
  broker   {broker_url}/docs  (mock Alpaca Broker API; custody account {custody},
           participant account {ap}; simulated clock {START:%a %Y-%m-%d %H:%M} New York)
  issuer   {issuer_url}/docs  ({workers}; database {database_url})
  console  {issuer_url}/console  (the operator console: sign in with an API key below)
  reserves {issuer_url}/reserves  (public page, no key; JSON and signed snapshots under
           {issuer_url}/public/v1/reserves; Chainlink-shaped feeds in the manifest)
           metrics http://127.0.0.1:{args.issuer_metrics_port}/metrics, \
http://127.0.0.1:{args.broker_metrics_port}/metrics{worker_metrics}
  API keys admin      {keys['admin']}
           operator   {keys['operator']}
           approver   {keys['approver']}   (a second person, admin: approves what the operator asks)
           compliance {keys['compliance']}
  participant {participant}   wallet {wallets.ap}
  logs, and `source {env_file}` for the CLI and curl: {shown(run_dir)}/""")

    if not args.no_story:
        with BrokerClient(broker_url) as broker, AccountTradingClient(
                broker_url, key_id=ap_key.key_id, secret=ap_key.secret) as ap_trading:
            chain = Chain(Settings(rpc_url=rpc, manifest=manifest))
            Story(issuer_url=issuer_url, keys=keys, broker=broker, chain=chain,
                  participant_id=participant, ap_account=ap, ap_trading=ap_trading,
                  wallets=wallets).run()
            print(f"\nThe story took {time.monotonic() - t0:.0f} s in all.")
    if args.keep_running:
        print(f"\nThe stack stays up; Ctrl-C stops it. Try:\n"
              f"  source {env_file}\n"
              f"  .venv/bin/python -m issuer.cli reserves\n"
              f"  curl -s -H \"X-API-Key: $ISSUER_API_KEY\" $ISSUER_API_URL/v1/holders/AAPL\n")
        while True:
            procs.check_alive()
            time.sleep(1)


def empty_database(url: str) -> None:
    """The issuer's tables in a database given with --database-url start empty, as the fresh
    devnet does (a SQLite file in the run folder is new anyway)."""
    engine = make_engine(url)
    try:
        upgrade(engine)               # a database of any earlier revision, or none
        downgrade_to_empty(engine)
    finally:
        engine.dispose()


def shown(path: Path) -> str:
    """``path`` relative to the project when it is inside it (for a shorter message)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def write_env(run_dir: Path, issuer_url: str, keys: dict[str, str], participant: str,
              ap_key: TradingKeyOut, itn_key: str) -> None:
    """Shell variables for the CLI and curl (``source .devstack/env``): each party's own
    credentials (the issuer's operators, the broker's partner and control credentials, the
    participant's Trading API key pair)."""
    defaults = BrokerSettings()
    (run_dir / "env").write_text(
        f"export ISSUER_API_URL={issuer_url}\n"
        f"export ISSUER_API_KEY={keys['operator']}\n"
        f"export ISSUER_APPROVER_KEY={keys['approver']}\n"
        f"export ISSUER_COMPLIANCE_KEY={keys['compliance']}\n"
        f"export ISSUER_ADMIN_KEY={keys['admin']}\n"
        f"export PARTICIPANT_ID={participant}\n"
        f"export BROKER_API_KEY={defaults.api_key.get_secret_value()}\n"
        f"export BROKER_API_SECRET={defaults.api_secret.get_secret_value()}\n"
        f"export BROKER_CONTROL_KEY={defaults.control_key.get_secret_value()}\n"
        f"export BROKER_CONTROL_SECRET={defaults.control_secret.get_secret_value()}\n"
        f"export PARTICIPANT_ACCOUNT_ID={ap_key.account_id}\n"
        f"export PARTICIPANT_TRADING_KEY_ID={ap_key.key_id}\n"
        f"export PARTICIPANT_TRADING_SECRET={ap_key.secret}\n"
        f"export ISSUER_ITN_API_KEY={itn_key}\n")


if __name__ == "__main__":
    sys.exit(main())
