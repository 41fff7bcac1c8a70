"""The respond stage: act on traffic while a campaign runs.

Conventions:

* A :class:`Policy` (YAML into frozen dataclasses) gives each tier its budgets
  and maps risk to an action: allow, shadow, withhold_reasoning, throttle,
  step_up or block. Overrides, risk and budgets each propose a
  :class:`Decision`; the most severe wins, and every decision has a reason.
* :class:`OnlineScorer` keeps the scan's per-account features as running sums
  and scores them with the scan's own content detectors and account scorers.
  Score before learn: a request is scored first and learned only if it was
  served normally and not flagged.
* A :class:`StateStore` holds counters, budgets, features, risks, campaigns
  and overrides: :class:`MemoryStore` in-process, :class:`RedisStore` shared
  by replicas. A store that cannot reach its backend raises
  StateUnavailableError.
* :func:`load_seed` reads a scan output directory so that known campaigns and
  risky accounts are acted on from the first request.
* :class:`OnlineCampaigns` links accounts into campaigns from live traffic with
  the scan's linkers and judges each group with the scan's campaign signals; a
  campaign it finds goes into the store as a seed would.
"""

from __future__ import annotations

from distillshield.respond.actions import ACTIONS, Decision
from distillshield.respond.decide import Judgement, judge
from distillshield.respond.identity import Identity, KeyRing, hash_key, load_keys
from distillshield.respond.linking import LinkGraph, OnlineCampaigns
from distillshield.respond.online import Observation, OnlineScorer, Outcome, Score, Snapshot
from distillshield.respond.policy import DEFAULT_POLICY, Policy, RiskRule, Tier, load_policy
from distillshield.respond.redis_state import RedisStore
from distillshield.respond.seed import Seed, load_seed
from distillshield.respond.state import AccountView, MemoryStore, Override, StateStore

__all__ = [
    "ACTIONS",
    "AccountView",
    "DEFAULT_POLICY",
    "Decision",
    "Identity",
    "Judgement",
    "KeyRing",
    "LinkGraph",
    "MemoryStore",
    "Observation",
    "OnlineCampaigns",
    "OnlineScorer",
    "Outcome",
    "Override",
    "Policy",
    "RedisStore",
    "RiskRule",
    "Score",
    "Seed",
    "Snapshot",
    "StateStore",
    "Tier",
    "hash_key",
    "judge",
    "load_keys",
    "load_policy",
    "load_seed",
]
