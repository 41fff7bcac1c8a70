"""Ingest on Spark accepts, rejects and deduplicates exactly as the DuckDB ingest does, from files and tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillshield.engines.spark import SparkEngine
from distillshield.ingest import IngestStats, ingest_paths
from distillshield.ingest.spark import ingest_spark

RECORDS = [
    {"request_id": f"r{k}", "ts": f"2026-05-01T10:0{k}:00Z", "account_id": f"a{k % 2}", "model": "m", "prompt": f"p{k}"}
    for k in range(5)
] + [
    {"request_id": "bad", "ts": "2026-05-01T10:00:00Z", "account_id": "a0", "model": None, "prompt": "no model"},
    {"request_id": "r1", "ts": "2026-05-01T10:01:00Z", "account_id": "a1", "model": "m", "prompt": "p1"},
    {"request_id": "r2", "ts": "2026-05-01T10:02:00Z", "account_id": "a0", "model": "m", "prompt": "other"},
]
QUERY = "SELECT request_id, ts, account_id, user_prompt FROM requests ORDER BY request_id"


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark-ingest") / "logs.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS), path)
    return path


@pytest.fixture(scope="module")
def duck(parquet: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestStats, list[Any], list[Any]]:
    out = tmp_path_factory.mktemp("duck")
    con = duckdb.connect()
    stats = ingest_paths([parquet], con, out / "quarantine.jsonl")
    return stats, con.sql(QUERY).fetchall(), _quarantine(out / "quarantine.jsonl")


def _quarantine(path: Path) -> list[tuple[Any, ...]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r["line"], r["field"], r["reason"]) for r in rows]


def _counts(stats: IngestStats) -> tuple[int, int, int, int]:
    return stats.read, stats.accepted, stats.quarantined, stats.duplicates


def test_files_ingest_alike(spark_engine: SparkEngine, parquet: Path, duck: Any, tmp_path: Path) -> None:
    stats = ingest_spark(spark_engine, [parquet], tmp_path / "quarantine.jsonl")
    assert _counts(stats) == _counts(duck[0]) == (8, 6, 2, 1)
    assert [tuple(r.values()) for r in spark_engine.arrow(QUERY).to_pylist()] == duck[1]
    assert _quarantine(tmp_path / "quarantine.jsonl") == duck[2]


def test_a_table_ingests_alike_and_names_its_partition(
    spark_engine: SparkEngine, parquet: Path, duck: Any, tmp_path: Path
) -> None:
    table = f"parquet.`{parquet}`"
    stats = ingest_spark(spark_engine, [], tmp_path / "quarantine.jsonl", table=table)
    assert _counts(stats) == _counts(duck[0])
    assert [tuple(r.values()) for r in spark_engine.arrow(QUERY).to_pylist()] == duck[1]
    assert _quarantine(tmp_path / "quarantine.jsonl") == duck[2]
    first = json.loads((tmp_path / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["file"] == f"{table}[partition 0]"
