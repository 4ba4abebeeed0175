"""Alpaca's ``TokenizationNetwork`` enum, as its public changelogs list it (solana in the
guides' examples; cronos and hyperevm added 2026-08-06, robinhood 2026-09-14, hypercore
2026-09-22). Both the mock broker (which refuses any other network) and the issuer (whose
``ISSUER_ITN_NETWORK`` must be one) read it here. A devnet chain is announced under one of
these names (the devstack's anvil, an EVM chain, as ``hyperevm``)."""

from __future__ import annotations

from typing import Literal, get_args

Network = Literal["solana", "cronos", "hyperevm", "robinhood", "hypercore"]
NETWORKS: tuple[str, ...] = get_args(Network)
#: The name the devstack and the tests give their anvil chain.
DEVNET: Network = "hyperevm"
