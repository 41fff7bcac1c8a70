"""Time to detect on the gateway's live path: replay a log, request by request, through the gateway itself.

``distillshield replay LOG... --out DIR --online`` hands every request of the log, in
time order, to the real :class:`~distillshield.server.gateway.Gateway` (in-process
state, online scoring and online linking, the default policy or ``--policy``), with
the gateway's clock set to the request's own time (as ``serve --replay-clock`` does).
The model server is replaced by the log itself: each request is answered with the
response, reasoning and token counts the log recorded for it. No seed: what the
gateway decides comes from the traffic it has served so far, as on a first day in
production. Each request is fully decided, charged, learned and linked before the
next one arrives, so a replay is deterministic.

It writes ``online_time_to_detect.csv``: per account, its most severe action, its
live campaign, when it was first escalated (answered ``step_up`` or ``block``, the
actions an analyst's ``distiller`` verdict stands for), how many requests it had sent
by then, whether it joined a live campaign that had already been escalated, how many
of its requests were refused and how many had their reasoning withheld. The columns
``account_id, campaign_id, first_flagged_at, requests_at_flag, joined_known_campaign``
read as ``time_to_detect.csv`` does, so :mod:`distillshield.evaluate.timing` reads both.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
from starlette.requests import Request

from distillshield.csvcells import escape_cell
from distillshield.db import open_database
from distillshield.detect.model import DetectionModel
from distillshield.errors import UpstreamError
from distillshield.ingest import expand_inputs, ingest_paths
from distillshield.ingest.mapping import FieldMapping
from distillshield.orgs import KnownOrganisations
from distillshield.progress import SILENT, Progress
from distillshield.respond.actions import ACTIONS
from distillshield.respond.identity import Identity, KeyRing, hash_key
from distillshield.respond.policy import DEFAULT_POLICY, Policy
from distillshield.respond.standing import ESCALATIONS
from distillshield.respond.state import MemoryStore
from distillshield.server.app import GatewayConfig, make_gateway
from distillshield.server.gateway import REPLAY_TIME_HEADER, ROUTES, Gateway
from distillshield.server.trafficlog import TrafficLog
from distillshield.server.upstream import Upstream, UpstreamResponse, UpstreamStream
from distillshield.settings import Settings

#: Columns of time_to_detect.csv, batch or online (replay imports them from here: it imports this module).
ACCOUNT_COLUMNS = (
    "account_id",
    "verdict",
    "campaign_id",
    "first_flagged_at",
    "requests_at_flag",
    "requests",
    "joined_known_campaign",
)
#: The online replay's account columns: the batch ones, and what the gateway refused or stripped.
ONLINE_COLUMNS = (*ACCOUNT_COLUMNS, "refused", "withheld")
#: Log columns a replayed request is rebuilt from, in time order (ties in log order).
_SELECT = """
    SELECT account_id, coalesce(api_key_id, '') AS api_key_id, user_id, ip, user_agent, payment_fingerprint,
           email_domain, epoch(account_created_at) AS created_at, epoch(ts) AS t, model, messages, prompt,
           response, reasoning, prompt_tokens, completion_tokens, reasoning_tokens, tool_calls, status
    FROM requests ORDER BY ts, source_file, source_line
"""


@dataclass
class AccountOutcome:
    """What the gateway did to one account over the replay."""

    requests: int = 0
    refused: int = 0
    withheld: int = 0
    worst: str = "allow"
    first_escalated_at: float | None = None
    requests_at_escalation: int | None = None
    first_request_at: float | None = None
    campaign_id: str | None = None


@dataclass
class OnlineReplay:
    """Per account, what the gateway did; the requests replayed."""

    accounts: dict[str, AccountOutcome] = field(default_factory=dict)
    requests: int = 0

    def escalated(self) -> set[str]:
        return {a for a, o in self.accounts.items() if o.first_escalated_at is not None}


class _Decisions(TrafficLog):
    """The gateway's traffic log reduced to what a replay needs: each request's account and action."""

    def __init__(self) -> None:  # nothing goes to disk: the replayed log is already there
        self.last: tuple[str, str] | None = None

    def write(self, record: dict[str, Any]) -> None:
        self.last = (record["account_id"], record["extra"]["gateway"]["action"])


class _Recorded(Upstream):
    """The model server of a replay: answers each request with what the log recorded for it."""

    def __init__(self) -> None:
        self.row: dict[str, Any] = {}

    async def send(self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]) -> UpstreamResponse:
        row = self.row
        status = int(row["status"] or 200)
        if status != 200:
            error = {"error": {"message": "recorded error", "type": "api_error", "code": None}}
            return UpstreamResponse(status, orjson.dumps(error), "application/json")
        pt, ct, rt = (int(row[k] or 0) for k in ("prompt_tokens", "completion_tokens", "reasoning_tokens"))
        usage = {
            "prompt_tokens": pt,
            "completion_tokens": ct,
            "total_tokens": pt + ct,
            "completion_tokens_details": {"reasoning_tokens": rt},
        }
        return UpstreamResponse(
            200, orjson.dumps({"choices": [_choice(row, path)], "usage": usage}), "application/json"
        )

    async def open_stream(self, path: str, body: bytes, headers: Mapping[str, str]) -> UpstreamStream:
        raise UpstreamError("a replay sends no streamed requests")


def _choice(row: dict[str, Any], path: str) -> dict[str, Any]:
    if path == ROUTES["completions"]:
        return {"index": 0, "text": row["response"] or "", "finish_reason": "stop"}
    calls = [
        {"id": f"call_{i}", "type": "function", "function": {"name": "tool", "arguments": "{}"}}
        for i in range(int(row["tool_calls"] or 0))
    ]
    message: dict[str, Any] = {"role": "assistant", "content": row["response"] or ""}
    if row["reasoning"]:
        message["reasoning_content"] = row["reasoning"]
    if calls:
        message["tool_calls"] = calls
    return {"index": 0, "message": message, "finish_reason": "stop"}


def _secret(row: dict[str, Any]) -> str:
    return f"replay:{row['account_id']}:{row['api_key_id']}"


def key_ring(rows: Sequence[dict[str, Any]]) -> KeyRing:
    """One key per (account, key id) of the log, with the account metadata of its first request.

    No tier: every account gets the policy's default tier, as an account the provider knows
    nothing more about; age still protects established accounts (``respond.standing``).
    """
    ring: dict[str, Identity] = {}
    for row in rows:
        digest = hash_key(_secret(row))
        if digest not in ring:
            ring[digest] = Identity(
                account_id=row["account_id"],
                key_id=row["api_key_id"] or "replay",
                created_at=row["created_at"],
                payment_fingerprint=row["payment_fingerprint"],
                email_domain=row["email_domain"],
            )
    return KeyRing(ring)


def _request(row: dict[str, Any]) -> tuple[Request, str]:
    """The HTTP request the client sent, rebuilt from its log row, and its route."""
    route = "chat" if row["messages"] is not None else "completions"
    body: dict[str, Any] = {"model": row["model"]}
    if route == "chat":
        body["messages"] = orjson.loads(row["messages"])
    else:
        body["prompt"] = row["prompt"] or ""
    if row["user_id"]:
        body["user"] = row["user_id"]
    raw = orjson.dumps(body)
    headers = [
        (b"authorization", f"Bearer {_secret(row)}".encode()),
        (REPLAY_TIME_HEADER.encode(), repr(float(row["t"])).encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
    ]
    if row["user_agent"]:
        headers.append((b"user-agent", row["user_agent"].encode("utf-8", "replace")))
    scope = {
        "type": "http",
        "method": "POST",
        "path": ROUTES[route],
        "query_string": b"",
        "headers": headers,
        "client": (row["ip"], 0) if row["ip"] else None,
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    return Request(scope, receive), route


def read_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The ``requests`` table (or view) of ``con`` as replay rows, in time order."""
    cursor = con.execute(_SELECT)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def replay_rows(
    rows: Sequence[dict[str, Any]],
    *,
    policy: Policy = DEFAULT_POLICY,
    settings: Settings | None = None,
    known: KnownOrganisations | None = None,
    progress: Progress = SILENT,
    model: DetectionModel | None = None,
) -> OnlineReplay:
    """Send ``rows`` (from :func:`read_rows`) through a fresh in-process gateway; see the module docstring.

    ``model``: a learned model the gateway scores with (``serve --model``)."""
    config = GatewayConfig(
        "replay://log",
        key_ring(rows),
        policy,
        replay_clock=True,
        known=known or KnownOrganisations(),
        settings=settings or Settings(),
        model=model,
    )
    return asyncio.run(_replay(rows, config, progress))


async def _replay(rows: Sequence[dict[str, Any]], config: GatewayConfig, progress: Progress) -> OnlineReplay:
    upstream, decisions, store = _Recorded(), _Decisions(), MemoryStore()
    gateway = make_gateway(config, upstream=upstream, store=store)
    gateway.traffic = decisions
    result = OnlineReplay()
    task = progress.task("Replaying through the gateway", total=len(rows))
    async for row, action in _decide_each(gateway, upstream, decisions, rows):
        _count(result.accounts.setdefault(row["account_id"], AccountOutcome()), row["t"], action)
        result.requests += 1
        task.advance()
    task.close()
    for summary in await store.accounts(limit=len(result.accounts) + 1):
        if summary.account_id in result.accounts:
            result.accounts[summary.account_id].campaign_id = summary.campaign_id
    return result


async def _decide_each(
    gateway: Gateway, upstream: _Recorded, decisions: _Decisions, rows: Sequence[dict[str, Any]]
) -> AsyncIterator[tuple[dict[str, Any], str]]:
    for row in rows:
        upstream.row = row
        request, route = _request(row)
        decisions.last = None
        await gateway.completion(request, route)
        await gateway.drain()  # charged, learned and linked before the next request: a deterministic replay
        # A request refused before it was parsed (no key, bad body) never reaches the log: count it as allowed.
        yield row, decisions.last[1] if decisions.last else "allow"


def _count(outcome: AccountOutcome, t: float, action: str) -> None:
    outcome.requests += 1
    if outcome.first_request_at is None:
        outcome.first_request_at = t
    outcome.refused += action in ("throttle", "step_up", "block")
    outcome.withheld += action == "withhold_reasoning"
    if ACTIONS.index(action) > ACTIONS.index(outcome.worst):
        outcome.worst = action
    if action in ESCALATIONS and outcome.first_escalated_at is None:
        outcome.first_escalated_at, outcome.requests_at_escalation = t, outcome.requests


def _iso(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, UTC).replace(tzinfo=None).isoformat() + "Z"


def account_rows(result: OnlineReplay) -> Iterator[dict[str, object]]:
    """Rows of ``online_time_to_detect.csv``, one per account, sorted by account."""
    first_by_campaign: dict[str, float] = {}
    for outcome in result.accounts.values():
        if outcome.campaign_id and outcome.first_escalated_at is not None:
            known = first_by_campaign.get(outcome.campaign_id, outcome.first_escalated_at)
            first_by_campaign[outcome.campaign_id] = min(known, outcome.first_escalated_at)
    for account, o in sorted(result.accounts.items()):
        campaign_first = first_by_campaign.get(o.campaign_id or "")
        joined = campaign_first is not None and o.first_request_at is not None and o.first_request_at > campaign_first
        yield {
            "account_id": account,
            "verdict": o.worst,
            "campaign_id": o.campaign_id or "",
            "first_flagged_at": _iso(o.first_escalated_at),
            "requests_at_flag": "" if o.requests_at_escalation is None else o.requests_at_escalation,
            "requests": o.requests,
            "joined_known_campaign": joined,
            "refused": o.refused,
            "withheld": o.withheld,
        }


def write_online_csv(result: OnlineReplay, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(ONLINE_COLUMNS))
        writer.writeheader()
        for row in account_rows(result):
            writer.writerow({k: escape_cell(v) for k, v in row.items()})


def run_online_replay(
    inputs: Sequence[str | Path],
    out_dir: Path,
    *,
    policy: Policy = DEFAULT_POLICY,
    settings: Settings | None = None,
    progress: Progress = SILENT,
    mapping: FieldMapping | None = None,
    model: DetectionModel | None = None,
) -> OnlineReplay:
    """Ingest ``inputs`` and replay them through the gateway; writes ``online_time_to_detect.csv``."""
    settings = settings or Settings()
    out_dir.mkdir(parents=True, exist_ok=True)
    con = open_database(out_dir / "online.duckdb", settings)
    try:
        ingest_paths(expand_inputs(inputs), con, out_dir / "quarantine.jsonl", settings=settings, mapping=mapping)
        rows = read_rows(con)
    finally:
        con.close()
    result = replay_rows(rows, policy=policy, settings=settings, progress=progress, model=model)
    write_online_csv(result, out_dir / "online_time_to_detect.csv")
    return result
