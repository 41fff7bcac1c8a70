"""The gateway's live path on a replayed log: a pool campaign is stepped up or blocked, benign accounts are not."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.evaluate import read_labels_csv
from distillshield.evaluate.timing import read_flags, time_to_detect
from distillshield.online_replay import ONLINE_COLUMNS
from distillshield.simulate import simulate


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small world: a round-robin pool on disjoint infrastructure among three benign populations, 2 days."""
    out = tmp_path_factory.mktemp("online-world")
    simulate(out, scale=0.02, seed=5, archetypes=("disjoint_pool", "casual_chat", "learner", "sharegpt_chat"),
             campaign_scale=0.25, days=2)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def replayed(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("online-replay")
    result = CliRunner().invoke(
        app, ["replay", str(world / "traffic.jsonl.gz"), "--out", str(out), "--every", "1d", "--online", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "online:" in result.output
    return out


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == ONLINE_COLUMNS
        return {r["account_id"]: r for r in reader}


def test_pool_is_escalated_online_and_benign_accounts_are_served(replayed: Path, world: Path) -> None:
    labels = {r.account_id: r for r in read_labels_csv(world / "labels.csv")}
    rows = _rows(replayed / "online_time_to_detect.csv")
    assert set(rows) == set(labels)
    pool = [rows[a] for a, r in labels.items() if r.label == "distiller"]
    benign = [rows[a] for a, r in labels.items() if r.label != "distiller"]
    escalated = [r for r in pool if r["first_flagged_at"]]
    assert escalated, "the gateway links the pool by its shared block and cadence and steps it up or blocks it"
    assert all(r["verdict"] in ("step_up", "block") for r in escalated)
    assert all(0 < int(r["requests_at_flag"]) <= int(r["requests"]) for r in escalated)
    assert all(int(r["refused"]) >= 1 for r in escalated)
    assert not [r for r in benign if r["first_flagged_at"]], "no benign account is stepped up or blocked"
    assert sum(int(r["refused"]) for r in benign) <= 0.01 * sum(int(r["requests"]) for r in benign)


def test_online_flags_read_as_time_to_detect(replayed: Path, world: Path) -> None:
    flags = read_flags(replayed / "online_time_to_detect.csv")
    (row,) = time_to_detect(read_labels_csv(world / "labels.csv"), flags, {})
    assert row.archetype == "disjoint_pool" and 0 < row.flagged <= row.accounts
    assert row.median_requests_at_flag is not None and row.median_requests_at_flag <= (row.max_requests_at_flag or 0)
