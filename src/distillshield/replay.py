"""Time to detect: replay a log as of successive cut-offs and record when each account is first flagged.

``distillshield replay LOG... --out DIR --every 6h`` ingests once, scores every
distinct prompt once, then runs the features and detection on the requests up to
each cut-off, exactly as a scan run at that moment would. It writes:

* ``time_to_detect.csv``: per account, its final verdict and campaign, when it was
  first judged ``distiller``, how many requests it had made by then, and whether
  it joined a campaign that had already been flagged (a new account of a known
  campaign).
* ``campaign_time_to_detect.csv``: per final campaign, when its first member was
  flagged and how many requests all its members had made by then.
* ``accounts.csv`` and ``campaigns.json`` of the last cut-off, as a scan writes them.
* with ``--online``, ``online_time_to_detect.csv``: the same log sent request by
  request through the gateway's live path (:mod:`distillshield.online_replay`).

Counts are taken at the first cut-off at which the flag is raised, so they are
an upper bound: a shorter ``--every`` tightens them at the cost of more passes.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from distillshield.csvcells import escape_cell
from distillshield.db import open_database, query_arrow
from distillshield.detect import DetectionResult, detect
from distillshield.detect.model import SHIPPED, DetectionModel
from distillshield.detect.rules import load_rules
from distillshield.features import compute_features
from distillshield.features.pipeline import score_distinct_texts
from distillshield.ingest import IngestStats, expand_inputs, ingest_paths
from distillshield.ingest.mapping import FieldMapping
from distillshield.online_replay import ACCOUNT_COLUMNS, read_rows, replay_rows, write_online_csv
from distillshield.pipeline import content_fields
from distillshield.progress import SILENT, Progress
from distillshield.registry import Registry, build_registry
from distillshield.report import write_accounts_csv, write_campaigns_json
from distillshield.respond.policy import DEFAULT_POLICY, Policy
from distillshield.settings import Settings

CAMPAIGN_COLUMNS = ("campaign_id", "accounts", "first_flagged_at", "campaign_requests_at_flag", "campaign_requests")


@dataclass(frozen=True, slots=True)
class ReplayResult:
    ingest: IngestStats
    cutoffs: int
    accounts_flagged: int
    campaigns: int
    online_escalated: int | None = None  # accounts the gateway stepped up or blocked (``online``)


def run_replay(
    inputs: Sequence[str | Path],
    out_dir: Path,
    every: timedelta,
    *,
    settings: Settings | None = None,
    registry: Registry | None = None,
    progress: Progress = SILENT,
    mapping: FieldMapping | None = None,
    online: bool = False,
    policy: Policy = DEFAULT_POLICY,
    model: DetectionModel | None = None,
) -> ReplayResult:
    """Replay ``inputs`` in steps of ``every`` (and, with ``online``, through the gateway); see the module
    docstring for the outputs. ``model`` (``--model``): learned weights, thresholds and dismissed accounts,
    as a scan takes them, its hash in every trace and in the online decisions."""
    given = settings or Settings()
    settings = model.settings(given) if model is not None else given
    registry = registry or build_registry()
    out_dir.mkdir(parents=True, exist_ok=True)
    con = open_database(out_dir / "replay.duckdb", settings)
    try:
        quarantine = out_dir / "quarantine.jsonl"
        stats = ingest_paths(expand_inputs(inputs), con, quarantine, settings=settings, mapping=mapping)
        detectors = registry.instances("content")
        score_distinct_texts(con, detectors, progress)
        first_flag, final, n_cutoffs = _replay_cutoffs(con, registry, settings, every, progress, model or SHIPPED)
        con.execute("DROP VIEW IF EXISTS requests")
        con.execute("ALTER TABLE requests_all RENAME TO requests")
        # One table of final verdicts and first flags serves both summaries.
        con.register("flags", _flag_table(final, first_flag))
        account_rows = _account_rows(con)
        campaign_rows = _campaign_rows(con) if final.campaigns else []
        rows = read_rows(con) if online else []
    finally:
        con.close()
    escalated = None
    if online:
        live = replay_rows(rows, policy=policy, settings=given, progress=progress, model=model)
        write_online_csv(live, out_dir / "online_time_to_detect.csv")
        escalated = len(live.escalated())
    # The last cut-off is a whole scan: its contract files let `evaluate` score the replay directory too.
    write_accounts_csv(final.verdicts, out_dir / "accounts.csv")
    write_campaigns_json(final.campaigns, out_dir / "campaigns.json")
    _write_csv(out_dir / "time_to_detect.csv", ACCOUNT_COLUMNS, account_rows)
    _write_csv(out_dir / "campaign_time_to_detect.csv", CAMPAIGN_COLUMNS, campaign_rows)
    flagged = sum(1 for r in account_rows if r["first_flagged_at"])
    return ReplayResult(stats, n_cutoffs, flagged, len(campaign_rows), escalated)


def _cutoffs(con: duckdb.DuckDBPyConnection, every: timedelta) -> list[datetime]:
    start, end = con.execute("SELECT min(ts), max(ts) FROM requests").fetchone() or (None, None)
    if start is None or end is None:
        return []
    steps, moment = [], start + every
    while moment < end + every:
        steps.append(min(moment, end))
        moment += every
    return steps


def _replay_cutoffs(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    settings: Settings,
    every: timedelta,
    progress: Progress,
    model: DetectionModel,
) -> tuple[dict[str, datetime], DetectionResult, int]:
    cutoffs = _cutoffs(con, every)
    con.execute("ALTER TABLE requests RENAME TO requests_all")
    first_flag: dict[str, datetime] = {}
    final = DetectionResult([], [])
    task = progress.task("Replaying cut-offs", total=len(cutoffs))
    detectors, scorers, linkers = (registry.instances(k) for k in ("content", "scorers", "linkers"))
    rules = load_rules(content_fields=content_fields(registry))
    for cutoff in cutoffs:
        # A view named like the table: the feature SQL reads ``requests`` and sees the log as of the cut-off.
        con.execute(f"CREATE OR REPLACE VIEW requests AS SELECT * FROM requests_all WHERE ts <= '{cutoff.isoformat()}'")
        frame = compute_features(con, detectors, settings, score_content=False)
        final = detect(con, frame, scorers, linkers, settings, rules=rules, model=model)
        for verdict in final.verdicts:
            if verdict.verdict == "distiller":
                first_flag.setdefault(verdict.account_id, cutoff)
        task.advance()
    task.close()
    return first_flag, final, len(cutoffs)


def _flag_table(final: DetectionResult, first_flag: dict[str, datetime]) -> pa.Table:
    return pa.table(
        {
            "account_id": [v.account_id for v in final.verdicts],
            "campaign_id": [v.campaign_id for v in final.verdicts],
            "verdict": [v.verdict for v in final.verdicts],
            "flagged_at": pa.array([first_flag.get(v.account_id) for v in final.verdicts], pa.timestamp("us")),
        }
    )


def _account_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = query_arrow(
        con,
        """
            WITH campaign_flag AS (
              SELECT campaign_id, min(flagged_at) AS campaign_flagged_at FROM flags
              WHERE campaign_id IS NOT NULL GROUP BY campaign_id
            )
            SELECT f.account_id, f.verdict, coalesce(f.campaign_id, '') AS campaign_id,
                   f.flagged_at AS first_flagged_at,
                   count(r.request_id) FILTER (WHERE r.ts <= f.flagged_at) AS requests_at_flag,
                   count(r.request_id) AS requests,
                   coalesce(min(r.ts) > any_value(c.campaign_flagged_at), false) AS joined_known_campaign
            FROM flags f JOIN requests r USING (account_id) LEFT JOIN campaign_flag c USING (campaign_id)
            GROUP BY f.account_id, f.verdict, f.campaign_id, f.flagged_at
            ORDER BY f.account_id
            """,
    ).to_pylist()
    for row in rows:
        if row["first_flagged_at"] is None:
            row["requests_at_flag"] = ""
    return rows


def _campaign_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = query_arrow(
        con,
        """
            WITH c AS (
              SELECT campaign_id, min(flagged_at) AS first_flagged_at, count(*) AS accounts
              FROM flags WHERE campaign_id IS NOT NULL GROUP BY campaign_id
            )
            SELECT c.campaign_id, c.accounts, c.first_flagged_at,
                   count(r.request_id) FILTER (WHERE r.ts <= c.first_flagged_at) AS campaign_requests_at_flag,
                   count(r.request_id) AS campaign_requests
            FROM c JOIN flags f USING (campaign_id) JOIN requests r ON r.account_id = f.account_id
            GROUP BY ALL ORDER BY c.campaign_id
            """,
    ).to_pylist()
    return rows


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: escape_cell(_cell(v)) for k, v in row.items()})


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    return "" if value is None else value
