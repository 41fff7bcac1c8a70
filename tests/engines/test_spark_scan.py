"""The acceptance test of the Spark engine: the same scan, the same verdicts and campaigns as DuckDB."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from distillshield.engines.spark import SparkEngine, SparkOptions
from distillshield.pipeline import ScanResult, run_scan
from distillshield.simulate import simulate

pytestmark = pytest.mark.slow


def _extra_file(log: Path, path: Path) -> None:
    """Records that exercise the quarantine and the request_id rules: bad JSON, a missing field, a copy, a clash."""
    with gzip.open(log, "rb") as f:
        first = orjson.loads(f.readline())
    clash = {**first, "model": first["model"] + "-other"}
    missing = {k: v for k, v in first.items() if k != "account_id"} | {"request_id": "no-account"}
    lines = [b"{not json", orjson.dumps(missing), orjson.dumps(first), orjson.dumps(clash), b""]
    path.write_bytes(b"\n".join(lines))


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, spark_engine: SparkEngine) -> tuple[ScanResult, ScanResult]:
    root = tmp_path_factory.mktemp("spark-scan")
    simulate(root / "data", scale=0.01, seed=11)
    log = root / "data" / "traffic.jsonl.gz"
    _extra_file(log, root / "data" / "extra.jsonl")
    inputs = [log, root / "data" / "extra.jsonl"]
    duck = run_scan(inputs, root / "duckdb", html=False)
    # The fixture's session is active, so the scan runs on it (and leaves it running), as in a notebook.
    spark = run_scan(inputs, root / "spark", html=False, spark=SparkOptions(master="local[2]"))
    return duck, spark


def _accounts(result: ScanResult) -> list[dict[str, str]]:
    with (result.out_dir / "accounts.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _quarantine(result: ScanResult) -> list[tuple[Any, ...]]:
    lines = (result.out_dir / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    return [(Path(r["file"]).name, r["line"], r["field"], r["reason"]) for r in map(json.loads, lines)]


def test_verdicts_are_identical(scans: tuple[ScanResult, ScanResult]) -> None:
    duck, spark = scans
    expected = _accounts(duck)
    assert any(r["verdict"] == "distiller" for r in expected) and any(r["campaign_id"] for r in expected)
    assert _accounts(spark) == expected


def test_campaigns_are_identical(scans: tuple[ScanResult, ScanResult]) -> None:
    duck, spark = scans
    expected = json.loads((duck.out_dir / "campaigns.json").read_text(encoding="utf-8"))
    assert len(expected) >= 2
    assert json.loads((spark.out_dir / "campaigns.json").read_text(encoding="utf-8")) == expected


def test_ingest_counts_and_quarantine_are_identical(scans: tuple[ScanResult, ScanResult]) -> None:
    duck, spark = scans
    assert spark.counts == duck.counts
    assert duck.counts["quarantined"] == 3 and duck.counts["duplicates"] == 1
    assert _quarantine(spark) == _quarantine(duck)
    assert [f.read for f in spark.ingest.per_file] == [f.read for f in duck.ingest.per_file]


def test_timeline_and_run_json_name_the_engine(scans: tuple[ScanResult, ScanResult]) -> None:
    duck, spark = scans
    assert (spark.out_dir / "timeline.csv").read_text() == (duck.out_dir / "timeline.csv").read_text()
    assert json.loads((spark.out_dir / "run.json").read_text())["engine"] == "spark"
    assert json.loads((duck.out_dir / "run.json").read_text())["engine"] == "duckdb"
