"""Records that parsers would read differently, or that pass as valid while meaning nothing, are quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from distillshield.ingest import ingest_paths

GOOD = {
    "request_id": "r1",
    "ts": "2026-05-04T10:00:00Z",
    "account_id": "alice",
    "model": "atlas-3",
    "messages": [{"role": "user", "content": "hi"}],
}
BAD_LINES = {
    "duplicate account": (
        '{"request_id": "r2", "ts": "2026-05-04T10:00:00Z", "account_id": "victim", "account_id": "attacker",'
        ' "model": "m", "messages": [{"role": "user", "content": "hi"}]}',
        "account_id",
    ),
    "duplicate nested content": (
        '{"request_id": "r3", "ts": "2026-05-04T10:00:00Z", "account_id": "a", "model": "m",'
        ' "messages": [{"role": "user", "content": "shown", "content": "hidden"}]}',
        "content",
    ),
    "negative tokens": (json.dumps({**GOOD, "request_id": "r4", "prompt_tokens": -5}), "prompt_tokens"),
    "negative completion": (json.dumps({**GOOD, "request_id": "r5", "completion_tokens": -1}), "completion_tokens"),
    "blank request id": (json.dumps({**GOOD, "request_id": "   "}), "request_id"),
    "blank account id": (json.dumps({**GOOD, "request_id": "r6", "account_id": "\t "}), "account_id"),
    "unicode blank account": (json.dumps({**GOOD, "request_id": "r7", "account_id": "\u2003"}), "account_id"),
    "message without content": (
        json.dumps({**GOOD, "request_id": "r8", "messages": [{"role": "user"}]}),
        "messages",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_validation_gap_is_quarantined_with_its_field(tmp_path: Path, case: str) -> None:
    line, field = BAD_LINES[case]
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps(GOOD) + "\n" + line + "\n")
    quarantine = tmp_path / "q.jsonl"
    stats = ingest_paths([log], duckdb.connect(), quarantine)
    assert (stats.read, stats.accepted, stats.quarantined) == (2, 1, 1)
    (entry,) = [json.loads(x) for x in quarantine.read_text().splitlines()]
    assert entry["line"] == 2 and entry["field"] == field and entry["reason"]


def test_assistant_tool_call_without_content_is_still_accepted(tmp_path: Path) -> None:
    messages = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function"}]},
        {"role": "user", "content": "thanks"},
    ]
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({**GOOD, "messages": messages}) + "\n")
    stats = ingest_paths([log], duckdb.connect(), tmp_path / "q.jsonl")
    assert (stats.read, stats.accepted) == (1, 1)
