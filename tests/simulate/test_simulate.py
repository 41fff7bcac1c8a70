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
from distillshield.simulate import CampaignKnobs, Evasion, SimulationSummary, simulate
from distillshield.simulate.population import RELEASE
from distillshield.simulate.realtext import _candidates, held_out, sharegpt_turns

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


# --- issue 15: hard negatives and evasive campaigns ----------------------------------------------------------

HARD = {
    "university_group", "learner", "tutor_app", "enterprise_support", "sharegpt_chat",
    "low_slow_cover", "disjoint_pool", "framing",
}  # fmt: skip


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]], dict[str, dict[str, str]]]:
    out = tmp_path_factory.mktemp("hard")
    simulate(out, scale=0.03, seed=3, archetypes="hard", campaign_scale=0.1)
    with gzip.open(out / "traffic.jsonl.gz", "rb") as f:
        records = [orjson.loads(line) for line in f]
    with (out / "labels.csv").open(newline="", encoding="utf-8") as f:
        labels = {row["account_id"]: row for row in csv.DictReader(f)}
    return out, records, labels


def _per_account(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        grouped[r["account_id"]].append(r)
    return grouped


def _local_hour(record: dict[str, Any], tz: float) -> float:
    return ((_ts(record) / 3600) + tz) % 24


def test_hard_set_is_valid_labelled_and_complete(hard: Any) -> None:
    _, records, labels = hard
    for record in records:
        to_row(record)
    assert {row["archetype"] for row in labels.values()} == HARD
    for row in labels.values():
        assert (row["label"] == "distiller") == bool(row["campaign_id"])


def test_adding_the_hard_set_leaves_the_classic_world_as_it_was(tmp_path: Path) -> None:
    classic = simulate(tmp_path / "classic", scale=0.01, seed=6)
    both = simulate(tmp_path / "all", scale=0.01, seed=6, archetypes="all")
    with classic.labels.open(encoding="utf-8") as f:
        classic_rows = f.read().splitlines()
    with both.labels.open(encoding="utf-8") as f:
        all_rows = set(f.read().splitlines())
    assert set(classic_rows) <= all_rows and len(all_rows) > len(classic_rows)

    def bodies(path: Path) -> set[bytes]:  # every classic record, less its request id (a global counter)
        with gzip.open(path, "rb") as f:
            return {orjson.dumps({k: v for k, v in orjson.loads(line).items() if k != "request_id"}) for line in f}

    assert bodies(classic.log) <= bodies(both.log)


def test_research_groups_are_old_accounts_sharing_a_university_net_running_suites_at_human_hours(hard: Any) -> None:
    _, records, labels = hard
    group = _per_account(_by_archetype(records, labels, "university_group"))
    nets: dict[str, set[str]] = defaultdict(set)
    for account, rows in group.items():
        assert {r["ip"].rsplit(".", 1)[0] for r in rows} == {rows[0]["ip"].rsplit(".", 1)[0]}
        nets[rows[0]["ip"].rsplit(".", 1)[0]].add(account)
        age_days = (_ts(rows[0]) - datetime.fromisoformat(rows[0]["account_created_at"]).timestamp()) / 86_400
        assert age_days >= 60, "months-old accounts"
        assert len(rows) >= 100, "benchmark suites are hundreds of questions"
    assert all(3 <= len(members) <= 8 for members in nets.values())
    wrapped = [r for rows in group.values() for r in rows if "step by step" in r["messages"][0]["content"]]
    assert len(wrapped) > 0.3 * sum(len(rows) for rows in group.values())


def test_learners_ask_for_steps_in_about_a_quarter_of_questions_from_one_home_ip(hard: Any) -> None:
    _, records, labels = hard
    learners = _per_account(_by_archetype(records, labels, "learner"))
    asks = [r for rows in learners.values() for r in rows]
    share = sum("step" in r["messages"][-1]["content"].lower() for r in asks) / len(asks)
    assert 0.15 <= share <= 0.35
    assert all(len({r["ip"] for r in rows}) == 1 for rows in learners.values())


def test_enterprise_support_accounts_share_one_egress_ip_and_one_system_prompt(hard: Any) -> None:
    _, records, labels = hard
    by_ip: dict[str, set[str]] = defaultdict(set)
    prompts: dict[str, set[str]] = defaultdict(set)
    for r in _by_archetype(records, labels, "enterprise_support"):
        by_ip[r["ip"]].add(r["account_id"])
        prompts[r["ip"]].add(r["messages"][0]["content"])
    assert min(len(accounts) for accounts in by_ip.values()) >= 5
    assert all(len(p) == 1 for p in prompts.values())


def test_framing_keys_copy_a_customer_prompt_and_ask_for_reasoning(hard: Any) -> None:
    out, records, labels = hard
    support = {r["messages"][0]["content"] for r in _by_archetype(records, labels, "enterprise_support")}
    framing = _by_archetype(records, labels, "framing")
    assert framing and all(r["messages"][0]["content"] in support for r in framing)
    assert all("reasoning" in r["messages"][-1]["content"] for r in framing)
    targets = orjson.loads((out / "simulation.json").read_bytes())["framing_targets"]
    framed = {a for ids in targets.values() for a in ids}
    assert framed and all(labels[a]["archetype"] == "enterprise_support" for a in framed)
    created = {datetime.fromisoformat(r["account_created_at"]) for r in framing}
    assert min(created) > datetime.fromisoformat("2026-05-04T00:00:00+00:00"), "new keys"


def test_low_slow_cover_keeps_own_infra_human_hours_and_forty_percent_cover(hard: Any) -> None:
    _, records, labels = hard
    slow = _per_account(_by_archetype(records, labels, "low_slow_cover"))
    assert len({rows[0]["payment_fingerprint"] for rows in slow.values()}) == len(slow)
    assert all(len({r["ip"] for r in rows}) == 1 for rows in slow.values())
    assert len({rows[0]["ip"] for rows in slow.values()}) == len(slow)
    every = [r for rows in slow.values() for r in rows]
    cover = sum("reasoning_tokens" not in r for r in every) / len(every)
    assert 0.3 <= cover <= 0.5
    night = sum(_local_hour(r, 8.0) < 6 for r in every) / len(every)
    assert night < 0.02, "human hours in the operators' time zone"
    per_account = [len(rows) for rows in slow.values()]
    assert min(per_account) >= 80 and max(per_account) <= 420


def test_disjoint_pool_shares_no_infra_repeats_one_block_and_hands_over_to_a_second_cohort(hard: Any) -> None:
    _, records, labels = hard
    pool = sorted(_by_archetype(records, labels, "disjoint_pool"), key=_ts)
    accounts = _per_account(pool)
    assert len({rows[0]["payment_fingerprint"] for rows in accounts.values()}) == len(accounts)
    nets = {a: {r["ip"].rsplit(".", 1)[0] for r in rows} for a, rows in accounts.items()}
    assert sum(len(n) for n in nets.values()) == len(set().union(*nets.values()))
    blocks = {r["messages"][0]["content"].split("\n\n")[0] for r in pool}
    assert len(blocks) == 1
    gaps = [_ts(b) - _ts(a) for a, b in zip(pool, pool[1:], strict=False)]
    cadence = 86_400 / (len(accounts) / 2 * 5)  # half the pool active at a time, five requests a day each
    assert max(gaps) < 1.5 * cadence and sorted(gaps)[len(gaps) // 2] < 1.1 * cadence, "one even stream"
    first_week = {r["account_id"] for r in pool if _ts(r) < _ts(pool[0]) + 6 * 86_400}
    last_week = {r["account_id"] for r in pool if _ts(r) > _ts(pool[-1]) - 6 * 86_400}
    assert first_week and last_week and not first_week & last_week


def test_knobs_turn_the_evasive_campaigns_and_the_harvest_is_recorded(tmp_path: Path) -> None:
    base = simulate(tmp_path / "base", scale=0.01, seed=8, archetypes="disjoint_pool", campaign_scale=0.05)
    knobs = CampaignKnobs(
        account_factor=2.0, rate_factor=2.0, benign_mix=0.5, instruction_variants=4, networks_per_account=3
    )
    turned = simulate(
        tmp_path / "turned", scale=0.01, seed=8, archetypes="disjoint_pool", campaign_scale=0.05, knobs=knobs
    )
    (cid, before), (_, after) = next(iter(base.campaigns.items())), next(iter(turned.campaigns.items()))
    assert after["accounts"] == 2 * int(str(before["accounts"]))
    assert 3.0 <= int(str(after["requests"])) / int(str(before["requests"])) <= 5.0
    assert 0.4 <= int(str(after["harvest_requests"])) / int(str(after["requests"])) <= 0.6
    assert int(str(after["reasoning_tokens"])) > 0 and after["knobs"] == knobs.describe()
    summary = orjson.loads((tmp_path / "turned" / "simulation.json").read_bytes())
    assert summary["campaigns"][cid]["reasoning_tokens_per_day"] == after["reasoning_tokens_per_day"]
    campaign, _ = _campaign_records(tmp_path / "turned")
    blocks = {r["messages"][0]["content"].split("\n\n")[0] for r in campaign if "reasoning_tokens" in r}
    assert len(blocks) == 4
    nets = _per_account(campaign)
    assert all(len({r["ip"].rsplit(".", 1)[0] for r in rows}) == 3 for rows in nets.values() if len(rows) > 20)


def test_sharegpt_chat_uses_only_turns_outside_the_held_out_fifth(hard: Any) -> None:
    turns, source = sharegpt_turns()
    if source == "builtin":
        pytest.skip("../shared is not present")
    _, records, labels = hard
    with gzip.open(_candidate_sharegpt(), "rt", encoding="utf-8") as f:
        rows = [orjson.loads(line) for line in f]
    held = {r["text"] for r in rows if held_out(r["sharegpt_id"])} - {
        r["text"] for r in rows if not held_out(r["sharegpt_id"])
    }
    asks = [r["messages"][-1]["content"] for r in _by_archetype(records, labels, "sharegpt_chat")]
    assert asks and all(a in set(turns) for a in asks)
    assert not held & set(asks) and held


def _candidate_sharegpt() -> Path:
    return next(p for p in _candidates() if p.is_file())


def test_cli_knob_flags_and_bad_knobs(tmp_path: Path) -> None:
    args = ["simulate", "--out", str(tmp_path), "--scale", "0.01", "--archetypes", "low_slow_cover", "-q"]
    result = CliRunner().invoke(app, [*args, "--rate-factor", "0.5", "--schedule", "bursty", "--days", "7"])
    assert result.exit_code == 0, result.output
    summary = orjson.loads((tmp_path / "simulation.json").read_bytes())
    assert summary["knobs"]["schedule"] == "bursty" and summary["window"]["seconds"] == 7 * 86_400
    bad = CliRunner().invoke(app, [*args, "--schedule", "sometimes"])
    assert bad.exit_code == 2 and "schedule" in bad.output
    unknown = CliRunner().invoke(app, [*args[:-3], "--archetypes", "nobody", "-q"])
    assert unknown.exit_code == 2 and "nobody" in unknown.output
