"""``python -m issuer``: the issuer's processes.

- ``python -m issuer [serve]``: the operator API (OpenAPI at ``/docs``) with a worker thread
  beside it: the one-process default, on SQLite or PostgreSQL; ``--no-worker`` serves the API
  alone while worker processes do the work.
- ``python -m issuer worker``: a worker process (any number of them on PostgreSQL; one on
  SQLite); ``--passes N`` runs N full passes and exits.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import signal
import sys
from types import FrameType

import uvicorn

from issuer import metrics, worker
from issuer.app import create_app
from issuer.config import Settings
from issuer.leases import WorkerRefused
from issuer.service import Issuer
from servicekit import logs, settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m issuer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="the operator API (with a worker thread)")
    for p in (parser, serve):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8800)
        p.add_argument("--no-worker", action="store_true",
                       help="serve the API only (worker processes run the worker)")
    work = commands.add_parser("worker", help="a worker process")
    work.add_argument("--passes", type=int, metavar="N",
                      help="run N full passes and exit (default: until SIGTERM)")
    work.add_argument("--metrics-port", type=int, default=None, metavar="PORT",
                      help="serve Prometheus metrics on 127.0.0.1:PORT (/metrics)")
    work.add_argument("--profile", metavar="FILE", default=None,
                      help="profile the worker (cProfile) and write the statistics to FILE "
                           "when it stops (bench/stack.py reads them)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs.configure("issuer")
    if args.command == "worker":
        return run_worker(args.passes, args.metrics_port, args.profile)
    issuer = Issuer(settings.load(Settings, "issuer"))
    if not args.no_worker:
        try:
            issuer.claims.start()
        except WorkerRefused as exc:
            print(f"issuer: {exc} (serve with --no-worker)", file=sys.stderr)
            return 2
    port = issuer.settings.metrics_port
    if port:   # a port of its own: the public API port does not serve the metrics
        metrics.serve_worker(issuer, port, issuer.settings.metrics_host)
    app = create_app(issuer=issuer, run_worker=not args.no_worker, metrics_on_api=port == 0)
    # log_config=None: uvicorn's loggers propagate to the structured handler
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", log_config=None)
    return 0


def run_worker(passes: int | None, metrics_port: int | None,
               profile: str | None = None) -> int:
    issuer = Issuer(settings.load(Settings, "issuer worker"))
    try:
        issuer.claims.start()
    except WorkerRefused as exc:
        print(f"issuer worker: {exc}", file=sys.stderr)
        issuer.close()
        return 2
    loop = worker.Worker(issuer)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        loop.stop()   # the pass in flight finishes; nothing is cut in the middle

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if metrics_port is not None:
        metrics.serve_worker(issuer, metrics_port)
    log = logs.get("issuer.worker")
    log.info("worker.started", database=issuer.engine.dialect.name, passes=passes)
    profiler = cProfile.Profile() if profile else None
    try:
        if profiler is not None:
            profiler.runcall(loop.run, passes)
        else:
            loop.run(passes)
    finally:
        log.info("worker.stopped", passes=loop.passes)
        if profiler is not None and profile:
            profiler.dump_stats(profile)
        issuer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
