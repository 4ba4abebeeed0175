"""The issuer killed with SIGKILL at each step of a creation and of a redemption (every status
change before its commit, and the moments between a broker call or a transaction and its
record), restarted, finishing with exactly one broker order, one journal and one mint or burn.

The worker that is killed runs as its own process (the code of ``python -m issuer
worker --passes N``, forked from a process that has it imported: :mod:`worker_process`)
against the same database, chain and broker; ``ISSUER_CRASH_AT`` names the point where it
kills itself. The restart is a new ``Issuer`` built from the settings alone in the test
process: nothing of the killed process survives but what it stored in the database, sent to
the chain or placed at the broker.
"""

from __future__ import annotations

import os
import signal

import pytest

from issuer import crashpoints
from issuer.broker import AlpacaBroker
from issuer.models import ChainTx
from issuer.service import Issuer
from tests.issuer import worker_process

ONE = 10**18


def _worker(stack, crash_at: str | None = None) -> int:
    settings = stack.issuer.settings
    env = {**os.environ,
           "ISSUER_DATABASE_URL": settings.database_url,
           "ISSUER_MANIFEST": str(settings.manifest),
           "ISSUER_RPC_URL": settings.rpc_url,
           "ISSUER_BROKER_URL": settings.broker_url,
           "ISSUER_BROKER_ACCOUNT_ID": settings.broker_account_id,
           **({"ISSUER_ONRAMP_ACCOUNT_ID": settings.onramp_account_id}
              if settings.onramp_account_id else {})}
    env.pop("ISSUER_CRASH_AT", None)
    if crash_at:
        env["ISSUER_CRASH_AT"] = crash_at
    code = worker_process.run(env)
    assert code in (0, -signal.SIGKILL), f"the worker failed with exit code {code}"
    return code


def _crash(stack, point: str) -> None:
    """Run the worker process, a broker day at a time, until it kills itself at ``point``."""
    for _ in range(6):
        if _worker(stack, crash_at=point) == -signal.SIGKILL:
            return
        stack.broker.end_of_day()
    raise AssertionError(f"never reached {point}")


def _restart_and_finish(stack, done) -> None:  # noqa: ANN001
    """A fresh issuer from the settings alone, its worker run each broker day until ``done``."""
    stack.issuer.close()
    stack.issuer = Issuer(stack.issuer.settings)
    stack.issuer.broker = AlpacaBroker(stack.issuer.settings.broker_url, backoff=0.01)
    stack.until(done, days=6)


def _crash_then_finish(stack, point: str, done) -> None:  # noqa: ANN001
    _crash(stack, point)
    _restart_and_finish(stack, done)


@pytest.mark.parametrize("point", [p for p in crashpoints.POINTS if p.startswith("redemption")])
def test_redemption_killed_and_restarted(stack, point):
    creation = stack.create("10")
    stack.until(lambda: stack.creation(creation).status == "completed")
    redemption_id = stack.redeem("4")
    _crash_then_finish(stack, point,
                       lambda: stack.redemption(redemption_id).status == "completed")
    sells = [o for o in stack.broker.orders(stack.custody_account) if o.side == "sell"]
    assert [(o.client_order_id, o.status) for o in sells] == [
        (f"redemption-{redemption_id}-1", "filled")]
    assert len(stack.journals_for(f"redemption-{redemption_id}-payout")) == 1
    assert stack.tokens() == 6 * ONE
    with stack.issuer.session() as db:
        burns = db.query(ChainTx).filter(ChainTx.key == f"burn:redemption:{redemption_id}")
        assert [(b.attempt, b.status) for b in burns] == [(1, "mined")]
    assert stack.run_report("AAPL").holds


@pytest.mark.parametrize("point", [p for p in crashpoints.POINTS if p.startswith("creation")])
def test_killed_and_restarted_at_each_step(stack, point):
    creation_id = stack.create("10")
    _crash_then_finish(stack, point, lambda: stack.creation(creation_id).status == "completed")

    orders = [o for o in stack.broker.orders(stack.custody_account)
              if o.client_order_id == f"creation-{creation_id}"]
    assert len(orders) == 1 and len(stack.broker.orders(stack.custody_account)) == 1
    payments = stack.journals_for(f"creation-{creation_id}-payment")
    assert len(payments) == 1 and len(stack.broker.journals(entry_type="JNLC")) == 1
    assert stack.tokens() == 10 * ONE
    with stack.issuer.session() as db:
        mints = db.query(ChainTx).filter(ChainTx.key == f"mint:creation:{creation_id}").all()
        assert [(m.attempt, m.status) for m in mints] == [(1, "mined")]
    assert stack.run_report("AAPL").holds


def test_a_mint_batch_killed_after_its_transaction_was_sent_finishes_once(stack):
    ids = [stack.create("3"), stack.create("4")]
    _crash_then_finish(stack, "creation.after_mint_sent",
                       lambda: all(stack.creation(i).status == "completed" for i in ids))
    batch = stack.creation(ids[0]).mint_batch
    assert batch is not None and stack.creation(ids[1]).mint_batch == batch
    assert stack.tokens() == 7 * ONE
    with stack.issuer.session() as db:
        mints = db.query(ChainTx).filter(ChainTx.key.like("mint:%")).all()
        assert [(m.key, m.attempt, m.status) for m in mints] == [
            (f"mint:batch:{batch}", 1, "mined")]
    assert stack.run_report("AAPL").holds
