"""Turn an account's state, this request's score and the policy into one decision with its reason."""

from __future__ import annotations

import math
from dataclasses import dataclass

from distillshield.respond.actions import Decision, most_severe
from distillshield.respond.identity import Identity
from distillshield.respond.online import Score
from distillshield.respond.policy import Policy, Tier
from distillshield.respond.standing import below_escalation
from distillshield.respond.state import AccountView


@dataclass(frozen=True, slots=True)
class Judgement:
    """The decision, the risk it was taken at, whether the request may be learned, and whether it is flagged."""

    decision: Decision
    risk: float
    learn: bool
    flagged: bool = False  # this request's own score reached the policy's flag_at: store it for the account


def account_risk(
    view: AccountView, score: Score, *, protected: str | None = None, campaign_cap: float = 1.0
) -> tuple[float, str]:
    """The highest of the online score, the stored risk and the campaign's risk, with where it came from.

    A ``protected`` account (see :mod:`distillshield.respond.standing`) takes its campaign's risk only up
    to ``campaign_cap``: links alone never escalate it.
    """
    candidates = [(score.risk, _signals_text(score)), (view.risk, "stored account risk")]
    if view.campaign_id:
        campaign = view.campaign_risk
        why = f"member of campaign {view.campaign_id}"
        if protected is not None and campaign > campaign_cap:
            campaign, why = campaign_cap, f"{why}, capped: {protected}"
        candidates.append((campaign, why))
    return max(candidates, key=lambda c: c[0])


def _signals_text(score: Score) -> str:
    fired = sorted(score.signals, key=lambda s: -s.weight)[:3]
    return "online: " + ("; ".join(s.describe() for s in fired) if fired else "no signal")


def judge(
    policy: Policy, identity: Identity, view: AccountView, score: Score, now: float, protected: str | None = None
) -> Judgement:
    risk, source = account_risk(view, score, protected=protected, campaign_cap=below_escalation(policy))
    flagged = score.risk >= policy.flag_at
    override = view.override
    if override is not None and override.action is not None:
        decision = Decision(override.action, f"override: {override.reason}", risk)
        return Judgement(decision, risk, learn=False, flagged=flagged)
    tier = policy.tier(override.tier if override and override.tier else identity.tier)
    decision = most_severe(_by_risk(policy, view, risk, source, now), _by_budget(tier, view, now, risk))
    learn = risk < policy.flag_at and decision.learns
    return Judgement(decision, risk, learn=learn, flagged=flagged)


def _by_risk(policy: Policy, view: AccountView, risk: float, source: str, now: float) -> Decision | None:
    rule = policy.rule_for(risk)
    if rule is None:
        return None
    why = f"risk {risk:.2f} >= {rule.min_risk:g} ({source})"
    if rule.action != "throttle":
        return Decision(rule.action, why, risk)
    if rule.requests_per_minute is not None and view.requests_this_minute <= rule.requests_per_minute:
        return Decision("shadow", f"{why}: within the reduced rate of {rule.requests_per_minute}/min", risk)
    retry = rule.retry_after_s if rule.requests_per_minute is None else _to_next(now, 60)
    return Decision("throttle", why, risk, retry)


def _by_budget(tier: Tier, view: AccountView, now: float, risk: float) -> Decision | None:
    rpm = tier.requests_per_minute
    if rpm is not None and view.requests_this_minute > rpm:
        why = f"tier {tier.name}: request {view.requests_this_minute} this minute, budget {rpm}"
        return Decision("throttle", why, risk, _to_next(now, 60))
    tpd = tier.tokens_per_day
    if tpd is not None and view.tokens_today >= tpd:
        why = f"tier {tier.name}: {view.tokens_today} tokens today, budget {tpd}"
        return Decision("throttle", why, risk, _to_next(now, 86400))
    return None


def _to_next(now: float, window: int) -> int:
    """Whole seconds until the current fixed window ends (at least 1)."""
    return max(1, math.ceil(window - now % window))
