"""The engine on hand-checked data: noisy-OR, verdict thresholds, campaign judgement and inheritance."""

from __future__ import annotations

import pytest

from distillshield.detect.engine import detect, noisy_or, verdict_for
from distillshield.features import compute_features
from distillshield.registry import build_registry
from distillshield.settings import Settings
from tests.builders import pool_and_casual_rows, requests_db

REGISTRY = build_registry(include_entry_points=False)


def test_noisy_or() -> None:
    assert noisy_or([]) == 0.0
    assert noisy_or([0.5, 0.5]) == pytest.approx(0.75)
    assert noisy_or([1.0, 0.1]) == 1.0
    assert noisy_or([2.0]) == 1.0, "weights are clipped to [0, 1]"


def test_verdict_thresholds() -> None:
    settings = Settings()
    assert verdict_for(0.79, settings) == "suspicious"
    assert verdict_for(0.8, settings) == "distiller"
    assert verdict_for(0.49, settings) == "benign"


def test_pool_sharing_a_reasoning_block_becomes_one_campaign() -> None:
    con = requests_db(pool_and_casual_rows(pool_accounts=6, per_account=4))
    settings = Settings(template_min_accounts=5, template_min_variants=3)
    frame = compute_features(con, REGISTRY.instances("content"), settings)
    result = detect(con, frame, REGISTRY.instances("scorers"), REGISTRY.instances("linkers"), settings)
    by_account = {v.account_id: v for v in result.verdicts}
    assert len(result.campaigns) == 1
    campaign = result.campaigns[0]
    assert set(campaign.accounts) == {f"pool{a}" for a in range(6)}
    assert campaign.requests == 24
    assert "template" in campaign.evidence["links"]  # type: ignore[operator]
    assert all(by_account[a].campaign_id == campaign.campaign_id for a in campaign.accounts)
    assert all(by_account[a].verdict == "distiller" for a in campaign.accounts)
    casual = by_account["casual"]
    assert casual.verdict == "benign" and casual.campaign_id is None and casual.reasons() == "no signal fired"
    member = by_account["pool0"]
    sources = {s.source for s in member.signals}
    assert "detect.scorers.content.ReasoningHarvest" in sources and "detect.engine.campaign" in sources
    assert "elicitation_hits=4" in member.reasons()
