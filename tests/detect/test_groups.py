"""Judging a group: pooled content, copyable links between accounts of very different ages, one shared block."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from distillshield.detect.engine import (
    GroupContext,
    campaign_signals,
    coordination_signals,
    group_frame,
    looks_like_organisation,
)
from distillshield.detect.link.coordination import GroupStats
from distillshield.detect.link.graph import Community, LinkRules
from distillshield.detect.scorers.content import ReasoningHarvest
from distillshield.features.frame import AccountFrame
from distillshield.settings import Settings


def _frame(hits: list[float], requests: list[float]) -> AccountFrame:
    hit = np.array(hits)
    n = np.array(requests)
    columns = {"elicitation_hits": hit, "elicitation_share": hit / n, "n_requests": n}
    return AccountFrame(tuple(f"acct-{i}" for i in range(len(hits))), columns)


def test_a_pool_whose_members_each_stay_under_the_account_test_is_caught_on_its_pooled_requests() -> None:
    # 24 accounts of 250 requests, each with 7% asks hidden among cover traffic: no account's own
    # test fires, the group's does.
    frame = _frame([17.0] * 24, [250.0] * 24)
    scorer = ReasoningHarvest()
    assert list(scorer.signals(frame)) == []
    group = group_frame(frame, np.arange(24), "group")
    pooled = list(scorer.group_signals(group))
    assert len(pooled) == 1
    assert pooled[0][1].weight > 0.9
    assert pooled[0][1].family == "content"


def test_a_group_at_the_benign_rate_gains_no_pooled_content_evidence() -> None:
    frame = _frame([2.0] * 24, [250.0] * 24)
    group = group_frame(frame, np.arange(24), "group")
    assert list(ReasoningHarvest().group_signals(group)) == []


def test_copyable_content_links_established_accounts_only_of_comparable_age() -> None:
    rules = LinkRules(
        established=frozenset({0, 1, 2}),
        copyable=frozenset({"template"}),
        age_days={0: 600.0, 1: 31.0, 2: 90.0},
        age_ratio=3.0,
    )
    assert not rules.allows("template", 0, 1)  # a two-year-old vendor and a key just past 30 days
    assert rules.allows("template", 1, 2)
    assert rules.allows("payment", 0, 1)  # firm links are not copied content
    assert not rules.allows("template", 1, 3)  # established and young, as before
    assert rules.allows("template", 3, 4)


def _template_weight(stats: GroupStats, established_share: float) -> float:
    (signal,) = [s for s in coordination_signals(stats, 6, established_share) if s.name == "template_members"]
    return signal.weight


def test_one_block_shared_by_long_standing_customers_counts_half() -> None:
    one_block = GroupStats(requests=600, merged_gap_cv=1.0, alternation=0.5, template_members=6, shared_templates=1)
    several = GroupStats(requests=600, merged_gap_cv=1.0, alternation=0.5, template_members=6, shared_templates=3)
    assert _template_weight(one_block, 1.0) == _template_weight(one_block, 0.0) / 2
    assert _template_weight(several, 1.0) == _template_weight(several, 0.0)
    assert "default prompt" in next(
        s.detail for s in coordination_signals(one_block, 6, 1.0) if s.name == "template_members"
    )


def _group_content(established_share: float) -> list[str]:
    frame = _frame([15.0] * 6, [250.0] * 6)  # 6% of requests ask for steps: a benchmark wrapper's rate
    frame.columns["age_at_first_request_hours"] = np.full(6, 24.0 * 400)
    card = Community(members=tuple(range(6)), strength=dict.fromkeys(range(6), 1.0), links={"payment": {"pairs": 15}})
    signals = campaign_signals(
        frame,
        np.arange(6),
        [()] * 6,
        card,
        None,
        [ReasoningHarvest()],
        Settings(),
        GroupContext(established_share=established_share),
    )
    return [s.name for s in signals]


def test_one_organisations_pooled_requests_are_tested_at_an_accounts_rate() -> None:
    assert "elicitation_hits" not in _group_content(established_share=1.0)  # a lab sharing a grant card
    assert "elicitation_hits" in _group_content(established_share=0.0)  # new accounts on one card: a pool


def test_labs_joined_only_by_a_public_prompt_look_like_organisations() -> None:
    # Two labs of three, each on its own grant card, joined to each other by one benchmark prompt.
    labs = Community(
        members=tuple(range(6)),
        strength=dict.fromkeys(range(6), 1.0),
        links={"payment": {"pairs": 6}, "template": {"pairs": 9}, "asn": {"pairs": 9}},
        member_kinds={i: frozenset({"payment", "template"}) for i in range(6)},
    )
    pool = replace(labs, member_kinds={i: frozenset({"template"}) for i in range(6)})
    assert looks_like_organisation([], labs, established_share=1.0)
    assert not looks_like_organisation([], labs, established_share=0.5)  # new accounts: a farm's cards
    assert not looks_like_organisation([], pool, established_share=1.0)  # aged accounts held by what they send
