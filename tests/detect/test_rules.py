"""Detection rules: golden cases (an inline rule beside the rows it sees), loader errors, and every built-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.detect.rules import FIELDS, builtin_rules_dir, load_rule, load_rules, rule_signals
from distillshield.errors import InputError
from distillshield.features import compute_features
from distillshield.registry import build_registry
from distillshield.settings import Settings
from tests.builders import BLOCK, request_row, requests_db

CONTENT = {"elicitation", "jailbreak", "grading", "agentic", "generation"}
REGISTRY = build_registry()


def _rule(tmp_path: Path, text: str, name: str = "rule.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _fire(tmp_path: Path, rule_text: str, rows: list[tuple[object, ...]]) -> dict[str, list[float]]:
    con = requests_db(rows)
    compute_features(con, REGISTRY.instances("content"), Settings())
    rule = load_rule(_rule(tmp_path, rule_text), FIELDS | CONTENT)
    return {a: [float(s.value) for s in sig] for a, sig in rule_signals(con, [rule]).items()}


ROTATION = """
id: rotation
title: many networks
type: value_count
field: network
group-by: account_id
timespan: 1h
condition: {gte: 3}
weight: 0.4
"""


def test_value_count_counts_distinct_networks_per_window(tmp_path: Path) -> None:
    rows = [request_row(f"a{k}", "rotating", k, f"198.51.{k}.7", "hi") for k in range(4)]  # 4 /24s in 4 minutes
    rows += [request_row(f"b{k}", "mobile", 70 * k, f"203.0.{k}.9", "hi") for k in range(4)]  # one /24 an hour
    rows += [request_row(f"c{k}", "home", k, "192.0.2.1", "hi") for k in range(10)]
    assert _fire(tmp_path, ROTATION, rows) == {"rotating": [4.0]}


CARD_FARM = """
id: farm
title: one card, many new accounts
type: value_count
field: account_id
filter:
  account_age_hours: {lte: 48}
group-by: payment_fingerprint
timespan: 1d
condition: {gte: 3}
weight: 0.4
"""


def test_group_by_another_field_flags_every_account_in_the_group(tmp_path: Path) -> None:
    rows = [request_row(f"n{a}", f"new{a}", a, "192.0.2.1", "hi", payment_fingerprint="card-x") for a in range(3)]
    rows.append(request_row("o1", "old", 5, "192.0.2.1", "hi", payment_fingerprint="card-x", account_created_at=None))
    rows += [request_row(f"l{a}", f"lone{a}", a, "192.0.2.1", "hi", payment_fingerprint=f"own{a}") for a in range(3)]
    fired = _fire(tmp_path, CARD_FARM, rows)
    assert fired == {"new0": [3.0], "new1": [3.0], "new2": [3.0]}, "the old account passes the filter's age test"


BURST = """
id: burst
title: extraction burst
type: event_count
filter:
  elicitation: {gte: 0.5}
  model: {in: [atlas-3]}
timespan: 1h
condition: {gte: 3}
weight: 0.5
"""


def test_event_count_over_a_content_score(tmp_path: Path) -> None:
    rows = [request_row(f"x{k}", "harvester", k, "192.0.2.1", f"{BLOCK} Q{k}") for k in range(3)]
    rows += [request_row(f"y{k}", "slow", 90 * k, "192.0.2.1", f"{BLOCK} Q{k}") for k in range(3)]  # 1 an hour
    rows += [request_row(f"z{k}", "other-model", k, "192.0.2.1", f"{BLOCK} Q{k}", model="m2") for k in range(3)]
    assert _fire(tmp_path, BURST, rows) == {"harvester": [3.0]}


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        ("type: event_count\nweight: 0.5\n", "appears twice", 9),
        ("colour: red\n", "unknown key 'colour'", 9),
        ("", "", 0),
    ],
)
def test_loader_names_line_and_field(tmp_path: Path, change: str, message: str, line: int) -> None:
    path = _rule(tmp_path, ROTATION.lstrip() + change)
    if not message:
        assert load_rule(path, FIELDS).id == "rotation"
        return
    with pytest.raises(InputError, match=message) as caught:
        load_rule(path, FIELDS)
    assert caught.value.location is not None and caught.value.location.line == line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("field: network", "field: colour", "unknown field 'colour'"),
        ("timespan: 1h", "timespan: soon", "timespan must look like"),
        ("condition: {gte: 3}", "condition: {about: 3}", "not an operator"),
        ("weight: 0.4", "weight: 2", "weight must be"),
        ("type: value_count", "type: sequence", "type must be one of"),
        ("id: rotation", "id: Rotation Rule", "lower-case"),
        ("field: network\n", "", "needs the field"),
    ],
)
def test_bad_rules_are_rejected(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _rule(tmp_path, ROTATION.replace(old, new))
    with pytest.raises(InputError, match=message):
        load_rule(path, FIELDS)


def test_duplicate_ids_across_directories_are_an_error(tmp_path: Path) -> None:
    _rule(tmp_path, ROTATION, "a.yml")
    _rule(tmp_path, ROTATION, "b.yml")
    with pytest.raises(InputError, match="also defined"):
        load_rules([tmp_path], builtin=False)


def test_every_builtin_rule_loads_and_runs(tmp_path: Path) -> None:
    rules = load_rules(content_fields=CONTENT)
    assert len(rules) == len(list(builtin_rules_dir().glob("*.yml"))) >= 4
    assert all(r.references and r.description for r in rules), "built-ins cite what they encode"
    con = requests_db([request_row("r1", "acct", 0, "192.0.2.1", "hello")])
    compute_features(con, REGISTRY.instances("content"), Settings())
    assert rule_signals(con, rules) == {}


def test_rules_cli_list_and_test(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["rules", "list"])
    assert listed.exit_code == 0 and "reasoning-ask-burst" in listed.output
    log = tmp_path / "log.jsonl"
    log.write_text(
        "".join(
            f'{{"request_id": "r{k}", "ts": {1_780_000_000 + k}, "account_id": "rot", "model": "m", '
            f'"ip": "198.51.{k}.1", "prompt": "hi"}}\n'
            for k in range(5)
        ),
        encoding="utf-8",
    )
    tested = runner.invoke(app, ["rules", "test", str(_rule(tmp_path, ROTATION)), "--log", str(log), "--quiet"])
    assert tested.exit_code == 0, tested.output
    assert "1 hit(s) on 1 account(s)" in tested.output
    bad = runner.invoke(app, ["rules", "test", str(_rule(tmp_path, "id: x\n", "bad.yml")), "--log", str(log)])
    assert bad.exit_code == 2 and "bad.yml" in bad.output
