"""Every kind of bad input is quarantined with file, line, field and reason, and nothing else is lost."""

from __future__ import annotations

import base64
import gzip
import json
import os
import tracemalloc
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillshield.errors import InputError
from distillshield.ingest import expand_inputs, ingest_paths
from distillshield.settings import Settings
from tests.ingest.helpers import count, dumps, record, run, write_lines


def test_valid_records_land_with_derived_columns(tmp_path: Path) -> None:
    rec = record(
        1,
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "image_url"}]},
            {"role": "assistant", "content": None},
            {"role": "user", "content": "last turn"},
        ],
        ts=1_780_000_000.5,
        unknown_field={"kept": True},
        extra={"region": "eu"},
    )
    stats, con, entries = run([write_lines(tmp_path / "a.jsonl", dumps(rec))], tmp_path)
    assert (stats.read, stats.accepted, stats.quarantined) == (1, 1, 0) and entries == []
    row = con.execute("SELECT system_prompt, user_prompt, n_messages, n_user_turns, extra, status, ts FROM requests")
    system, user, n_messages, n_user, extra, status, ts = row.fetchone()  # type: ignore[misc]
    assert (system, user, n_messages, n_user, status) == ("Be brief.", "last turn", 4, 2, 200)
    assert '"unknown_field":{"kept":true}' in extra and '"region":"eu"' in extra
    assert ts.isoformat() == "2026-05-28T20:26:40.500000"


def test_invalid_json_and_non_objects(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "a.jsonl", [b"{oops", b"[1, 2]", b"42", *dumps(record(1))])
    stats, _, entries = run([log], tmp_path)
    assert (stats.read, stats.accepted, stats.quarantined) == (4, 1, 3)
    assert [e["line"] for e in entries] == [1, 2, 3]
    assert entries[0]["reason"].startswith("invalid JSON") and entries[0]["raw"] == "{oops"
    assert "must be a JSON object" in entries[1]["reason"]
    assert all(e["file"] == str(log) for e in entries)


@pytest.mark.parametrize("field", ["request_id", "ts", "account_id", "model"])
def test_missing_required_field(tmp_path: Path, field: str) -> None:
    stats, _, entries = run([write_lines(tmp_path / "a.jsonl", dumps(record(1, **{field: None})))], tmp_path)
    assert stats.quarantined == 1 and entries[0]["field"] == field and "missing" in entries[0]["reason"]


def test_messages_or_prompt_required(tmp_path: Path) -> None:
    stats, con, entries = run(
        [write_lines(tmp_path / "a.jsonl", dumps(record(1, messages=None), record(2, messages=None, prompt="hi")))],
        tmp_path,
    )
    assert stats.accepted == 1 and entries[0]["field"] == "messages"
    assert con.execute("SELECT user_prompt FROM requests").fetchone() == ("hi",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("request_id", 7),
        ("account_id", ""),
        ("prompt_tokens", "12"),
        ("completion_tokens", True),
        ("asn", 1.5),
        ("ip", ["10.0.0.1"]),
        ("messages", "hi"),
        ("messages", [{"content": "no role"}]),
        ("messages", [{"role": "user", "content": 5}]),
        ("extra", [1]),
        ("account_created_at", "yesterday"),
        ("status", 2**31),  # the column is 32-bit: this once stopped the whole ingest
        ("status", -(2**31) - 1),
    ],
)
def test_wrong_types_name_the_field(tmp_path: Path, field: str, value: object) -> None:
    stats, _, entries = run([write_lines(tmp_path / "a.jsonl", dumps(record(1, **{field: value})))], tmp_path)
    assert stats.quarantined == 1 and entries[0]["field"] == field, entries


@pytest.mark.parametrize("status", [2**31, -(2**31) - 1, 2**62])
def test_status_beyond_32_bits_is_quarantined_not_a_crash(tmp_path: Path, status: int) -> None:
    """The stored status is a 32-bit INTEGER: a larger one is quarantined with its reason, the rest go in."""
    log = write_lines(tmp_path / "a.jsonl", dumps(record(1, status=status), record(2, status=2**31 - 1)))
    stats, con, entries = run([log], tmp_path)
    assert (stats.accepted, stats.quarantined) == (1, 1)
    assert (entries[0]["line"], entries[0]["field"]) == (1, "status")
    assert entries[0]["reason"] == f"status {status} does not fit in 32 bits"
    assert con.execute("SELECT status FROM requests").fetchall() == [(2**31 - 1,)]


def test_prompt_only_record_has_an_empty_system_prompt_on_both_paths(tmp_path: Path) -> None:
    """A record without messages stores system_prompt "" whichever path validated it (the bulk path had NULL)."""
    bulk = record(1, messages=None, prompt="hi")
    fallback = record(2, messages=None, prompt="hi", ts="2026-05-04 10:00:00Z")  # a spelling only to_row takes
    _, con, entries = run([write_lines(tmp_path / "a.jsonl", dumps(bulk, fallback))], tmp_path)
    assert entries == []
    rows = con.execute("SELECT request_id, system_prompt, user_prompt FROM requests ORDER BY 1").fetchall()
    assert rows == [("req-1", "", "hi"), ("req-2", "", "hi")]


@pytest.mark.parametrize("ts", ["2026-13-01T00:00:00Z", "not a time", "2026-05-04T10:00:00", True, -5, 1e300])
def test_unparseable_or_naive_timestamps(tmp_path: Path, ts: object) -> None:
    stats, _, entries = run([write_lines(tmp_path / "a.jsonl", dumps(record(1, ts=ts)))], tmp_path)
    assert stats.quarantined == 1 and entries[0]["field"] == "ts"


def test_offsets_are_normalised_to_utc(tmp_path: Path) -> None:
    _, con, _ = run([write_lines(tmp_path / "a.jsonl", dumps(record(1, ts="2026-05-04T12:00:00+02:00")))], tmp_path)
    assert str(con.execute("SELECT ts FROM requests").fetchone()[0]) == "2026-05-04 10:00:00"  # type: ignore[index]


def test_non_utf8_bytes(tmp_path: Path) -> None:
    bad = b'{"request_id": "x\xff\xfe", "ts": 1}'
    stats, _, entries = run([write_lines(tmp_path / "a.jsonl", [bad, *dumps(record(1))])], tmp_path)
    assert stats.quarantined == 1 and stats.accepted == 1
    assert "UTF-8" in entries[0]["reason"] and base64.b64decode(entries[0]["raw_base64"]) == bad


def test_truncated_gzip_keeps_complete_lines(tmp_path: Path) -> None:
    lines = dumps(*(record(i) for i in range(200)))
    data = gzip.compress(b"".join(line + b"\n" for line in lines), mtime=0)
    log = tmp_path / "cut.jsonl.gz"
    log.write_bytes(data[: len(data) * 2 // 3])
    stats, _, entries = run([log], tmp_path)
    assert 0 < stats.accepted < 200
    assert entries[-1]["reason"] == "truncated gzip stream"
    assert stats.quarantined == 1


def test_truncated_large_gzip_keeps_every_line_the_standard_library_decompresses(tmp_path: Path) -> None:
    """Past igzip's buffers: the fast decompressor must not drop the block it held when the stream broke."""
    noise = [base64.b64encode(os.urandom(600)).decode() for _ in range(64)]
    lines = dumps(*(record(i, response=noise[i % 64] + str(i)) for i in range(6000)))
    data = gzip.compress(b"".join(line + b"\n" for line in lines), mtime=0)
    log = tmp_path / "cut.jsonl.gz"
    log.write_bytes(data[: len(data) * 3 // 4])
    decompressed = b""
    with gzip.open(log, "rb") as stdlib, pytest.raises(EOFError):
        while block := stdlib.read1(1 << 16):
            decompressed += block
    complete = decompressed.count(b"\n")
    assert complete > 1000
    stats, _, entries = run([log], tmp_path)
    assert stats.accepted == complete
    assert (entries[-1]["reason"], entries[-1]["line"]) == ("truncated gzip stream", complete + 1)


def test_duplicate_request_id_with_different_content(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "a.jsonl", dumps(record(1), record(1, model="other"), record(1)))
    stats, con, entries = run([log], tmp_path)
    assert (stats.accepted, stats.quarantined, stats.duplicates) == (2, 1, 1)
    assert entries[0]["line"] == 2 and entries[0]["field"] == "request_id"
    assert count(con) == 1


def test_reingest_is_idempotent_and_conflicts_across_runs(tmp_path: Path) -> None:
    db = duckdb.connect(str(tmp_path / "reuse.duckdb"))
    log = write_lines(tmp_path / "a.jsonl", dumps(*(record(i) for i in range(10))))
    run([log], tmp_path / "one", con=db)
    stats, _, _ = run([log], tmp_path / "two", con=db)
    assert (stats.accepted, stats.duplicates, count(db)) == (10, 10, 10)
    changed = write_lines(tmp_path / "b.jsonl", dumps(record(3, model="changed")))
    stats, _, entries = run([changed], tmp_path / "three", con=db)
    assert stats.quarantined == 1 and "different content" in entries[0]["reason"] and count(db) == 10


def test_fifty_megabyte_line_is_quarantined_in_bounded_memory(tmp_path: Path) -> None:
    huge_head = b'{"request_id": "big", "pad": "'
    huge = huge_head + b"x" * (50 * 1024 * 1024) + b'"}'
    log = write_lines(tmp_path / "big.jsonl", [*dumps(record(1)), huge, *dumps(record(2))])
    del huge
    tracemalloc.start()
    stats = ingest_paths([log], duckdb.connect(), tmp_path / "q.jsonl", settings=Settings(max_record_bytes=2**20))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    entries = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().split("\n") if line]
    assert (stats.read, stats.accepted, stats.quarantined) == (3, 2, 1)
    assert entries[0]["line"] == 2 and "max_record_bytes" in entries[0]["reason"]
    assert entries[0]["raw_bytes"] == len(huge_head) + 50 * 1024 * 1024 + 2
    assert entries[0]["raw_prefix"].startswith('{"request_id": "big"') and len(entries[0]["raw_sha256"]) == 64
    assert peak < 16 * 1024 * 1024, f"peak traced memory {peak / 2**20:.0f} MiB"


def test_empty_and_blank_files(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    write_lines(tmp_path / "blank.jsonl", [b"", b"   "])
    stats, _, entries = run([tmp_path / "empty.jsonl", tmp_path / "blank.jsonl"], tmp_path)
    assert (stats.read, stats.accepted, stats.quarantined, stats.files) == (0, 0, 0, 2)
    assert len(stats.empty_files) == 2 and entries == []


def _mixed_directory(root: Path) -> None:
    (root / "nested").mkdir(parents=True)
    write_lines(root / "a.jsonl", dumps(record(1), record(2)))
    write_lines(root / "nested" / "b.log.gz", dumps(record(3)) + [b"{broken"], compress=True)
    pq.write_table(pa.Table.from_pylist([record(4), record(5, extra='{"k": 1}')]), root / "c.parquet")
    (root / "d.parquet").write_bytes(b"PAR1 not really parquet")
    litellm = Path(__file__).parent / "data" / "litellm_spendlogs.csv"
    (root / "e.csv").write_bytes(litellm.read_bytes())


def test_directory_of_mixed_files(tmp_path: Path) -> None:
    _mixed_directory(tmp_path / "logs")
    stats, con, entries = run([tmp_path / "logs"], tmp_path)
    assert stats.files == 5
    assert {e["reason"].split(":")[0] for e in entries} == {"invalid JSON", "cannot read file"}
    assert count(con) == stats.accepted - stats.duplicates
    sources = {r[0].rsplit("/", 1)[1] for r in con.execute("SELECT DISTINCT source_file FROM requests").fetchall()}
    assert sources == {"a.jsonl", "b.log.gz", "c.parquet", "e.csv"}


def test_glob_and_unmatched_path(tmp_path: Path) -> None:
    _mixed_directory(tmp_path / "logs")
    assert [p.name for p in expand_inputs([str(tmp_path / "logs" / "*.jsonl")])] == ["a.jsonl"]
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([tmp_path / "missing-*.jsonl"])


def test_unreadable_file(tmp_path: Path) -> None:
    # Root can read a chmod-000 file, so use an entry that cannot be read as a file by anyone: a dangling link.
    os.symlink(tmp_path / "gone.jsonl", tmp_path / "dangling.jsonl")
    good = write_lines(tmp_path / "good.jsonl", dumps(record(1)))
    stats, _, entries = run([tmp_path / "dangling.jsonl", good], tmp_path)
    assert (stats.read, stats.accepted, stats.quarantined) == (2, 1, 1)
    assert entries[0]["line"] == 0 and entries[0]["reason"].startswith("cannot read file")
