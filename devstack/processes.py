"""Child processes of the stack: started in order, each with its log file, checked ready, and
stopped in reverse order (SIGTERM, then SIGKILL after a grace period) whatever happens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

#: The project's folder (the scripts run from it).
ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    """The stack could not start or a step of the story went wrong; the message says what."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ready(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    return ready


def rpc_ready(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            return httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                         "params": []}, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    return ready


def tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Processes:
    """The stack's children; a context manager that always stops what it started."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str], *, ready: Callable[[], bool],
              env: dict[str, str] | None = None, port: int | None = None,
              timeout: float = 60) -> Child:
        """Start ``argv`` (output to ``<run_dir>/<name>.log``) and wait until ``ready()``."""
        if port is not None and port_in_use(port):
            raise StackError(f"port {port} for {name} is in use: is a stack already running? "
                             "Stop it (Ctrl-C) or choose other ports (--help)")
        log = self.run_dir / f"{name}.log"
        with log.open("wb") as out:
            # its own session: Ctrl-C reaches the orchestrator only, which stops the children
            # in order
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                       env={**os.environ, **(env or {})},
                                       start_new_session=True)
        child = Child(name, process, log)
        self.children.append(child)
        deadline = time.monotonic() + timeout
        while not ready():
            if process.poll() is not None:
                raise StackError(f"{name} exited with {process.returncode}:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise StackError(f"{name} not ready after {timeout:.0f} s:\n{tail(log)}")
            time.sleep(0.1)
        return child

    def check_alive(self) -> None:
        for child in self.children:
            if child.process.poll() is not None:
                raise StackError(f"{child.name} exited with {child.process.returncode}:\n"
                                 f"{tail(child.log)}")

    def stop(self, grace: float = 15) -> None:
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
                try:
                    child.process.wait(grace)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
        self.children.clear()

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
