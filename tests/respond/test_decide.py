"""Choosing one action: overrides, risk rules and budgets, the most severe winning, each with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from distillshield.errors import InputError
from distillshield.records import Signal
from distillshield.respond.actions import most_severe
from distillshield.respond.decide import judge
from distillshield.respond.identity import Identity
from distillshield.respond.online import Score, Snapshot
from distillshield.respond.policy import Policy, RiskRule, Tier
from distillshield.respond.seed import load_seed
from distillshield.respond.state import AccountView, Override

POLICY = Policy(
    tiers={"new": Tier("new", 5, 1000), "enterprise": Tier("enterprise", None, None)},
    risk=(
        RiskRule(0.95, "block"),
        RiskRule(0.8, "step_up"),
        RiskRule(0.6, "throttle", 30, 2),
        RiskRule(0.4, "withhold_reasoning"),
        RiskRule(0.25, "shadow"),
    ),
)
NOW = 1_780_000_050.0  # 30 s into a UTC minute
NEW = Identity("a", "k", tier="new")


def view(**fields: Any) -> AccountView:
    return AccountView(**{"requests_this_minute": 1, "tokens_today": 0, "snapshot": Snapshot(), **fields})


def score(risk: float) -> Score:
    return Score(risk, (Signal("detect.scorers.x", "elicitation_share", 1.0, risk),) if risk else ())


@pytest.mark.parametrize(
    ("online", "stored", "action"),
    [
        (0.0, 0.0, "allow"),
        (0.3, 0.0, "shadow"),
        (0.45, 0.0, "withhold_reasoning"),
        (0.0, 0.85, "step_up"),
        (0.97, 0.2, "block"),
    ],
)
def test_risk_picks_the_highest_rule_reached(online: float, stored: float, action: str) -> None:
    judgement = judge(POLICY, NEW, view(risk=stored), score(online), NOW)
    assert judgement.decision.action == action and judgement.risk == max(online, stored)
    assert judgement.learn == (max(online, stored) < POLICY.flag_at)
    assert judgement.flagged == (online >= POLICY.flag_at)


def test_throttle_rule_allows_a_reduced_rate_then_429s_until_the_minute_ends() -> None:
    within = judge(POLICY, NEW, view(risk=0.7, requests_this_minute=2), score(0), NOW).decision
    assert within.action == "shadow" and "reduced rate of 2/min" in within.reason
    over = judge(POLICY, NEW, view(risk=0.7, requests_this_minute=3), score(0), NOW).decision
    assert (over.action, over.retry_after_s) == ("throttle", 30)
    assert "risk 0.70 >= 0.6 (stored account risk)" in over.reason


def test_campaign_members_inherit_the_campaign_risk() -> None:
    decision = judge(POLICY, NEW, view(campaign_id="C0002", campaign_risk=0.99), score(0.1), NOW).decision
    assert decision.action == "block" and "member of campaign C0002" in decision.reason


def test_budgets_per_tier() -> None:
    rpm = judge(POLICY, NEW, view(requests_this_minute=6), score(0), NOW).decision
    assert rpm.action == "throttle" and rpm.retry_after_s == 30 and "tier new" in rpm.reason
    tokens = judge(POLICY, NEW, view(tokens_today=1000), score(0), NOW).decision
    assert tokens.action == "throttle" and tokens.retry_after_s == 86400 - int(NOW % 86400)
    rich = Identity("a", "k", tier="enterprise")
    assert judge(POLICY, rich, view(requests_this_minute=10_000), score(0), NOW).decision.action == "allow"


def test_overrides_win_and_can_move_tiers() -> None:
    forced = judge(POLICY, NEW, view(risk=0.99, override=Override("vetted lab", "allow")), score(0.99), NOW)
    assert forced.decision.action == "allow" and forced.decision.reason == "override: vetted lab"
    assert not forced.learn and forced.flagged
    moved = view(requests_this_minute=50, override=Override("contract signed", None, "enterprise"))
    assert judge(POLICY, NEW, moved, score(0), NOW).decision.action == "allow"


def test_most_severe_wins() -> None:
    a = judge(POLICY, NEW, view(risk=0.45, requests_this_minute=6), score(0), NOW).decision
    assert a.action == "throttle"  # the budget's throttle outranks risk's withhold
    assert most_severe().action == "allow"


def test_seed_from_a_scan(small_scan: Any) -> None:
    seed = load_seed(small_scan.result.out_dir)
    campaigns = small_scan.result.detection.campaigns
    assert set(seed.campaigns) == {c.campaign_id for c in campaigns}
    for campaign in campaigns:
        for account in campaign.accounts:
            risk, cid = seed.accounts[account]
            assert cid == campaign.campaign_id and risk >= campaign.risk
    assert seed.fingerprints and set(seed.fingerprints.values()) <= set(seed.campaigns)


def test_seed_errors_name_the_file(tmp_path: Any) -> None:
    with pytest.raises(InputError, match="is this a scan output directory"):
        load_seed(tmp_path)
    (tmp_path / "campaigns.json").write_text("[]", encoding="utf-8")
    (tmp_path / "accounts.csv").write_text("account_id,risk,verdict,campaign_id,reasons\na,high,benign,,x\n")
    with pytest.raises(InputError) as caught:
        load_seed(tmp_path)
    assert caught.value.location.line == 2 and caught.value.location.field == "risk"
