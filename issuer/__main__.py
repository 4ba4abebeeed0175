"""``python -m issuer``: serve the operator API (OpenAPI at ``/docs``) with the worker."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from issuer import worker
from issuer.app import create_app
from issuer.config import Settings
from issuer.service import Issuer
from servicekit import logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--no-worker", action="store_true",
                        help="serve the API only (another process runs the worker)")
    parser.add_argument("--worker-passes", type=int, metavar="N",
                        help="no API: run N worker passes and exit")
    args = parser.parse_args()
    logs.configure("issuer")
    if args.worker_passes is not None:
        issuer = Issuer(Settings.from_env())
        for _ in range(args.worker_passes):
            worker.run_once(issuer)
        issuer.close()
        return
    app = create_app(Settings.from_env(), run_worker=not args.no_worker)
    # log_config=None: uvicorn's loggers propagate to the structured handler
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", log_config=None)


if __name__ == "__main__":
    main()
