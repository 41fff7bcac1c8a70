"""The main job end to end: simulated log in, contract outputs out."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import duckdb
import orjson
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.evaluate import evaluate
from distillshield.pipeline import run_scan
from tests.conftest import SmallScan

runner = CliRunner()


def _labels(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {row["account_id"]: row for row in csv.DictReader(f)}


def _accounts(scan: SmallScan) -> list[dict[str, str]]:
    with (scan.result.out_dir / "accounts.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_accounts_csv_has_one_row_per_account_with_contract_columns(small_scan: SmallScan) -> None:
    with (small_scan.result.out_dir / "accounts.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["account_id", "risk", "verdict", "campaign_id", "reasons"]
        rows = list(reader)
    assert sorted(r["account_id"] for r in rows) == sorted(_labels(small_scan.labels))
    assert all(0.0 <= float(r["risk"]) <= 1.0 for r in rows)
    assert {r["verdict"] for r in rows} <= {"benign", "suspicious", "distiller"}
    flagged = [r for r in rows if r["verdict"] != "benign"]
    assert flagged and all(r["reasons"] and r["reasons"] != "no signal fired" for r in flagged)


def test_campaigns_json_has_contract_fields_and_evidence(small_scan: SmallScan) -> None:
    campaigns = json.loads((small_scan.result.out_dir / "campaigns.json").read_text(encoding="utf-8"))
    assert campaigns, "the simulated campaigns must be found"
    accounts_csv = {r["account_id"]: r["campaign_id"] for r in _accounts(small_scan)}
    for campaign in campaigns:
        assert {"campaign_id", "accounts", "risk", "first_seen", "last_seen", "requests", "evidence"} <= set(campaign)
        assert campaign["first_seen"] <= campaign["last_seen"] and campaign["requests"] >= len(campaign["accounts"])
        assert campaign["evidence"]["links"] and campaign["evidence"]["signals"]
        assert all(accounts_csv[a] == campaign["campaign_id"] for a in campaign["accounts"])


def test_run_json_counts_add_up(small_scan: SmallScan) -> None:
    run = json.loads((small_scan.result.out_dir / "run.json").read_text(encoding="utf-8"))
    counts = run["counts"]
    assert counts["read"] == counts["accepted"] + counts["quarantined"]
    assert counts["accepted"] > 0 and counts["accounts"] == len(_labels(small_scan.labels))
    assert set(run["timings_s"]) >= {"ingest", "features", "detect", "write", "report"}
    assert (small_scan.result.out_dir / "report.html").stat().st_size > 10_000


def test_scan_finds_campaigns_without_flagging_most_customers(small_scan: SmallScan) -> None:
    result = evaluate(small_scan.labels, small_scan.result.out_dir).to_dict()
    overall = result["overall"]
    assert overall["recall"] >= 0.6, overall
    assert overall["precision"] >= 0.9, overall
    assert overall["false_positive_rate"] <= 0.02, overall


def _write_log(path: Path, records: list[dict[str, object]], bad_lines: list[bytes]) -> None:
    with gzip.open(path, "wb") as f:
        for record in records:
            f.write(orjson.dumps(record) + b"\n")
        for line in bad_lines:
            f.write(line + b"\n")


def _record(i: int, account: str) -> dict[str, object]:
    return {
        "request_id": f"r{i}",
        "ts": 1_780_000_000 + i * 60,
        "account_id": account,
        "model": "atlas-3",
        "messages": [{"role": "user", "content": f"question {i}"}],
    }


def test_cli_exit_status_and_summary_follow_what_was_quarantined(tmp_path: Path) -> None:
    good = [_record(i, f"acct{i % 3}") for i in range(12)]
    _write_log(tmp_path / "ok.jsonl.gz", good, [])
    res = runner.invoke(app, ["scan", str(tmp_path / "ok.jsonl.gz"), "--out", str(tmp_path / "a"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "12 read, 12 accepted, 0 quarantined" in res.output

    _write_log(tmp_path / "mixed.jsonl.gz", good, [b"{not json", b'{"request_id": "x"}'])
    res = runner.invoke(app, ["scan", str(tmp_path / "mixed.jsonl.gz"), "--out", str(tmp_path / "b"), "-q"])
    assert res.exit_code == 1, res.output
    assert "14 read, 12 accepted, 2 quarantined" in res.output
    assert len((tmp_path / "b" / "quarantine.jsonl").read_text().splitlines()) == 2

    _write_log(tmp_path / "bad.jsonl.gz", [], [b"nope", b"[1, 2]"])
    res = runner.invoke(app, ["scan", str(tmp_path / "bad.jsonl.gz"), "--out", str(tmp_path / "c"), "-q"])
    assert res.exit_code == 2, res.output


def test_reused_database_is_idempotent(tmp_path: Path) -> None:
    _write_log(tmp_path / "log.jsonl.gz", [_record(i, f"acct{i % 4}") for i in range(20)], [])
    db = tmp_path / "shared.duckdb"
    first = run_scan([tmp_path / "log.jsonl.gz"], tmp_path / "one", db_path=db, html=False)
    second = run_scan([tmp_path / "log.jsonl.gz"], tmp_path / "two", db_path=db, html=False)
    assert first.ingest.accepted == 20 and second.ingest.duplicates == 20
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM requests").fetchone()
    assert row is not None and row[0] == 20
    assert len(second.detection.verdicts) == 4


def test_help_has_an_example() -> None:
    for command in ("scan", "simulate", "evaluate", "frontier"):
        res = runner.invoke(app, [command, "--help"])
        assert res.exit_code == 0 and "Example" in res.output, command
