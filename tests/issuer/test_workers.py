"""Several worker processes over the same rows (PostgreSQL): each creation ordered once at the
broker, minted once on chain, and every signer's nonces used once, with 2 and 4 workers racing
pass after pass. On SQLite, the one-process default, a second worker is refused.

The workers are real processes (``python -m issuer worker --passes N``'s code, forked from a
process that has it imported: :mod:`worker_process`) started together against one database,
one chain and one broker; the test process only moves the broker's day.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from issuer.models import ChainTx, Creation, SymbolHalt
from tests.issuer import worker_process

ONE = 10**18
POSTGRES = os.environ.get("ISSUER_TEST_DATABASE") == "postgresql"


def _env(stack) -> dict[str, str]:
    settings = stack.issuer.settings
    env = {**os.environ, "ISSUER_DATABASE_URL": settings.database_url,
           "ISSUER_MANIFEST": str(settings.manifest), "ISSUER_RPC_URL": settings.rpc_url,
           "ISSUER_BROKER_URL": settings.broker_url,
           "ISSUER_BROKER_ACCOUNT_ID": settings.broker_account_id,
           "ISSUER_REDEMPTION_WALLET": settings.redemption_wallet,
           "ISSUER_WORKER_INTERVAL": "0.05", "ISSUER_MINT_BATCH_MAX": "4"}
    env.pop("ISSUER_CRASH_AT", None)
    return env


@pytest.mark.skipif(not POSTGRES, reason="several workers need PostgreSQL; SQLite's refusal "
                    "is test_a_second_worker_on_sqlite_is_refused")
@pytest.mark.parametrize("workers", [2, 4])
def test_workers_racing_over_the_same_creations_order_and_mint_each_once(stack, workers):
    quantities = ["1", "2", "3", "1.5", "4", "2.25", "1", "3", "5", "0.5"]
    ids = [stack.create(q) for q in quantities]
    env = _env(stack)
    for _day in range(6):
        racing = [worker_process.start(env, passes=4) for _ in range(workers)]
        for process in racing:
            process.join(180)
            assert process.exitcode == 0, f"a worker failed: exit code {process.exitcode}"
        if all(stack.creation(i).status == "completed" for i in ids):
            break
        stack.eod()
    else:
        raise AssertionError({i: stack.creation(i).status for i in ids})
    # one order per creation at the broker, none placed twice
    buys = [o for o in stack.broker.orders(stack.custody_account) if o.side == "buy"]
    assert Counter(o.client_order_id for o in buys) == Counter(
        f"creation-{i}" for i in ids)
    # each creation minted once: the supply is exactly what was asked for, and every mint
    # intent has exactly one mined transaction
    expected = sum(int(Decimal(q) * ONE) for q in quantities)
    assert stack.tokens() == expected
    with stack.issuer.session() as db:
        rows = db.scalars(select(ChainTx)).all()
        minted = Counter(r.key for r in rows if r.key.startswith("mint:") and
                         r.status == "mined")
        assert minted and all(count == 1 for count in minted.values()), minted
        # every signer's nonce carried by one transaction (replacements aside)
        live = Counter((r.signer, r.nonce) for r in rows if r.status != "dead")
        assert all(count == 1 for count in live.values()), live
        statuses = {c.status for c in db.scalars(select(Creation))}
        assert db.scalars(select(SymbolHalt)).all() == []   # no worker ever saw a violation
    assert statuses == {"completed"}
    stack.run(passes=1)
    assert stack.invariant_held()


@pytest.mark.skipif(POSTGRES, reason="PostgreSQL takes any number of workers "
                    "(test_workers_racing_over_the_same_creations_order_and_mint_each_once)")
def test_a_second_worker_on_sqlite_is_refused(stack):
    env = _env(stack)
    first = worker_process.start(env, passes=40)
    try:
        time.sleep(2)   # the first has its lock
        second = worker_process.run(env, passes=1, timeout=60)
        assert second == 2
    finally:
        first.join(120)
    assert first.exitcode == 0
    assert worker_process.run(env, passes=1) == 0   # the lock went with the first


@pytest.mark.skipif(not POSTGRES, reason="advisory locks are PostgreSQL's")
def test_claims_of_two_issuers_in_one_database_do_not_meet(tmp_path):
    """Advisory locks belong to the database, not the schema: two issuers in one database (two
    test workers, each in a schema of its own) took each other's `supply:AAPL` for another
    worker's and waited (found when the two pytest passes ran at once). A claim's key names the
    issuer's own URL, search_path included; the same issuer's claim is still exclusive."""
    import sqlalchemy

    from issuer.leases import Claims
    from tests.support import database_url

    with database_url(tmp_path / "a") as url_a, database_url(tmp_path / "b") as url_b:
        engines = [sqlalchemy.create_engine(u) for u in (url_a, url_b, url_a)]
        one, two, same = (Claims(e) for e in engines)
        try:
            with one.claim("supply:AAPL") as held_one, two.claim("supply:AAPL") as held_two, \
                    same.claim("supply:AAPL") as held_same:
                assert (held_one, held_two, held_same) == (True, True, False)
        finally:
            for claims, engine in zip((one, two, same), engines, strict=True):
                claims.close()
                engine.dispose()
