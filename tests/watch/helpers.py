"""What the watch tests share: running ``watch`` as a real process and comparing its outputs with scan's."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from distillshield.report import read_accounts_csv, read_campaigns_json

ROOT = Path(__file__).resolve().parents[2]


def log_lines(log: Path) -> list[bytes]:
    """The records of a (gzip) JSON Lines log, each with its newline."""
    with gzip.open(log, "rb") as handle:
        return [line if line.endswith(b"\n") else line + b"\n" for line in handle if line.strip()]


def split(lines: list[bytes], parts: int) -> list[bytes]:
    """``lines`` cut into ``parts`` consecutive pieces of about equal size."""
    size = -(-len(lines) // parts)
    return [b"".join(lines[i : i + size]) for i in range(0, len(lines), size)]


def start_watch(source: str, state: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    """``distillshield watch`` in a process of its own, as an operator would run it; stderr goes to STATE/../stderr."""
    command = [sys.executable, "-m", "distillshield", "watch", source, "--state", str(state), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    state.parent.mkdir(parents=True, exist_ok=True)
    with (state.parent / "stderr").open("ab") as stderr:
        return subprocess.Popen([*command, *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def status(out: Path) -> dict[str, Any]:
    """watch.json, or {} before the first update."""
    try:
        data: dict[str, Any] = orjson.loads((out / "watch.json").read_bytes())
    except FileNotFoundError:
        return {}
    return data


def wait_for(
    condition: Callable[[], bool], process: subprocess.Popen[bytes], stderr: Path, timeout_s: float = 300
) -> None:
    """Wait until ``condition()``; fail early, with its stderr, if the process died."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"watch exited with {process.returncode}: {stderr.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s: {stderr.read_text()[-3000:]}")
        time.sleep(0.1)


def has_read(out: Path, n: int) -> Callable[[], bool]:
    return lambda: status(out).get("counts", {}).get("read") == n


def verdicts(out: Path) -> dict[str, str]:
    return {row.account_id: row.verdict for row in read_accounts_csv(out / "accounts.csv")}


def campaigns(out: Path) -> set[frozenset[str]]:
    """Campaign membership, whatever the campaigns' numbering."""
    return {frozenset(c.accounts) for c in read_campaigns_json(out / "campaigns.json")}


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as a service manager stops it: the loop finishes its batch and exits."""
    process.terminate()
    return process.wait(timeout=120)
