#!/usr/bin/env bash
# `make test`'s run: every test on SQLite, and the issuer's tests (tests/issuer,
# tests/integration) again on PostgreSQL (127.0.0.1:5432, database test), side by side, each
# on its own devnet (8545 and DEVNET_PORT 8546). The SQLite run prints as it goes, the
# PostgreSQL run's output follows when both are done; it fails when either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
pytest=(.venv/bin/python -m pytest -q -p no:cacheprovider)
log=$(mktemp)
ISSUER_TEST_DATABASE=postgresql DEVNET_PORT=8546 "${pytest[@]}" tests/issuer tests/integration \
  >"$log" 2>&1 &
postgres=$!
trap 'kill "$postgres" 2>/dev/null; rm -f "$log"' EXIT
"${pytest[@]}"
sqlite_rc=$?
wait "$postgres"
postgres_rc=$?
echo "issuer tests on PostgreSQL:"
cat "$log"
exit $((sqlite_rc != 0 || postgres_rc != 0))
