"""``python -m custody_mock``: serve the mock broker (OpenAPI docs at ``/docs``)."""

from __future__ import annotations

import argparse
import logging

import uvicorn
from prometheus_client import start_http_server

from custody_mock.app import create_app
from custody_mock.settings import Settings, parse_utc
from servicekit import logs, settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--database-url", help="SQLAlchemy URL (default sqlite:///custody_mock.db)")
    parser.add_argument("--start", help="simulated start time for a new database (ISO 8601)")
    args = parser.parse_args()
    logs.configure("custody_mock")
    overrides: dict[str, object] = {}
    if args.database_url:
        overrides["database_url"] = args.database_url
    if args.start:
        overrides["start"] = parse_utc(args.start)
    loaded = settings.load(Settings, "custody_mock", **overrides)
    app = create_app(loaded, metrics_on_api=loaded.metrics_port == 0)
    if loaded.metrics_port:   # a port of its own: the public API port does not serve them
        start_http_server(loaded.metrics_port, addr=loaded.metrics_host,
                          registry=app.state.metrics_registry)
    # log_config=None: uvicorn's loggers propagate to the structured handler
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", log_config=None)


if __name__ == "__main__":
    main()
