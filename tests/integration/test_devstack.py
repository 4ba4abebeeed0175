"""``make up`` as a newcomer runs it: ``python -m devstack`` starts anvil, deploys, starts the
broker and the issuer as processes, tells the story through the real APIs, stays up with
``--keep-running``, stops everything on Ctrl-C and starts again.

On PostgreSQL (``ISSUER_TEST_DATABASE=postgresql``) the issuer uses its own schema there.
Ports are free ones, so the test runs beside the suite's own devnet.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx

from tests.support import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]
D = Decimal


class Running:
    """``python -m devstack`` with its output read line by line in a thread."""

    def __init__(self, *args: str) -> None:
        self.run_dir = args[args.index("--run-dir") + 1]
        # started with SIGINT ignored, as a shell's background job is: Ctrl-C must still work
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", *args], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:     # a failed assertion: never leave the stack up
            self.stop(signal.SIGTERM)

    def until(self, text: str, timeout: float = 300) -> str:
        """Output up to the first line containing ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if text in line:
                return "\n".join(self.lines)
        raise AssertionError(f"no {text!r} in the output:\n" + "\n".join(self.lines[-60:]))

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Send ``sig``; its exit code (None, after a SIGKILL, when it did not stop)."""
        self.process.send_signal(sig)
        try:
            code: int | None = self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()       # then the children, which run in their own sessions
            subprocess.run(["pkill", "-f", str(self.run_dir)], check=False)
            self.process.wait()
            code = None
        self.until_end()
        return code

    def until_end(self) -> None:
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)


def env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        name, value = line.removeprefix("export ").split("=", 1)
        out[name] = value
    return out


def console_pages(url: str, key: str) -> list[str]:
    """Sign in to the operator console with ``key`` (a form, as a browser posts it) and open
    every page its navigation and lists link to, one level deep; each must answer 200."""
    import re

    with httpx.Client(base_url=url, timeout=30) as http:
        sign_in = http.get("/console/sign-in")
        token = re.search(r'name="csrf" value="([^"]+)"', sign_in.text)
        assert token is not None
        signed = http.post("/console/sign-in", data={"csrf": token.group(1), "api_key": key})
        assert signed.status_code == 303, signed.text
        seen: list[str] = []
        todo = ["/console/overview"]
        while todo:
            path = todo.pop(0)
            answer = http.get(path)
            assert answer.status_code == 200, (path, answer.text[:2000])
            seen.append(path)
            if path.count("/") > 2:   # a detail page: its links are not followed further
                continue
            for link in re.findall(r'href="(/console/[^"?#]+)"', answer.text):
                if link not in seen and link not in todo and not link.endswith(
                        ("/approve", "/reject", ".csv")):
                    todo.append(link)
        return seen


def port_open(port: int) -> bool:
    import socket
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_one_command_tells_the_story_stays_up_stops_on_ctrl_c_and_starts_again(tmp_path):
    ports = {"--chain-port": free_port(), "--broker-port": free_port(),
             "--issuer-port": free_port(), "--issuer-metrics-port": free_port(),
             "--broker-metrics-port": free_port()}
    flags = [str(x) for pair in ports.items() for x in pair]
    run_dir = tmp_path / "run"
    with database_url(tmp_path) as db_url:
        with Running("--keep-running", *flags, "--run-dir", str(run_dir), "--database-url",
                     db_url) as stack:
            out = stack.until("The stack stays up")
            # the story's figures, computed by hand: 100 AAPL at M0 = 1, 0.25 USD gross =
            # 25.00, 30 % withheld = 7.50, net 17.50 buys 17.50 / 200 = 0.0875 shares;
            # M1 = 1 + 0.0875 / 100 = 1.000875; alice's 30 become 30.02625
            assert "filled 100 at 200, settled 100, tokens minted 100" in out
            assert "Mon 2024-10-14" in out and "settled None" in out  # Columbus Day: not yet
            assert 'code 5, "Receiver is not a verified investor"' in out
            assert "the transfer reverts: ReceiverNotVerified" in out
            assert "gross 25, withheld 7.5, net 17.5 reinvested in 0.0875 shares" in out
            assert "M1 = M0 * (1 + 0.0875 / 100) = 1.000875" in out
            assert "alice: 30 -> 30.02625 AAPL shares, raw balance unchanged (30)" in out
            assert "price 100 -> 50 at the broker, M 1 -> 2" in out
            # the tokenization network: a mint from the AP's own shares, and a redemption
            assert "shares journaled to custody (completed), 10 AAPL minted in" in out
            assert "completed in" in out and "(shares journaled back, tokens burned)" in out
            assert "the participant's own AAPL at the broker: 9.0035 settled" in out
            # the shareholder meeting: entitlements at M = 1.000875 (30 and 20 raw), alice
            # splits 15.013125 / 15.013125, bob's second ballot (for, Ada) replaces his first
            assert "alice may vote 30.02625, bob 20.0175" in out
            assert "a stranger's ballot is refused: 403 not_holder_of_record" in out
            assert ("{'1': {'against': '15.013125', 'for': '35.030625'}, "
                    "'2': {'Ada': '20.0175', 'Grace': '30.02625'}}") in out
            assert "result of 1: passed {'for': '5035.030625', 'against': '5005.013125'" in out
            # the name change: NVDA's 80 custody shares under NVDX, no supply change
            assert "custody 80 NVDX shares for 40 raw tokens at M 2" in out
            assert "the token's owner sends setName(" in out
            assert "both answer 80 shares, holds=True" in out
            # the cash merger: 80 shares at 55 USD = 4,400 USD; the participant's 60 shares
            # (30 raw at M 2) claim 3,300 USD, bob's 20 (10 raw) 1,100 USD
            assert "the broker converted 80 shares into 4400" in out
            assert "the token is paused (True) and its supply is 0" in out
            assert "participant may claim 3300 USD" in out and "bob may claim 1100 USD" in out
            # the spin-off, 1 APLS for 4 AAPL: custody's 86.084 AAPL get 21.521 APLS. The
            # holders' R' = 86.008742350443362057e18 raw (the redemption wallet left out) at
            # M0 = 1.000875 are owed floor(R' * M0 / 4 / 1e18) = 21.520999999999999999e18 raw,
            # under the 21.521e18 custody received, so D is that; alice's 30 raw get
            # floor(30e18 * D / R') = 7.506562499999999999e18, bob's 20 5.004374999999999999e18;
            # the floors leave 3 raw units of APLS in custody
            assert "custody received 21.521 APLS for 86.084 AAPL" in out
            assert "(86.008742350443362057 raw AAPL at M 1.000875)" in out
            assert "get 21.520999999999999997 APLS, 0.000000000000000003 stay in custody" in out
            assert "alice holds 7.506562499999999999 APLS" in out
            assert "bob holds 5.004374999999999999 APLS" in out
            assert "APLS: supply 21.520999999999999997 shares, custody settled 21.521, " \
                "holds=True" in out

            env = env_file(run_dir / "env")
            api = httpx.Client(base_url=env["ISSUER_API_URL"],
                               headers={"X-API-Key": env["ISSUER_API_KEY"]}, timeout=30)
            reports = {r["symbol"]: r for r in api.get("/v1/reserves").json()}
            assert all(r["holds"] and not r["halted"] for r in reports.values()), reports
            # AAPL: 100 + 0.0875 bought - 20 redeemed + 10 in over ITN - 4 tokens out over
            # ITN, worth 4 * 1.000875 = 4.0035 shares: 86.084; NVDA: 40 split 2-for-1
            assert D(reports["AAPL"]["custody_settled"]) == D("86.084")
            assert D(reports["NVDA"]["economic_supply"]) == D(0)   # acquired, tokens burned
            actions = api.get("/v1/corporate-actions").json()["items"]
            assert sorted((a["symbol"], a["kind"], a["status"], a["m1"]) for a in actions) == [
                ("AAPL", "dividend", "completed", "1000875000000000000"),
                ("AAPL", "spin_off", "completed", None),
                ("NVDA", "cash_merger", "claimable", None),
                ("NVDA", "forward_split", "completed", "2000000000000000000"),
                ("NVDA", "name_change", "completed", None)]
            assert reports["NVDA"]["custody_settled"] == api.get(
                "/v1/reserves/NVDX").json()["custody_settled"]
            holders = api.get("/v1/holders/NVDA").json()["holders"]
            assert holders == []                                   # every token burned
            # the console renders every page over the story's records (its corporate actions,
            # meeting, creations, redemptions, tokenization requests), for the admin
            pages = console_pages(env["ISSUER_API_URL"], env["ISSUER_ADMIN_KEY"])
            assert sum("/console/corporate-actions/" in p for p in pages) == 5, pages
            assert any("/console/meetings/" in p for p in pages), pages
            assert any("/console/tokenization/" in p for p in pages), pages
            # the CLI works against the running stack with the env file's variables
            cli = subprocess.run([sys.executable, "-m", "issuer.cli", "reserves", "NVDA"],
                                 env={**os.environ, **env}, capture_output=True, text=True)
            assert cli.returncode == 0 and '"holds": true' in cli.stdout
            api.close()

            assert stack.stop(signal.SIGINT) == 130
            assert "stopped: anvil, the broker and the issuer are down" in "\n".join(
                stack.lines)
        assert not any(port_open(p) for p in ports.values())

        with Running("--keep-running", "--no-story", *flags, "--run-dir", str(run_dir),
                     "--database-url", db_url) as again:
            again.until("The stack stays up", timeout=180)
            health = httpx.get(f"http://127.0.0.1:{ports['--issuer-port']}/v1/health").json()
            assert health["status"] == "ok" and health["worker"]["last_error"] is None
            # issue 25, item 7: /metrics on ports of their own, not on the public API ports
            for api, own in (("--issuer-port", "--issuer-metrics-port"),
                             ("--broker-port", "--broker-metrics-port")):
                assert httpx.get(f"http://127.0.0.1:{ports[api]}/metrics").status_code == 404
                scraped = httpx.get(f"http://127.0.0.1:{ports[own]}/metrics")
                assert scraped.status_code == 200 and "_http_request_duration_seconds" in \
                    scraped.text
            assert again.stop(signal.SIGTERM) == 130
        assert not any(port_open(p) for p in ports.values())
