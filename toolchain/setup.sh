#!/usr/bin/env bash
# Idempotent set-up of everything the project needs, from its own files only:
# a Python virtual environment with the project installed, the Node toolchain from
# package-lock.json, and one solc-v<version> bridge per solc-js package for py-solc-x/brownie.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || \
   [ toolchain/nodeps-requirements.txt -nt "$stamp" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
  # what pip's resolver cannot place beside brownie's pins (the file says why)
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps \
    -r toolchain/nodeps-requirements.txt
  touch "$stamp"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
# the anvil binary comes from @foundry-rs/anvil-linux-amd64 (no install script runs).
if ! node_modules/.bin/anvil --version >/dev/null 2>&1; then
  echo "anvil (node_modules/.bin/anvil) does not run" >&2
  exit 1
fi

# the browser tests drive Debian's chromium (Playwright launches it by path: no browser download)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -q chromium >/dev/null 2>&1 || \
      { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  else
    echo "setup: no chromium (install Debian's chromium as root): the browser tests will fail" >&2
  fi
fi

mkdir -p .solc
for pkg in solc solc-0.8.17; do
  version=$(node -p "require('./node_modules/$pkg/package.json').version")
  bin=.solc/solc-v$version
  cat > "$bin.tmp" <<SH
#!/bin/sh
exec node "$root/toolchain/solc-bridge.js" "$pkg" "\$@"
SH
  chmod +x "$bin.tmp"
  mv "$bin.tmp" "$bin"
done
echo "setup: ok (python $(.venv/bin/python -V | cut -d' ' -f2), anvil $(node_modules/.bin/anvil --version | head -1 | cut -d' ' -f3), solc $(ls .solc | sed 's/solc-v//' | tr '\n' ' '))"
