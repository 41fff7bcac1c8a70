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


def _line(**fields: Any) -> bytes:
    base = {"request_id": "x", "ts": "2026-05-01T10:00:00Z", "account_id": "a1", "model": "m", "prompt": "p"}
    return json.dumps({**base, **fields}, ensure_ascii=False).encode("utf-8")


#: Lines the SQL path must take as to_row does, and lines it must leave to the Python validator.
TRICKY = [
    _line(request_id="plain"),
    _line(request_id="float-ts", ts=1777629600.123457),
    _line(request_id="int-ts", ts=1777629600, account_created_at="2026-04-01T00:00:00.5+02:00"),
    _line(request_id="loose-ts", ts="2026-05-01 10:00:00+00:00"),
    _line(request_id="naive-ts", ts="2026-05-01T10:00:00"),
    _line(request_id="bad-date", ts="2026-02-30T10:00:00Z"),
    _line(
        request_id="msgs",
        messages=[
            {"role": "system", "content": "s1"},
            {"role": "developer", "content": None},
            {"role": "user", "content": "u1"},
            {"role": "user", "content": "u2"},
        ],
    ),
    _line(request_id="empty-user", prompt="fallback", messages=[{"role": "user", "content": ""}]),
    _line(request_id="no-msgs-list", prompt=None, messages=[]),
    _line(request_id="parts", messages=[{"role": "user", "content": [{"type": "text", "text": "t"}]}]),
    _line(request_id="no-content", messages=[{"role": "user"}]),
    _line(request_id="role-null", messages=[{"role": None, "content": "c"}]),
    _line(request_id="unknown-field", team="red"),
    _line(request_id="extra", extra={"k": [1, 2.5, "é"]}),
    _line(request_id="extra-empty", extra={}),
    _line(request_id="extra-bad", extra=[1]),
    _line(request_id="neg", prompt_tokens=-1),
    _line(request_id="big", asn=2**63),
    _line(request_id="status", status=-7),
    _line(request_id="float-int", completion_tokens=3.0),
    _line(request_id="bool-int", tool_calls=True),
    _line(request_id="   "),
    _line(request_id="unicode-space\u3000", account_id="\u3000"),
    _line(request_id="num-id", account_id=7),
    b'{"request_id": "dup-key", "request_id": "y", "ts": "2026-05-01T10:00:00Z"}',
    b'{"request_id": "nan", "ts": "2026-05-01T10:00:00Z", "account_id": "a", "model": "m", "prompt": "p", "asn": NaN}',
    b'{"request_id": "surrogate", "ts": "2026-05-01T10:00:00Z", "account_id": "a", "model": "m", "prompt": "\\ud800"}',
    b'{"request_id": "latin1", "ts": "2026-05-01T10:00:00Z", "account_id": "a", "model": "m", "prompt": "caf\xe9"}',
    b'{"request_id": "crlf", "ts": "2026-05-01T10:00:00Z", "account_id": "a", "model": "m", "prompt": "p"}\r',
    b"",
    b"   ",
    b"[1, 2]",
    b"{not json",
    _line(request_id="plain"),
    _line(request_id="plain", model="other"),
]
#: The DuckDB ingest's SQL fast path stores a prompt-only record's system_prompt as NULL where to_row (and so
#: DuckDB's Python path and Spark) store "": compared as equal here, both read as no system prompt downstream.
ROWS = (
    "SELECT request_id, ts, account_id, asn, account_created_at, model, prompt, prompt_tokens, completion_tokens,"
    " tool_calls, status, coalesce(system_prompt, '') AS system_prompt, user_prompt, n_messages, n_user_turns,"
    " source_line, messages, extra FROM requests ORDER BY request_id"
)


def test_json_lines_through_sql_ingest_as_the_python_validator_does(spark_engine: SparkEngine, tmp_path: Path) -> None:
    log = tmp_path / "tricky.jsonl"
    log.write_bytes(b"\n".join(TRICKY) + b"\n")
    con = duckdb.connect()
    expected = ingest_paths([log], con, tmp_path / "duck.jsonl")
    stats = ingest_spark(spark_engine, [log], tmp_path / "spark.jsonl")
    assert _counts(stats) == _counts(expected)
    assert expected.accepted > 10 and expected.quarantined > 10
    duck_rows = [_decoded(r) for r in con.sql(ROWS).to_arrow_table().to_pylist()]
    spark_rows = [_decoded(r) for r in spark_engine.arrow(ROWS).to_pylist()]
    assert spark_rows == duck_rows
    assert (tmp_path / "spark.jsonl").read_bytes() == (tmp_path / "duck.jsonl").read_bytes()


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """Stored JSON text compared as values: each engine writes its own compact spelling."""
    return {k: json.loads(v) if k in ("messages", "extra") and v is not None else v for k, v in row.items()}
