"""Policy and keys files: YAML into frozen dataclasses, and every mistake named by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillshield.errors import InputError
from distillshield.respond.identity import hash_key, load_keys
from distillshield.respond.policy import DEFAULT_POLICY, RiskRule, Tier, load_policy

POLICY = """\
default_tier: new
learn_below: 0.45
tiers:
  new:        {requests_per_minute: 20, tokens_per_day: 200000}
  verified:   {requests_per_minute: 600}
  enterprise: {}
risk:
  - {min_risk: 0.6, action: throttle, requests_per_minute: 2, retry_after_s: 30}
  - {min_risk: 0.95, action: block}
  - {min_risk: 0.3, action: shadow}
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_policy_loads_into_frozen_dataclasses(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, POLICY))
    assert policy.tiers["new"] == Tier("new", 20, 200_000)
    assert policy.tiers["enterprise"] == Tier("enterprise", None, None)
    assert [r.action for r in policy.risk] == ["block", "throttle", "shadow"]  # highest threshold first
    assert policy.rule_for(0.7) == RiskRule(0.6, "throttle", 30, 2)
    assert policy.rule_for(0.1) is None
    assert policy.tier("verified").requests_per_minute == 600 and policy.tier(None).name == "new"
    assert policy.flag_at == 0.45  # learn_below is lower than the lowest acting rule (0.6)
    with pytest.raises(AttributeError):
        policy.default_tier = "verified"  # type: ignore[misc]


def test_default_policy_flags_where_it_starts_acting() -> None:
    assert DEFAULT_POLICY.flag_at == 0.4  # withhold_reasoning starts at 0.4


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("tiers:\n  new: {requests_per_minute: 20}\n  new: {}\n", 3, "new", "appears twice"),
        ("tiers:\n  gold: {requests_per_minute: 20}\n", 2, "tiers.gold", "unknown tier 'gold'"),
        ("tiers:\n  new: {requests_per_min: 20}\n", 2, "tiers.new.requests_per_min", "unknown key"),
        ("tiers:\n  new: {requests_per_minute: -1}\n", 2, "tiers.new.requests_per_minute", "must be in"),
        ("tiers:\n  new: {requests_per_minute: 2.5}\n", 2, "tiers.new.requests_per_minute", "whole number"),
        ("risk:\n  - {min_risk: 0.5, action: nuke}\n", 2, "risk[0].action", "must be one of"),
        ("risk:\n  - {min_risk: 1.5, action: block}\n", 2, "risk[0].min_risk", "must be in"),
        ("risk:\n  - {action: block}\n", 2, "risk[0]", "needs min_risk and action"),
        ("default_tier: gold\n", 1, "policy.default_tier", "not one of the tiers"),
        ("budgets: {}\n", 1, "policy.budgets", "unknown key"),
        ("tiers: [\n", 2, None, "not valid YAML"),
    ],
)
def test_policy_errors_name_line_and_field(tmp_path: Path, text: str, line: int, field: str | None, words: str) -> None:
    with pytest.raises(InputError) as caught:
        load_policy(write(tmp_path, text))
    assert words in caught.value.reason
    assert caught.value.location.line == line and caught.value.location.field == field
    assert str(tmp_path / "policy.yaml") in str(caught.value)


def test_keys_file_maps_digests_to_identities(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
keys:
  - sha256: {hash_key("sk-one")}
    account_id: acct_1
    key_id: key_one
    tier: verified
    created_at: 2026-05-01T09:00:00Z
    payment_fingerprint: pf_1
    email_domain: example.com
  - sha256: {hash_key("sk-two").upper()}
    account_id: acct_2
""",
        "keys.yaml",
    )
    ring = load_keys(path)
    one = ring.lookup("sk-one")
    assert one is not None and one.account_id == "acct_1" and one.tier == "verified"
    assert one.created_at == 1777626000.0 and one.payment_fingerprint == "pf_1"
    two = ring.lookup("sk-two")
    assert two is not None and two.key_id.startswith("key_") and two.tier is None
    assert ring.lookup("sk-three") is None
    assert "sk-one" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ("sha256: sk-plain-key\n    account_id: a", "keys[0].sha256", "64 hex digits"),
        (f"sha256: {'a' * 64}\n    account_id: a\n    tier: gold", "keys[0].tier", "must be one of"),
        (f"sha256: {'a' * 64}", "keys[0].account_id", "account_id is required"),
        (f"sha256: {'a' * 64}\n    account_id: a\n    created_at: '2026-05-01T09:00:00'", "keys[0].created_at", "UTC"),
        (f"sha256: {'a' * 64}\n    account_id: a\n    secret: x", "keys[0].secret", "unknown key"),
    ],
)
def test_keys_file_errors(tmp_path: Path, entry: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        load_keys(write(tmp_path, f"keys:\n  - {entry}\n", "keys.yaml"))
    assert words in caught.value.reason and caught.value.location.field == field
    assert caught.value.location.line >= 2
