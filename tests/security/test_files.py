"""A hostile writer of the scanned folder: symlinks out of it, FIFOs, and outputs others could read."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import duckdb

from distillshield.ingest import ingest_paths
from distillshield.intel.match import MatchResult, write_matches
from distillshield.pipeline import run_scan
from tests.security.conftest import tiny_log


def _entries(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_symlink_out_of_the_folder_is_skipped_and_quarantined(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    tiny_log(logs / "a.jsonl", ("alice",), 2)
    (logs / "passwd").symlink_to(secret)
    (logs / "inside").symlink_to(logs / "a.jsonl")  # a link that stays in the folder is read
    quarantine = tmp_path / "q.jsonl"
    stats = ingest_paths([logs], duckdb.connect(), quarantine)
    entries = _entries(quarantine)
    assert stats.read == stats.accepted + stats.quarantined and stats.accepted == 4
    (entry,) = entries
    assert entry["file"] == str(logs / "passwd") and "out of the scanned folder" in str(entry["reason"])
    assert "root:x" not in quarantine.read_text()


def test_fifo_does_not_hang_the_scan(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    tiny_log(logs / "a.jsonl", ("alice",), 1)
    os.mkfifo(logs / "pipe")
    done: list[object] = []
    worker = threading.Thread(
        target=lambda: done.append(ingest_paths([logs], duckdb.connect(), tmp_path / "q.jsonl")), daemon=True
    )
    worker.start()
    worker.join(20)
    if not done:  # unblock the reader so the thread can end, then fail
        with open(logs / "pipe", "wb"):
            pass
    assert done, "ingest hung on a FIFO"
    (entry,) = _entries(tmp_path / "q.jsonl")
    assert "not a regular file" in str(entry["reason"])


def test_outputs_holding_prompts_are_private(tmp_path: Path) -> None:
    log = tiny_log(tmp_path / "a.jsonl", ("alice", "bob"), 2)
    with log.open("ab") as handle:
        handle.write(b"not json\n")
    out = tmp_path / "out"
    run_scan([log], out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for name in ("quarantine.jsonl", "scan.duckdb", "report.html", "run.json", "accounts.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    matches = tmp_path / "intel-matches.json"
    write_matches(MatchResult({"type": "identity", "id": "identity--x"}), matches)
    assert stat.S_IMODE(matches.stat().st_mode) == 0o600
