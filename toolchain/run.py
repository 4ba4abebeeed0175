"""Run one of our brownie scripts: ``python -m toolchain.run deploy.walkthrough [network]``.

``brownie run`` imports a script by joining the parts of its absolute path with dots, which
breaks when a parent folder has a dot in its name (``mktemp -d`` gives ``/tmp/tmp.XXXX``). This
loads the project, connects to the network (``development``: a local anvil) and imports the
script by its module name from the project root instead, then calls its ``main()``.

``DEVNET_PORT`` moves the ``development`` network off 8545; when a node already listens there,
brownie attaches to it instead of launching one (and leaves it running afterwards).
"""

from __future__ import annotations

import importlib
import os
import sys

from brownie import network, project
from brownie._config import CONFIG

from toolchain import brownie_confirm, offline_solc


def main() -> None:
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: python -m toolchain.run <module, e.g. deploy.walkthrough> "
                         "[network]")
    module, network_name = sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "development"
    loaded = project.load(offline_solc.ROOT, name="StockStack")
    loaded.load_config()
    loaded._add_to_main_namespace()  # as brownie run does: `from brownie import StockToken`
    if str(offline_solc.ROOT) not in sys.path:
        sys.path.insert(0, str(offline_solc.ROOT))
    if port := os.environ.get("DEVNET_PORT"):
        CONFIG.networks["development"]["cmd_settings"]["port"] = int(port)
    brownie_confirm.install()
    network.connect(network_name)
    try:
        importlib.import_module(module).main()
    finally:
        network.disconnect()


if __name__ == "__main__":
    main()
