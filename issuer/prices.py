"""Each symbol's underlying price feed, reported from the broker's last trade.

On the devnet the token unit's price feed (``MultiplierPriceFeed``: the underlying's price x the
multiplier in force when it was quoted) reads a ``PriceFeed`` the issuer reports to with its
reserve key; in production it would read a Chainlink feed and this module would stay off
(``ISSUER_PRICE_REPORT_INTERVAL=0``).

Every ``price_report_interval`` seconds a worker compares the broker's last trade with the feed's
latest round and reports a new round (as of the chain's time) when the price moved or the round
is older than ``price_heartbeat``. Reports pause while a corporate action's window is open (from
its ex-date until it completes): the broker's price is then in the new share while the token's
multiplier may still be the old one, and a round quoted between the two would make the
collateral price jump; the feed's readers see the last round age instead (and refuse it once it
is too old for them), as issuers pause market data around events.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer import units
from issuer.cadence import Cadence
from issuer.chain import ChainError
from issuer.corporate.window import mint_burn_blocker
from issuer.lifecycle.common import chain_step
from issuer.models import ChainTx
from issuer.service import Issuer
from servicekit import logs

LOG = logs.get("issuer.prices")
_CHECKS = Cadence()


def due(issuer: Issuer) -> bool:
    """Whether this process's price check is due (and, if so, schedule the next one)."""
    return _CHECKS.due(issuer, issuer.settings.price_report_interval)


def report(issuer: Issuer, db: Session, symbol: str) -> ChainTx | ChainError | None:
    """Report ``symbol``'s price if it moved or its round is old; None when nothing was due."""
    if (blocker := mint_burn_blocker(issuer, db, symbol)) is not None:
        LOG.info("price.paused", symbol=symbol, reason=blocker)
        return None
    trade = issuer.broker.latest_trade(symbol)
    if trade is None:
        return None
    answer = units.feed_price(trade.price)
    chain = issuer.chain
    round_id, last, updated_at = chain.price_round(symbol)
    now = chain.block_time()
    if round_id and last == answer and now - updated_at < issuer.settings.price_heartbeat:
        return None
    # one report per round and second: a price that moves again within the second of the last
    # round (its key then the same as that round's) is a new round all the same
    result = chain_step(issuer, db, f"price:{symbol}:{round_id + 1}:{now}", "reserve",
                        lambda: chain.calls.report_price(symbol, answer, now))
    LOG.info("price.reported", symbol=symbol, price=str(trade.price), traded_at=trade.at,
             as_of=now, outcome=result.name if isinstance(result, ChainError) else result.status)
    return result


def report_all(issuer: Issuer) -> int:
    """Check every symbol once; the number of rounds sent."""
    sent = 0
    with issuer.session() as db:
        for symbol in issuer.chain.stocks:
            if isinstance(report(issuer, db, symbol), ChainTx):
                sent += 1
    return sent
