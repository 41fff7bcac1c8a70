"""Merge every population's events in time order and write the log, the labels and a summary."""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from distillshield.csvcells import safe_row
from distillshield.progress import Task
from distillshield.simulate.content import load_bank
from distillshield.simulate.evasion import Evasion, evade
from distillshield.simulate.population import WINDOW, Account, Events, ts_string

NO_EVASION = Evasion()

_CHUNK = 20_000


def merge(populations: Sequence[tuple[list[Account], Events]], window: float = WINDOW) -> tuple[list[Account], Events]:
    """All accounts in one list and all events re-indexed into it, sorted by time (stable, so deterministic)."""
    accounts: list[Account] = []
    blocks = []
    for members, events in populations:
        blocks.append(Events(events.times, events.accounts + len(accounts)))
        accounts += members
    merged = Events.concat(blocks)
    keep = (merged.times >= 0) & (merged.times < window)
    times, owners = merged.times[keep], merged.accounts[keep]
    order = np.argsort(times, kind="stable")
    return accounts, Events(times[order], owners[order])


def _identity(account: Account, ip: str) -> dict[str, Any]:
    net = ip.rsplit(".", 1)[0]
    fields: dict[str, Any] = {
        "account_id": account.account_id,
        "api_key_id": account.keys[0] if account.keys else None,
        "user_agent": account.user_agent,
        "asn": account.asn_of.get(net),
        "payment_fingerprint": account.cards[0],
        "email_domain": account.email_domain,
        "account_created_at": account.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return {k: v for k, v in fields.items() if v is not None}


def render_record(
    index: int, account: Account, t: float, rnd: random.Random, evasion: Evasion = NO_EVASION
) -> dict[str, Any]:
    rnd = account.rnd or rnd
    body = account.render(account, t, rnd)
    # Evasive archetypes carry their own knobs; the classic evasions change only the classic campaigns.
    if evasion.active and account.label == "distiller" and account.rnd is None:
        body = evade(body, evasion, load_bank(), rnd)
    record = {"request_id": f"req_{index:09d}{rnd.getrandbits(24):06x}", "ts": ts_string(t, rnd.random() < 0.02)}
    record.update(_identity(account, body["ip"]))
    record.update(body)
    return record


def render(index: int, account: Account, t: float, rnd: random.Random, evasion: Evasion = NO_EVASION) -> bytes:
    return orjson.dumps(render_record(index, account, t, rnd, evasion))


class Harvest:
    """What each campaign took away: requests, and tokens of its harvest (non-cover) requests."""

    FIELDS = ("requests", "harvest_requests", "reasoning_tokens", "completion_tokens", "prompt_tokens")

    def __init__(self) -> None:
        self.by_campaign: dict[str, dict[str, int]] = {}

    def add(self, account: Account, record: dict[str, Any]) -> None:
        if account.label != "distiller":
            return
        entry = self.by_campaign.setdefault(account.campaign_id, dict.fromkeys(self.FIELDS, 0))
        entry["requests"] += 1
        # Cover traffic carries neither reasoning nor tool calls; everything else is harvest.
        if "reasoning_tokens" in record or "tool_calls" in record:
            entry["harvest_requests"] += 1
            entry["reasoning_tokens"] += int(record.get("reasoning_tokens", 0))
            entry["completion_tokens"] += int(record.get("completion_tokens", 0))
            entry["prompt_tokens"] += int(record.get("prompt_tokens", 0))


def write_log(
    path: Path,
    accounts: list[Account],
    events: Events,
    rnd: random.Random,
    task: Task,
    evasion: Evasion = NO_EVASION,
    harvest: Harvest | None = None,
) -> Counter[int]:
    """Write gzip JSON Lines (mtime 0, so a seed gives identical bytes); returns requests per account index."""
    per_account: Counter[int] = Counter()
    harvest = harvest or Harvest()
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=5) as out:
        for start in range(0, len(events.times), _CHUNK):
            lines = []
            for i in range(start, min(start + _CHUNK, len(events.times))):
                owner = int(events.accounts[i])
                per_account[owner] += 1
                record = render_record(i, accounts[owner], float(events.times[i]), rnd, evasion)
                harvest.add(accounts[owner], record)
                lines.append(orjson.dumps(record))
            out.write(b"\n".join(lines) + b"\n")
            task.advance(len(lines))
    return per_account


def write_labels(path: Path, accounts: list[Account], per_account: Counter[int]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["account_id", "label", "campaign_id", "archetype"])
        for i, account in enumerate(accounts):
            if per_account[i]:
                writer.writerow(safe_row([account.account_id, account.label, account.campaign_id, account.archetype]))


def archetype_counts(accounts: list[Account], per_account: Counter[int]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for i, account in enumerate(accounts):
        if per_account[i]:
            entry = counts.setdefault(account.archetype, {"accounts": 0, "requests": 0})
            entry["accounts"] += 1
            entry["requests"] += per_account[i]
    return counts


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
