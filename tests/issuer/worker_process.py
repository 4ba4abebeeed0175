"""The issuer's worker in a process of its own, for the kill-and-restart tests.

Processes are forked from a server process that has already imported the issuer
(``multiprocessing``'s forkserver, started once): each one runs the same code as
``python -m issuer worker --passes N`` and can be killed like any process, without paying the
three seconds of imports that a fresh interpreter spends at every start.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["issuer.__main__"])


def _main(env: dict[str, str], passes: int) -> None:
    os.environ.clear()
    os.environ.update(env)
    from issuer.__main__ import main

    sys.exit(main(["worker", "--passes", str(passes)]))


def start(env: dict[str, str], passes: int = 8) -> multiprocessing.process.BaseProcess:
    """A worker process running ``passes`` passes, started (join it, read its exit code). Its
    passes follow each other 0.05 s apart unless ``env`` says otherwise (the default half
    second made a test of three broker days wait twelve seconds for passes with nothing to
    do)."""
    env = {"ISSUER_WORKER_INTERVAL": "0.05",
           # the price reports and the public figures have tests of their own
           "ISSUER_PRICE_REPORT_INTERVAL": "0", "ISSUER_PUBLIC_REFRESH": "0", **env}
    process = _context.Process(target=_main, args=(env, passes))
    process.start()
    return process


def run(env: dict[str, str], passes: int = 8, timeout: float = 120) -> int:
    """Run ``passes`` worker passes with ``env`` as the environment; the exit code (negative:
    killed by that signal)."""
    process = start(env, passes)
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
        raise AssertionError(f"the worker did not finish in {timeout} s")
    assert process.exitcode is not None
    return process.exitcode
