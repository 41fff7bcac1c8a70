"""Small hand-made scan directories for the report and evaluate tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from distillshield.records import Campaign, Signal, Verdict
from distillshield.report import write_accounts_csv, write_campaigns_json, write_timeline_csv

HOSTILE_ID = "<script>alert('acct')</script>"


def verdict(account_id: str, risk: float, label: str = "benign", campaign_id: str | None = None) -> Verdict:
    signal = Signal("detect.scorers.test.Fixed", "volume", risk * 1000, risk, detail="requests per day")
    return Verdict(account_id, risk, label, campaign_id, (signal,))


def campaign(
    campaign_id: str, accounts: Sequence[str], risk: float, evidence: dict[str, object] | None = None
) -> Campaign:
    return Campaign(
        campaign_id,
        tuple(accounts),
        risk,
        datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 5, 20, 30, tzinfo=UTC),
        1234,
        evidence or {},
    )


def run_json(**overrides: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "distillshield": "0.1.0",
        "started_at": "2026-05-01T10:00:00Z",
        "finished_at": "2026-05-01T10:00:42Z",
        "inputs": [{"path": "logs/traffic.jsonl.gz", "bytes": 5_242_880}],
        "counts": {"read": 1000, "accepted": 990, "quarantined": 10, "duplicates": 0},
        "timings_s": {"ingest": 1.5, "features": 0.25, "detect": 3.125},
        "settings": {"suspicious_threshold": 0.5, "distiller_threshold": 0.8},
        "versions": {"python": "3.11.9", "duckdb": "1.1.3"},
    }
    return run | overrides


def write_scan_dir(
    root: Path,
    verdicts: Iterable[Verdict],
    campaigns: Iterable[Campaign] = (),
    timeline: Iterable[tuple[str, str, int]] | None = None,
    run: dict[str, Any] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_accounts_csv(verdicts, root / "accounts.csv")
    write_campaigns_json(campaigns, root / "campaigns.json")
    if timeline is not None:
        write_timeline_csv(timeline, root / "timeline.csv")
    if run is not None:
        (root / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return root
