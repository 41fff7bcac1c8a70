"""The simulator: deterministic, spec-valid, labelled, and shaped like the archetypes it claims."""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.ingest.base import to_row
from distillshield.simulate import Evasion, SimulationSummary, simulate
from distillshield.simulate.population import RELEASE

ARCHETYPES = {
    "casual_chat", "app_backend", "research_lab", "enterprise_nat", "student",
    "hydra_proxy", "agentic_harvest", "throwaway_pool", "low_and_slow", "jailbreak_cot",
}  # fmt: skip


@pytest.fixture(scope="module")
def sim(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[SimulationSummary, list[dict[str, Any]], dict[str, dict[str, str]]]:
    out = tmp_path_factory.mktemp("sim")
    summary = simulate(out, scale=0.05, seed=3)
    with gzip.open(summary.log, "rb") as f:
        records = [orjson.loads(line) for line in f]
    with summary.labels.open(newline="", encoding="utf-8") as f:
        labels = {row["account_id"]: row for row in csv.DictReader(f)}
    return summary, records, labels


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, c = (simulate(tmp_path / name, scale=0.02, seed=seed) for name, seed in (("a", 1), ("b", 1), ("c", 2)))
    assert a.log.read_bytes() == b.log.read_bytes() and a.labels.read_bytes() == b.labels.read_bytes()
    assert a.log.read_bytes() != c.log.read_bytes()


def test_every_record_is_valid_per_spec(sim: Any) -> None:
    summary, records, _ = sim
    assert len(records) == summary.requests
    for record in records:
        to_row(record)  # raises on anything the spec rejects
    assert len({r["request_id"] for r in records}) == len(records)


def test_labels_cover_every_account_once_with_all_archetypes(sim: Any) -> None:
    _, records, labels = sim
    assert set(labels) == {r["account_id"] for r in records}
    assert {row["archetype"] for row in labels.values()} == ARCHETYPES
    for row in labels.values():
        assert (row["label"] == "distiller") == bool(row["campaign_id"])


def _by_archetype(
    records: list[dict[str, Any]], labels: dict[str, dict[str, str]], archetype: str
) -> list[dict[str, Any]]:
    return [r for r in records if labels[r["account_id"]]["archetype"] == archetype]


def _ts(record: dict[str, Any]) -> float:
    ts = record["ts"]
    return float(ts) if isinstance(ts, int | float) else datetime.fromisoformat(ts).timestamp()


def test_agentic_campaign_pivots_to_the_new_model_within_a_day(sim: Any) -> None:
    _, records, labels = sim
    agentic = _by_archetype(records, labels, "agentic_harvest")
    release = RELEASE.timestamp()
    day_after = [r for r in agentic if release + 86_400 <= _ts(r) < release + 2 * 86_400]
    share = sum(r["model"] == "atlas-4" for r in day_after) / len(day_after)
    assert 0.3 <= share <= 0.7
    assert all(r["model"] != "atlas-4" for r in agentic if _ts(r) < release)
    assert all(r.get("tool_calls", 0) >= 1 for r in agentic)


def test_throwaway_pool_is_round_robin(sim: Any) -> None:
    _, records, labels = sim
    pool = sorted(_by_archetype(records, labels, "throwaway_pool"), key=_ts)
    owners = [r["account_id"] for r in pool]
    n_accounts = len(set(owners))
    assert all(owners[i] != owners[i + 1] for i in range(len(owners) - 1))
    assert owners[:n_accounts] == owners[n_accounts : 2 * n_accounts]  # dealt in a fixed turn
    per_day = len(pool) / n_accounts / 14
    assert 2 <= per_day <= 8


def test_lab_mates_share_a_card_and_a_network(sim: Any) -> None:
    _, records, labels = sim
    cards: dict[str, set[str]] = defaultdict(set)
    for r in _by_archetype(records, labels, "research_lab"):
        cards[r["payment_fingerprint"]].add(r["account_id"])
    assert max(len(accounts) for accounts in cards.values()) >= 3


def test_cli_writes_files_and_prints_a_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--scale", "0.01", "--seed", "4", "-q"])
    assert result.exit_code == 0, result.output
    assert "requests from" in result.output
    assert {p.name for p in tmp_path.iterdir()} == {"traffic.jsonl.gz", "labels.csv", "simulation.json"}


def _campaign_records(data: Path) -> tuple[list[dict[str, Any]], set[str]]:
    with (data / "labels.csv").open(encoding="utf-8") as f:
        distillers = {r["account_id"] for r in csv.DictReader(f) if r["label"] == "distiller"}
    with gzip.open(data / "traffic.jsonl.gz", "rb") as f:
        records = [orjson.loads(line) for line in f]
    return [r for r in records if r["account_id"] in distillers], distillers


def test_evasions_change_campaign_traffic_only(tmp_path: Path) -> None:
    plain = simulate(tmp_path / "plain", scale=0.02, seed=4)
    evading = simulate(tmp_path / "evading", scale=0.02, seed=4, evasion=Evasion(rotate_ips=True, benign_mix=0.5))
    assert plain.labels.read_bytes() == evading.labels.read_bytes()
    campaign, _ = _campaign_records(tmp_path / "evading")
    networks: dict[str, set[str]] = defaultdict(set)
    for r in campaign:
        networks[r["ip"].rsplit(".", 1)[0]].add(r["account_id"])
    assert max(len(a) for a in networks.values()) <= 2, "rotated networks are (almost) never shared"
    cover = sum(1 for r in campaign if "reasoning_tokens" not in r and "tool_calls" not in r)
    assert 0.35 <= cover / len(campaign) <= 0.65, "about half the campaign requests are cover traffic"


def test_paraphrase_never_repeats_a_fixed_block(tmp_path: Path) -> None:
    simulate(tmp_path, scale=0.02, seed=5, evasion=Evasion(paraphrase=True))
    campaign, _ = _campaign_records(tmp_path)
    systems = [
        r["messages"][0]["content"] for r in campaign if r.get("messages") and r["messages"][0]["role"] == "system"
    ]
    assert systems and len(set(systems)) > 0.8 * len(systems)
