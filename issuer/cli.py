"""``python -m issuer.cli``: the operator command line, a thin client of the REST API.

Every command prints the API's JSON answer; a refusal prints the problem and exits 1. Writes
send a fresh ``Idempotency-Key`` unless one is given, so re-running a command with the same
``--idempotency-key`` is safe.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import typer

app = typer.Typer(help=__doc__, no_args_is_help=True)
creations = typer.Typer(help="Creations (mints).", no_args_is_help=True)
redemptions = typer.Typer(help="Redemptions (burns).", no_args_is_help=True)
approvals = typer.Typer(help="Maker-checker approvals.", no_args_is_help=True)
app.add_typer(creations, name="creations")
app.add_typer(redemptions, name="redemptions")
app.add_typer(approvals, name="approvals")
actions = typer.Typer(help="Corporate actions (dividends, splits).", no_args_is_help=True)
app.add_typer(actions, name="corporate-actions")
itn = typer.Typer(help="The tokenization network (ITN): mints and redemptions.",
                  no_args_is_help=True)
app.add_typer(itn, name="itn")
meetings = typer.Typer(help="Shareholder meetings: snapshot, ballots, tally, instruction, "
                            "result.", no_args_is_help=True)
app.add_typer(meetings, name="meetings")

Url = Annotated[str, typer.Option(envvar="ISSUER_API_URL", help="base URL of the issuer API")]
Key = Annotated[str, typer.Option(envvar="ISSUER_API_KEY", help="your API key")]
Idem = Annotated[str | None, typer.Option(help="reuse to make a retried command safe")]


@dataclass
class Target:
    """Where the commands go and with which key: set once, by the options before the command."""

    url: str = "http://127.0.0.1:8800"
    key: str = ""


TARGET = Target()


@app.callback()
def main(url: Url = "http://127.0.0.1:8800", key: Key = "") -> None:
    """The issuer API to call (``--url``, or ISSUER_API_URL) and your key (``--key``, or
    ISSUER_API_KEY), given once before the command."""
    TARGET.url, TARGET.key = url, key


def _call(method: str, path: str, body: dict[str, Any] | None = None,
          params: dict[str, Any] | None = None, idempotency_key: str | None = None) -> None:
    url, key = TARGET.url, TARGET.key
    headers = {"X-API-Key": key}
    if method != "GET":
        headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
    try:
        response = httpx.request(method, url.rstrip("/") + path, json=body, headers=headers,
                                 params={k: v for k, v in (params or {}).items()
                                         if v is not None}, timeout=30)
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach {url}: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(response.json(), indent=2))
    if response.status_code >= 400:
        raise typer.Exit(1)


@creations.command("create")
def creation_create(participant_id: str, symbol: str, qty: str, kind: str = "cash",
                    idempotency_key: Idem = None) -> None:
    """Ask for a creation of QTY shares of SYMBOL for a participant."""
    _call("POST", "/v1/creations", {"participant_id": participant_id,
                                              "symbol": symbol, "qty": qty, "kind": kind},
          idempotency_key=idempotency_key)


@creations.command("list")
def creation_list(status: str | None = None,
                  symbol: str | None = None, limit: int = 50, cursor: str | None = None) -> None:
    _call("GET", "/v1/creations", params={"status": status, "symbol": symbol,
                                                    "limit": limit, "cursor": cursor})


@creations.command("get")
def creation_get(creation_id: str) -> None:
    _call("GET", f"/v1/creations/{creation_id}")


@creations.command("cancel")
def creation_cancel(creation_id: str, idempotency_key: Idem = None) -> None:
    _call("POST", f"/v1/creations/{creation_id}/cancel",
          idempotency_key=idempotency_key)


@redemptions.command("create")
def redemption_create(participant_id: str, symbol: str, qty: str,
                      kind: str = "cash",
                      idempotency_key: Idem = None) -> None:
    """Redeem QTY shares of SYMBOL from a participant's wallet."""
    _call("POST", "/v1/redemptions", {"participant_id": participant_id,
                                                "symbol": symbol, "qty": qty, "kind": kind},
          idempotency_key=idempotency_key)


@redemptions.command("list")
def redemption_list(status: str | None = None, limit: int = 50) -> None:
    _call("GET", "/v1/redemptions", params={"status": status, "limit": limit})


@app.command()
def reserves(symbol: Annotated[str | None, typer.Argument()] = None,
             block: int | None = None, broker_time: str | None = None) -> None:
    """The reconciliation report (one symbol, or all); --block or --broker-time (ISO 8601
    with a zone) for one symbol as it stood then."""
    path = f"/v1/reserves/{symbol}" if symbol else "/v1/reserves"
    _call("GET", path, params={"block": block, "broker_time": broker_time})


@app.command()
def freeze(symbol: str, wallet: str, unfreeze: bool = False, idempotency_key: Idem = None) -> None:
    """Freeze (or --unfreeze) a wallet on a token."""
    _call("POST", f"/v1/tokens/{symbol}/freeze",
          {"wallet": wallet, "frozen": not unfreeze}, idempotency_key=idempotency_key)


@app.command()
def pause(symbol: str, unpause: bool = False, idempotency_key: Idem = None) -> None:
    """Pause (or --unpause) a token."""
    _call("POST", f"/v1/tokens/{symbol}/pause", {"paused": not unpause},
          idempotency_key=idempotency_key)


@approvals.command("list")
def approval_list(status: str | None = "pending") -> None:
    _call("GET", "/v1/approvals", params={"status": status})


@approvals.command("approve")
def approval_approve(approval_id: str, idempotency_key: Idem = None) -> None:
    _call("POST", f"/v1/approvals/{approval_id}/approve",
          idempotency_key=idempotency_key)


@approvals.command("reject")
def approval_reject(approval_id: str, idempotency_key: Idem = None) -> None:
    _call("POST", f"/v1/approvals/{approval_id}/reject",
          idempotency_key=idempotency_key)


@actions.command("list")
def action_list(status: str | None = None,
                symbol: str | None = None, limit: int = 50) -> None:
    _call("GET", "/v1/corporate-actions",
          params={"status": status, "symbol": symbol, "limit": limit})


@actions.command("get")
def action_get(action_id: str) -> None:
    """Every figure of a corporate action (R, M0, E, gross, withholding, net, M1, residue)."""
    _call("GET", f"/v1/corporate-actions/{action_id}")


@itn.command("list")
def itn_list(type: str | None = None,
             status: str | None = None, symbol: str | None = None) -> None:
    """ITN requests with their broker request id and chain transaction."""
    _call("GET", "/v1/itn/requests",
          params={k: v for k, v in (("type", type), ("status", status), ("symbol", symbol))
                  if v})


@itn.command("get")
def itn_get(request_id: str) -> None:
    """One ITN request (the issuer's id, the broker's, or a deposit) and its transactions."""
    _call("GET", f"/v1/itn/requests/{request_id}")


@meetings.command("list")
def meetings_list(symbol: str | None = None,
                  status: str | None = None) -> None:
    """Meetings the broker announced, with their snapshot, instruction and result."""
    _call("GET", "/v1/meetings", params={"symbol": symbol, "status": status})


@meetings.command("get")
def meetings_get(meeting_id: str) -> None:
    """One meeting: record block, multiplier, root, custody at the record date, the
    instruction sent and its hash, the broker's result."""
    _call("GET", f"/v1/meetings/{meeting_id}")


@meetings.command("tally")
def meetings_tally(meeting_id: str) -> None:
    """The counted ballots per proposal and choice (public), the instruction and result."""
    _call("GET", f"/v1/meetings/{meeting_id}/tally")


@meetings.command("policy")
def meetings_policy(meeting_id: str, policy: str, idempotency_key: Idem = None) -> None:
    """What the instruction does with unvoted shares: unvoted (default) or board."""
    _call("POST", f"/v1/meetings/{meeting_id}/policy", {"policy": policy},
          idempotency_key=idempotency_key)


@actions.command("figures")
def action_figures(action_id: str) -> None:
    """Each figure with the formula it came from, who owned custody shares at the record, and
    the broker moment the change takes effect."""
    _call("GET", f"/v1/corporate-actions/{action_id}/figures")


@redemptions.command("get")
def redemption_get(redemption_id: str) -> None:
    """The redemption with its burn transaction, broker orders, journals and executions."""
    _call("GET", f"/v1/redemptions/{redemption_id}")


@actions.command("claims")
def action_claims(action_id: str, wallet: Annotated[str | None, typer.Argument()] = None) -> None:
    """The stablecoin claims of a dividend (amount and Merkle proof), or one wallet's."""
    path = f"/v1/corporate-actions/{action_id}/claims"
    _call("GET", f"{path}/{wallet}" if wallet else path)


@actions.command("apply")
def action_apply(action_id: str, idempotency_key: Idem = None) -> None:
    """Ask to apply a proposed multiplier change (a second operator approves it)."""
    _call("POST", f"/v1/corporate-actions/{action_id}/apply",
          idempotency_key=idempotency_key)


@app.command()
def audit(after: int = 0,
          limit: int = 100) -> None:
    """The audit log, oldest first."""
    _call("GET", "/v1/audit", params={"after": after, "limit": limit})


if __name__ == "__main__":
    app()
