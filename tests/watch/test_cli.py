"""``distillshield watch`` through the CLI: help with an example, a one-shot run, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.report import read_accounts_csv
from tests.watch.test_files import record

runner = CliRunner()


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["watch", "--help"])
    assert result.exit_code == 0
    assert "Example: distillshield watch" in result.output


def test_once_ingests_judges_and_quarantines(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [record(n, account=f"acct_{n % 3}") for n in range(12)]
    (logs / "traffic-0000.jsonl").write_bytes(b"".join(lines[:6]) + b"not json\n" + b"".join(lines[6:]))
    # State and outputs inside the log directory: watch must not read its own files as logs.
    args = ["watch", str(logs), "--state", str(logs / "state"), "--out", str(logs / "out"), "--once"]
    result = runner.invoke(app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "13 read, 12 accepted, 1 quarantined" in result.output
    assert {row.account_id for row in read_accounts_csv(logs / "out" / "accounts.csv")} == {
        "acct_0",
        "acct_1",
        "acct_2",
    }
    quarantined = orjson.loads((logs / "out" / "quarantine.jsonl").read_bytes())
    assert (quarantined["line"], quarantined["raw"]) == (7, "not json")
    again = runner.invoke(app, [*args, "--quiet"])  # nothing new: no update, nothing counted again
    assert again.exit_code == 0
    assert orjson.loads((logs / "out" / "watch.json").read_bytes())["counts"]["read"] == 13


def test_a_missing_source_or_a_bad_stream_url_is_named(tmp_path: Path) -> None:
    missing = runner.invoke(
        app, ["watch", str(tmp_path / "nope"), "--state", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--once"]
    )
    assert missing.exit_code == 2
    assert "nope" in missing.output
    bad = runner.invoke(
        app,
        ["watch", "redis://127.0.0.1:6379/0", "--state", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--once"],
    )
    assert bad.exit_code == 2
    assert "stream=NAME" in bad.output


def test_a_state_in_use_or_an_unreachable_redis_is_named(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    db = str(state / "watch.duckdb")
    hold = f"import duckdb, time; con = duckdb.connect({db!r}); print(1, flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"1"
        busy = runner.invoke(
            app, ["watch", str(tmp_path), "--state", str(state), "--out", str(tmp_path / "o"), "--once"]
        )
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert busy.exit_code == 2
    assert "another watch" in busy.output
    down = runner.invoke(
        app,
        [
            "watch",
            "redis://127.0.0.1:1/0?stream=x",
            "--state",
            str(tmp_path / "s2"),
            "--out",
            str(tmp_path / "o"),
            "--once",
        ],
    )
    assert down.exit_code == 2
    assert "cannot read the stream" in down.output
