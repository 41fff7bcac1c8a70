"""Small helpers for ingest tests: write logs, run ingest into a fresh DuckDB, read the quarantine."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import duckdb
import orjson

from distillshield.ingest import IngestStats, ingest_paths
from distillshield.settings import Settings


def record(i: int = 0, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "request_id": f"req-{i}",
        "ts": "2026-05-04T10:00:00Z",
        "account_id": f"acct-{i % 3}",
        "model": "atlas-3",
        "messages": [{"role": "user", "content": f"hello {i}"}],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def write_lines(path: Path, lines: list[bytes], *, compress: bool = False) -> Path:
    data = b"".join(line + b"\n" for line in lines)
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def dumps(*records: dict[str, Any]) -> list[bytes]:
    return [orjson.dumps(r) for r in records]


def run(
    paths: list[Path], tmp: Path, *, con: duckdb.DuckDBPyConnection | None = None, **settings: Any
) -> tuple[IngestStats, duckdb.DuckDBPyConnection, list[dict[str, Any]]]:
    con = con or duckdb.connect()
    quarantine = tmp / "quarantine.jsonl"
    stats = ingest_paths(paths, con, quarantine, settings=Settings(**settings))
    entries = [json.loads(line) for line in quarantine.read_text().split("\n") if line] if quarantine.exists() else []
    assert stats.read == stats.accepted + stats.quarantined
    assert len(entries) == stats.quarantined
    return stats, con, entries


def count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM requests").fetchone()
    assert row is not None
    return int(row[0])
