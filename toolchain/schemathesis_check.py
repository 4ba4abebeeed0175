"""Property-based conformance of both services' OpenAPI documents, with schemathesis.

Starts the whole stack (``python -m devstack --keep-running --no-story``) on ports of its own,
then runs ``schemathesis run --checks all`` against the live issuer and the live broker, each
part with the credential its operations take and bounded by examples and time, the issuer's
parts and the broker's at the same time, and stops the stack. Any failure fails the run.
schemathesis lives in ``.venv-schemathesis`` (created by the Makefile): it needs a newer
hypothesis than brownie pins.

Usage: ``.venv/bin/python toolchain/schemathesis_check.py [--max-examples N] [--max-time S]``.
"""

from __future__ import annotations

import argparse
import base64
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = ROOT / ".venv-schemathesis" / "bin" / "schemathesis"
RUN_DIR = ROOT / ".run" / "schemathesis"
#: The issuer's tokenization routes (the broker calls them with the issuer's ITN key).
NETWORK_PATHS = "^/(accounts/connect|tokenized-assets|inkind/issuance)"
PORTS = {"chain": 8645, "broker": 8750, "issuer": 8850, "issuer_metrics": 9850,
         "broker_metrics": 9750}


def read_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.removeprefix("export ").strip()
        if "=" in line:
            name, _, value = line.partition("=")
            values[name] = shlex.split(value)[0] if value else ""
    return values


def start_stack() -> subprocess.Popen[bytes]:
    RUN_DIR.parent.mkdir(parents=True, exist_ok=True)
    (RUN_DIR / "env").unlink(missing_ok=True)  # a previous run's: wait for this run's own
    log = (RUN_DIR.parent / "schemathesis-stack.log").open("wb")
    stack = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--keep-running", "--no-story",
         "--chain-port", str(PORTS["chain"]), "--broker-port", str(PORTS["broker"]),
         "--issuer-port", str(PORTS["issuer"]), "--issuer-metrics-port",
         str(PORTS["issuer_metrics"]), "--broker-metrics-port", str(PORTS["broker_metrics"]),
         "--run-dir", str(RUN_DIR)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        # schemathesis sends deliberately wrong keys to check authentication: no throttle, or
        # its 429s would answer the examples after them
        env={**os.environ, "ISSUER_AUTH_FAILURE_LIMIT": "0"})
    deadline = time.monotonic() + 240
    while not (RUN_DIR / "env").exists():
        if stack.poll() is not None or time.monotonic() > deadline:
            stop_stack(stack)
            sys.exit(f"the stack did not start; see {log.name}")
        time.sleep(0.5)
    return stack


def stop_stack(stack: subprocess.Popen[bytes]) -> None:
    if stack.poll() is None:
        os.killpg(stack.pid, signal.SIGINT)
        try:
            stack.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)


def run(name: str, url: str, header: str, args: argparse.Namespace,
        extra: tuple[str, ...] = (), max_time: int | None = None) -> tuple[int, str]:
    """One part: its exit code (non-zero on a failure) and its report."""
    httpx.get(url, timeout=10).raise_for_status()  # the document is served
    command = [str(SCHEMATHESIS), "run", url, "--checks", "all", "--header", header,
               "--max-examples", str(args.max_examples), "--max-time",
               str(max_time or args.max_time),
               "--request-timeout", "20", "--generation-deterministic",
               "--suppress-health-check", "all",
               # replaced by the hooks' variant that reads x-refusals-beyond-schema
               "--exclude-checks", "positive_data_acceptance", *extra]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "toolchain.schemathesis_hooks",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True,
                          text=True)
    report = f"\n== schemathesis against the {name}: {url}\n" + done.stdout + done.stderr
    if "401 Unauthorized (" in done.stdout:
        # an operation fuzzed with the wrong credential is an operation not fuzzed at all (a 403
        # alone is the broker refusing a state, e.g. an AP not linked to a random issuer)
        report += f"schemathesis: some {name} operations were reached only as 401\n"
        return done.returncode or 1, report
    return done.returncode, report


def in_order(parts: list[Callable[[], tuple[int, str]]]) -> tuple[int, str]:
    """Run ``parts`` one after the other: how many failed, and their reports."""
    failures, reports = 0, []
    for part in parts:
        code, report = part()
        failures += 1 if code else 0
        reports.append(report)
    return failures, "".join(reports)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("--max-time", type=int, default=240)
    parser.add_argument("--service", choices=("issuer", "broker", "both"), default="both")
    args = parser.parse_args()
    if not SCHEMATHESIS.exists():
        sys.exit(f"{SCHEMATHESIS} is missing: run `make schemathesis-venv`")
    stack = start_stack()
    try:
        env = read_env(RUN_DIR / "env")
        admin = env["ISSUER_ADMIN_KEY"]
        issuer = f"http://127.0.0.1:{PORTS['issuer']}/openapi.json"
        broker = f"http://127.0.0.1:{PORTS['broker']}/openapi.json"

        def basic(key: str, secret: str) -> str:
            return "Authorization: Basic " + base64.b64encode(
                f"{env[key]}:{env[secret]}".encode()).decode()

        # each part with the credential it takes: the operator API with an admin key, the
        # tokenization routes with the key the issuer gave the broker
        issuer_parts: list[Callable[[], tuple[int, str]]] = [
            lambda: run("issuer (operator API)", issuer, f"X-API-Key: {admin}", args,
                        ("--exclude-path-regex", NETWORK_PATHS)),
            lambda: run("issuer (tokenization routes)", issuer,
                        f"X-API-Key: {env['ISSUER_ITN_API_KEY']}", args,
                        ("--include-path-regex", NETWORK_PATHS), max_time=args.max_time // 3)]
        # each part of the broker with the credentials it takes: the Broker API (and the
        # market data calls) with the partner's, the Trading API with the participant's own
        # key pair, the control API with its own; injecting faults makes the broker answer
        # 5xx and time out, by design: the operation that injects them is left out (list and
        # clear stay in)
        broker_parts: list[Callable[[], tuple[int, str]]] = [
            lambda: run("broker (Broker API)", broker,
                        basic("BROKER_API_KEY", "BROKER_API_SECRET"), args,
                        ("--exclude-path-regex", "^/(_mock/|v2/(?!stocks/))")),
            lambda: run("broker (Trading API)", broker,
                        f"APCA-API-KEY-ID: {env['PARTICIPANT_TRADING_KEY_ID']}", args,
                        ("--header", f"APCA-API-SECRET-KEY: {env['PARTICIPANT_TRADING_SECRET']}",
                         "--include-path-regex", "^/v2/(?!stocks/)"),
                        max_time=args.max_time // 3),
            lambda: run("broker (control API)", broker,
                        basic("BROKER_CONTROL_KEY", "BROKER_CONTROL_SECRET"), args,
                        ("--include-path-regex", "^/_mock/",
                         "--exclude-operation-id", "add_fault__mock_faults_post",
                         # setting up a tokenization issuer fetches the URL it is given
                         "--exclude-operation-id",
                         "set_issuer__mock_tokenization_issuers__name__put"),
                        max_time=args.max_time // 3)]
        groups = {"issuer": issuer_parts, "broker": broker_parts}
        chosen = [parts for name, parts in groups.items() if args.service in (name, "both")]
        # the two services at the same time (each part keeps its whole time budget; the two
        # servers and two clients share the CPUs), their reports printed in order after
        with ThreadPoolExecutor(len(chosen)) as pool:
            results = list(pool.map(in_order, chosen))
        failures = sum(count for count, _ in results)
        for _, report in results:
            sys.stdout.write(report)
        sys.stdout.flush()
    finally:
        stop_stack(stack)
    print("schemathesis: " + ("clean" if failures == 0 else "FAILURES (see above)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
