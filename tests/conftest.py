"""Shared fixtures: one small simulated log and its scan, made once per test worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from distillshield.pipeline import ScanResult, run_scan
from distillshield.simulate import simulate


@dataclass(frozen=True)
class SmallScan:
    data_dir: Path
    log: Path
    labels: Path
    result: ScanResult


@pytest.fixture(scope="session")
def small_scan(tmp_path_factory: pytest.TempPathFactory) -> SmallScan:
    root = tmp_path_factory.mktemp("small-scan")
    simulate(root / "data", scale=0.05, seed=11)
    log = root / "data" / "traffic.jsonl.gz"
    result = run_scan([log], root / "scan")
    return SmallScan(root / "data", log, summary_labels(root / "data"), result)


def summary_labels(data_dir: Path) -> Path:
    return data_dir / "labels.csv"
