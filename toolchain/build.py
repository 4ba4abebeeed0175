"""Compile the contracts into brownie's build/contracts, offline and cached.

Brownie recompiles only sources whose hash changed, so running this on an unchanged tree is a
no-op. Usage: ``python -m toolchain.build``.
"""

from __future__ import annotations

import time

from brownie import project

from toolchain import offline_solc


def main() -> None:
    started = time.monotonic()
    loaded = project.load(offline_solc.ROOT, name="StockStack")
    names = sorted(loaded.keys())
    print(f"build: {len(names)} contracts ready in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
