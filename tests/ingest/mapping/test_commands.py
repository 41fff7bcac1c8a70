"""``--mapping`` on the commands that read logs: watch follows a Bedrock log, scan takes a built-in by name."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from distillshield.cli.main import app
from tests.ingest.mapping.formats import to_bedrock


def _records(n: int) -> list[dict[str, Any]]:
    return [
        {"request_id": f"r{i}", "ts": f"2026-05-04T10:{i:02d}:00Z", "account_id": f"acct-{i % 2}",
         "api_key_id": f"key_{i % 2}", "model": "atlas-3", "response": "ok", "prompt_tokens": 3,
         "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"question {i}"}]}
        for i in range(n)
    ]  # fmt: skip


def _log(path: Path) -> Path:
    lines, _ = to_bedrock(_records(6))
    bad = orjson.dumps({"requestId": "bad", "timestamp": "2026-05-04T10:00:00Z", "modelId": "m", "input": {}})
    path.write_bytes(b"\n".join([*lines, bad]) + b"\n")
    return path


def test_watch_maps_a_followed_log(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs / "bedrock.jsonl")
    args = ["watch", str(logs), "--state", str(tmp_path / "state"), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--once", "--mapping", "bedrock", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "7 read, 6 accepted, 1 quarantined" in result.output
    with (tmp_path / "out" / "accounts.csv").open() as f:
        assert {r["account_id"] for r in csv.DictReader(f)} == {"acct-0", "acct-1"}
    (entry,) = [json.loads(line) for line in (tmp_path / "out" / "quarantine.jsonl").read_text().splitlines()]
    assert entry["field"] == "account_id" and "fields.account_id" in entry["reason"]


def test_scan_takes_a_builtin_mapping_by_name_and_rejects_an_unknown_one(tmp_path: Path) -> None:
    log = _log(tmp_path / "invocations.log")
    result = CliRunner().invoke(app, ["scan", str(log), "--out", str(tmp_path / "out"), "--mapping", "bedrock", "-q"])
    assert result.exit_code == 1, result.output  # one record quarantined
    assert "7 read, 6 accepted, 1 quarantined" in result.output
    unknown = CliRunner().invoke(app, ["scan", str(log), "--out", str(tmp_path / "o2"), "--mapping", "splunk"])
    assert unknown.exit_code == 2 and "not a built-in mapping" in unknown.output
