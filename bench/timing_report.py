"""Time to detect per archetype, batch (``replay`` cut-offs) and online (``replay --online``), from replay outputs.

Used by bench_verdicts.py ``--timing``. Per labelled campaign: hours from its first request to the first
flag on any member (batch: first cut-off judging a member ``distiller``, an upper bound; online: first
``step_up`` or ``block``, exact) and the requests all its members had sent by then. Per benign archetype:
accounts ever judged ``distiller`` at some cut-off (batch) and accounts stepped up or blocked (online). Per
campaign archetype also the share of its requests the gateway refused or served with the reasoning withheld:
the harvest it denied before (or without) escalating.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from distillshield.evaluate.labels import DISTILLER, LabelRow

PATHS = ("batch", "online")
ACTED = frozenset({"withhold_reasoning", "throttle", "step_up", "block"})
FILES = {"batch": "time_to_detect.csv", "online": "online_time_to_detect.csv"}


@dataclass
class CampaignTiming:
    """One labelled campaign on one path: hours and requests until its first flag (None: never flagged)."""

    accounts: int
    flagged_accounts: int
    hours: float | None
    requests: int | None


@dataclass
class ArchetypeTiming:
    campaigns: dict[str, list[CampaignTiming]] = field(default_factory=lambda: {p: [] for p in PATHS})
    accounts: int = 0
    flagged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PATHS, 0))
    refused: int = 0  # requests the gateway refused
    withheld: int = 0  # requests served with the reasoning withheld
    acted: int = 0  # accounts the gateway withheld reasoning from, throttled, stepped up or blocked at least once
    requests: int = 0


def _flags(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {row["account_id"]: row for row in csv.DictReader(f)}


def _when(text: str) -> datetime | None:
    return datetime.fromisoformat(text.rstrip("Z")) if text else None


def measure(labels: list[LabelRow], replay_dir: Path, into: dict[tuple[str, str], ArchetypeTiming]) -> None:
    """Add one replayed log's figures to ``into`` (keyed by label and archetype)."""
    flags = {p: _flags(replay_dir / FILES[p]) for p in PATHS}
    con = duckdb.connect(str(replay_dir / "replay.duckdb"), read_only=True)
    try:
        times: dict[str, list[datetime]] = defaultdict(list)
        for account, ts in con.execute("SELECT account_id, ts FROM requests ORDER BY ts").fetchall():
            times[account].append(ts)
    finally:
        con.close()
    campaigns: dict[str, list[LabelRow]] = defaultdict(list)
    for row in labels:
        entry = into.setdefault((row.label, row.archetype), ArchetypeTiming())
        entry.accounts += 1
        for p in PATHS:
            entry.flagged[p] += bool(flags[p].get(row.account_id, {}).get("first_flagged_at"))
        online = flags["online"].get(row.account_id, {})
        entry.refused += int(online.get("refused") or 0)
        entry.withheld += int(online.get("withheld") or 0)
        entry.acted += online.get("verdict") in ACTED
        entry.requests += int(online.get("requests") or 0)
        if row.label == DISTILLER:
            campaigns[row.campaign_id or row.account_id].append(row)
    for members in campaigns.values():
        entry = into[(DISTILLER, members[0].archetype)]
        for p in PATHS:
            entry.campaigns[p].append(_campaign(members, flags[p], times))


def _campaign(
    members: list[LabelRow], flags: dict[str, dict[str, str]], times: dict[str, list[datetime]]
) -> CampaignTiming:
    stamps = [t for m in members for t in times.get(m.account_id, [])]
    first = [w for m in members if (w := _when(flags.get(m.account_id, {}).get("first_flagged_at", "")))]
    if not stamps or not first:
        return CampaignTiming(len(members), 0, None, None)
    flag = min(first)
    hours = (flag - min(stamps)).total_seconds() / 3600
    return CampaignTiming(len(members), len(first), hours, sum(t <= flag for t in stamps))


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "–"


def campaign_rows(generator: str, table: dict[tuple[str, str], ArchetypeTiming]) -> list[str]:
    rows = []
    for (label, archetype), entry in sorted(table.items()):
        if label != DISTILLER:
            continue
        cells = []
        for p in PATHS:
            found = [c for c in entry.campaigns[p] if c.hours is not None]
            hours = _median([c.hours for c in found if c.hours is not None])
            requests = _median([float(c.requests) for c in found if c.requests is not None])
            caught = f"{len(found)} / {len(entry.campaigns[p])}"
            cells.append(f"{entry.flagged[p]} / {entry.accounts} | {caught} | {hours} | {requests}")
        denied = (entry.refused + entry.withheld) / entry.requests if entry.requests else 0.0
        rows.append(f"| {generator} | {archetype} | " + " | ".join(cells) + f" | {100 * denied:.1f}% |")
    return rows


def benign_rows(generator: str, table: dict[tuple[str, str], ArchetypeTiming]) -> list[str]:
    rows = []
    for (label, archetype), entry in sorted(table.items()):
        if label == DISTILLER:
            continue
        share = {p: entry.flagged[p] / entry.accounts for p in PATHS}
        refused = entry.refused / entry.requests if entry.requests else 0.0
        rows.append(
            f"| {generator} | {archetype} | {entry.accounts} | {entry.flagged['batch']} ({100 * share['batch']:.1f}%) "
            f"| {entry.flagged['online']} ({100 * share['online']:.1f}%) "
            f"| {entry.acted} ({100 * entry.acted / entry.accounts:.1f}%) | {100 * refused:.2f}% |"
        )
    return rows
