"""Hostile log producers: decompression bombs, huge records and endless rejects stay within their budgets."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import tracemalloc
import zlib
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.errors import BudgetExceededError
from distillshield.ingest import ingest_paths
from distillshield.ingest.readers import sniff
from distillshield.settings import Settings
from tests.ingest.helpers import dumps, record, write_lines

MiB = 1024 * 1024


def _bomb(path: Path, head: bytes, fill: bytes, size: int, tail: bytes = b"") -> Path:
    """A gzip file that expands to ``head`` + ``size`` bytes of ``fill`` + ``tail``, written in pieces."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = fill * (MiB // len(fill))
    with path.open("wb") as out:
        out.write(squeeze.compress(head))
        for _ in range(size // len(block)):
            out.write(squeeze.compress(block))
        out.write(squeeze.compress(tail) + squeeze.flush())
    return path


def _quarantine(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_one_line_gzip_bomb_is_cut_in_bounded_memory_and_quarantine(tmp_path: Path) -> None:
    good = b"".join(line + b"\n" for line in dumps(record(1)))
    bomb = _bomb(tmp_path / "bomb.jsonl.gz", good + b'{"request_id": "x", "pad": "', b"x", 160 * MiB)
    assert bomb.stat().st_size < MiB
    quarantine = tmp_path / "q.jsonl"
    tracemalloc.start()
    stats = ingest_paths([bomb], duckdb.connect(), quarantine, settings=Settings(max_record_bytes=MiB))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    entries = _quarantine(quarantine)
    assert stats.read == stats.accepted + stats.quarantined and stats.accepted == 1
    assert any("decompression bomb" in str(e["reason"]) for e in entries)
    assert quarantine.stat().st_size < 64 * 1024, "the quarantine keeps prefixes, not the bomb"
    assert peak < 24 * MiB, f"peak traced memory {peak / MiB:.0f} MiB"


def test_bomb_of_empty_records_stops_at_the_decompression_cap(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "empties.jsonl.gz", b"", b"{}\n", 4 * MiB)
    quarantine = tmp_path / "q.jsonl"
    settings = Settings(max_decompressed_bytes=48 * 1024)
    stats = ingest_paths([bomb], duckdb.connect(), quarantine, settings=settings)
    entries = _quarantine(quarantine)
    assert stats.read == stats.quarantined == len(entries) and stats.read < 20_000
    assert "decompression bomb" in str(entries[-1]["reason"])


def test_quarantine_cap_stops_the_run_with_a_budget_error(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "bad.jsonl", [b"{}"] * 500)
    with pytest.raises(BudgetExceededError, match="max_quarantine_bytes"):
        ingest_paths([log], duckdb.connect(), tmp_path / "q.jsonl", settings=Settings(max_quarantine_bytes=4096))
    assert (tmp_path / "q.jsonl").stat().st_size <= 4096


def test_budget_stop_has_its_own_exit_status(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "bad.jsonl", [b"{}"] * 500)
    result = CliRunner().invoke(
        app, ["scan", str(log), "--out", str(tmp_path / "out"), "--set", "max_quarantine_bytes=4096", "-q"]
    )
    assert result.exit_code == 3, result.output
    assert "max_quarantine_bytes" in result.output


def test_oversized_record_is_kept_as_prefix_length_and_digest(tmp_path: Path) -> None:
    huge = b'{"request_id": "big", "pad": "' + b"y" * (3 * MiB) + b'"}'
    log = write_lines(tmp_path / "big.jsonl", [huge, *dumps(record(2))])
    quarantine = tmp_path / "q.jsonl"
    stats = ingest_paths([log], duckdb.connect(), quarantine, settings=Settings(max_record_bytes=MiB))
    (entry,) = _quarantine(quarantine)
    assert (stats.read, stats.accepted, stats.quarantined) == (2, 1, 1)
    assert entry["raw_bytes"] == len(huge) and entry["raw_sha256"] == hashlib.sha256(huge).hexdigest()
    assert str(entry["raw_prefix"]).startswith('{"request_id": "big"') and len(str(entry["raw_prefix"])) <= 4096


def test_sniffing_a_one_line_bomb_reads_a_bounded_head(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "bomb.jsonl.gz", b'{"request_id": "', b"z", 96 * MiB)
    tracemalloc.start()
    kind = sniff(bomb, "auto")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert kind == "jsonl" and peak < 32 * MiB, f"peak traced memory {peak / MiB:.0f} MiB"


def test_litellm_csv_honours_max_record_bytes(tmp_path: Path) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["request_id", "startTime", "team_id", "model", "messages"])
    writer.writerow(["r1", "2026-05-04 10:00:00", "team-1", "atlas-3", '[{"role":"user","content":"hi"}]'])
    writer.writerow(["r2", "2026-05-04 10:00:01", "team-1", "atlas-3", "x" * (8 * MiB)])
    path = tmp_path / "spend.csv.gz"
    path.write_bytes(gzip.compress(text.getvalue().encode(), 6))
    quarantine = tmp_path / "q.jsonl"
    tracemalloc.start()
    stats = ingest_paths([path], duckdb.connect(), quarantine, settings=Settings(max_record_bytes=MiB))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    (entry,) = _quarantine(quarantine)
    assert (stats.read, stats.accepted, stats.quarantined) == (2, 1, 1)
    assert "max_record_bytes" in str(entry["reason"]) and entry["line"] == 3
    assert peak < 6 * MiB, f"peak traced memory {peak / MiB:.0f} MiB"
