"""The proxy-voting service as the issuer sees it: a port (a real proxy service, Broadridge
say, would be another adapter) and its HTTP adapter for the broker's ``/proxy/v1`` interface.

A broker votes its clients' shares through a proxy service; Alpaca's Broker API has none, so
this is its own interface, reached through the same transport (retries, rate limits, at most
one write) as the broker's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel

from servicekit.broker_http import BrokerHttp, seg


class MeetingNotice(BaseModel):
    """A meeting as the proxy service announces it (its current version)."""

    meeting_id: str
    version: int
    status: str
    symbol: str
    meeting_date: dt.date
    record_date: dt.date
    cutoff: dt.datetime
    proposals: list[dict[str, Any]]


class HolderRecord(BaseModel):
    meeting_id: str
    account_id: str
    qty: Decimal | None


class Instruction(BaseModel):
    id: str
    meeting_id: str
    account_id: str
    client_instruction_id: str
    votes: dict[str, dict[str, str]]
    status: str


class ProposalResult(BaseModel):
    id: str
    totals: dict[str, str]
    outcome: str
    account_votes: dict[str, str]


class MeetingResults(BaseModel):
    meeting_id: str
    version: int
    proposals: list[ProposalResult]


class ProxyVoting(Protocol):
    def meetings(self, *, symbol: str | None = None,
                 since: dt.date | None = None) -> list[MeetingNotice]: ...

    def record(self, meeting_id: str, account_id: str) -> HolderRecord:
        """The account's shares at the end of the record date (None before then)."""
        ...

    def instruct(self, meeting_id: str, *, account_id: str, client_instruction_id: str,
                 votes: dict[str, dict[str, Decimal]]) -> Instruction:
        """Send the account's one instruction (the same one again is answered the same)."""
        ...

    def results(self, meeting_id: str, account_id: str) -> MeetingResults: ...

    def close(self) -> None: ...


class ProxyVotingHttp(BrokerHttp):
    """The broker's ``/proxy/v1`` interface."""

    def meetings(self, *, symbol: str | None = None,
                 since: dt.date | None = None) -> list[MeetingNotice]:
        return self._get_list(MeetingNotice, "/proxy/v1/meetings", symbol=symbol, since=since)

    def record(self, meeting_id: str, account_id: str) -> HolderRecord:
        return self._get(HolderRecord, f"/proxy/v1/meetings/{seg(meeting_id)}/records/"
                         f"{seg(account_id)}")

    def instruct(self, meeting_id: str, *, account_id: str, client_instruction_id: str,
                 votes: dict[str, dict[str, Decimal]]) -> Instruction:
        body = {"account_id": account_id, "client_instruction_id": client_instruction_id,
                "votes": [{"proposal_id": p, "choice": c, "qty": str(q)}
                          for p, choices in sorted(votes.items())
                          for c, q in sorted(choices.items()) if q > 0]}
        path = f"/proxy/v1/meetings/{seg(meeting_id)}/instructions"

        def lookup() -> Instruction | None:
            return next((i for i in self._get_list(Instruction, path, account_id=account_id)
                         if i.client_instruction_id == client_instruction_id), None)

        return self._write_once(lambda: self._send("POST", path, body=body), lookup,
                                Instruction, duplicate_code="client_instruction_id_reused",
                                same=lambda _: True)

    def results(self, meeting_id: str, account_id: str) -> MeetingResults:
        return self._get(MeetingResults, f"/proxy/v1/meetings/{seg(meeting_id)}/results",
                         account_id=account_id)
