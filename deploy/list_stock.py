"""List one more stock on a deployed suite, as its owner, and add it to the manifest: a
spin-off's new company (the issuer prepares the parameters: ``GET
/v1/corporate-actions/{id}`` ``owner_calls``), or any new listing.

``LIST_SYMBOL=APLS LIST_NAME="APLS tokenized share" MANIFEST=deployments/31337.json
python -m toolchain.run deploy.list_stock [network]``

The listing goes through the factory like the first ones (:func:`deploy.suite.list_through`:
the same modules, roles and feeds). The manifest is replaced whole (written beside it, then
renamed over it), so the issuer, which reads new listings from it when the file changes, never
reads half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from brownie import IdentityRegistry, StockTokenFactory, network
from brownie.network.contract import Contract

from deploy.deploy_suite import IR, KP, roles_for_network
from deploy.suite import ONE, StockConfig, list_through, stock_entry


def main() -> None:
    path = Path(os.environ["MANIFEST"])
    symbol, name = os.environ["LIST_SYMBOL"].upper(), os.environ["LIST_NAME"]
    manifest = json.loads(path.read_text())
    if int(manifest["chain_id"]) != network.chain.id:
        raise SystemExit(f"{path} is a deployment on chain {manifest['chain_id']}, "
                         f"not {network.chain.id}")
    if symbol in manifest["stocks"]:
        raise SystemExit(f"{symbol} is listed already")
    contracts = manifest["contracts"]
    factory = StockTokenFactory.at(contracts["StockTokenFactory"]["address"])
    registry = IdentityRegistry.at(contracts["IdentityRegistry"]["address"])
    libraries = {
        lib: Contract.from_abi(lib, contracts[lib]["address"], contracts[lib]["abi"])
        for lib in ("MultiplierScheduleLogic", "RecoveryLogic", "ReserveLogic")
    }
    cfg = StockConfig(symbol, name, blocked_countries=[IR, KP],
                      max_shares_per_investor=1_000_000 * ONE)
    token, compliance, feeds = list_through(factory, registry, libraries, roles_for_network(),
                                            cfg)
    manifest["stocks"][symbol] = stock_entry(token, compliance, feeds)
    written = path.with_name(f".{path.name}.new")
    written.write_text(json.dumps(manifest, indent=2))
    written.replace(path)
    print(f"listed {symbol} at {token.address}; {path} updated")
