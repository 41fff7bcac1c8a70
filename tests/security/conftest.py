"""A tiny scan whose account ids are hostile: formulas for spreadsheets and slashes for URLs."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from distillshield.pipeline import ScanResult, run_scan

HOSTILE_ACCOUNTS = ('=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "team/alpha", "@SUM(1+1)", "\t=1+1")


def tiny_log(path: Path, accounts: tuple[str, ...] = HOSTILE_ACCOUNTS, per_account: int = 3) -> Path:
    lines = [
        orjson.dumps(
            {
                "request_id": f"r-{a}-{k}",
                "ts": f"2026-05-04T10:{a:02d}:{k:02d}Z",
                "account_id": account,
                "model": "atlas-3",
                "messages": [{"role": "user", "content": f"question {k} from {a}"}],
            }
        )
        for a, account in enumerate(accounts)
        for k in range(per_account)
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def hostile_scan(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root = tmp_path_factory.mktemp("hostile-scan")
    return run_scan([tiny_log(root / "traffic.jsonl")], root / "scan", html=False)
