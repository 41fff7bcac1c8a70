"""The gateway's policy: tiers with budgets, and what to do at each level of risk.

A policy file is YAML loaded into frozen dataclasses::

    default_tier: new
    learn_below: 0.5            # score before learn: requests scored at or above this are not learned
    tiers:
      new:        {requests_per_minute: 20,   tokens_per_day: 200000}
      verified:   {requests_per_minute: 600,  tokens_per_day: 20000000}
      enterprise: {requests_per_minute: 6000}          # no token budget
    risk:
      - {min_risk: 0.95, action: block}
      - {min_risk: 0.8,  action: step_up}
      - {min_risk: 0.6,  action: throttle, requests_per_minute: 2, retry_after_s: 30}
      - {min_risk: 0.4,  action: withhold_reasoning}
      - {min_risk: 0.25, action: shadow}

Unknown keys, duplicate keys, unknown actions and out-of-range numbers are
errors that name the file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from distillshield.errors import InputError, Location
from distillshield.respond.actions import ACTIONS, Action
from distillshield.yamlfile import Fields, line_of, load_yaml

TIER_NAMES = ("new", "verified", "enterprise")


@dataclass(frozen=True, slots=True)
class Tier:
    """Budgets of one tier; ``None`` means unlimited."""

    name: str
    requests_per_minute: int | None = None
    tokens_per_day: int | None = None


@dataclass(frozen=True, slots=True)
class RiskRule:
    """At ``min_risk`` or above, take ``action``; a throttle may allow a reduced rate instead of none."""

    min_risk: float
    action: Action
    retry_after_s: int = 30
    requests_per_minute: int | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    tiers: dict[str, Tier]
    risk: tuple[RiskRule, ...]  # highest min_risk first
    default_tier: str = "new"
    learn_below: float = 0.5

    def tier(self, name: str | None) -> Tier:
        return self.tiers.get(name or self.default_tier) or self.tiers[self.default_tier]

    @property
    def flag_at(self) -> float:
        """Risk from which a request is flagged: not learned, and its risk stored for the account.

        That is ``learn_below`` or the lowest rule that acts on the traffic (withholds or
        refuses), whichever is lower, so that an account the policy acted on once stays acted on.
        """
        acting = [r.min_risk for r in self.risk if r.action not in ("allow", "shadow")]
        return min([self.learn_below, *acting])

    def rule_for(self, risk: float) -> RiskRule | None:
        """The rule with the highest threshold that ``risk`` reaches."""
        return next((rule for rule in self.risk if risk >= rule.min_risk), None)


#: Used when no policy file is given: generous budgets, the risk ladder from the module docstring.
DEFAULT_POLICY = Policy(
    tiers={
        "new": Tier("new", 60, 1_000_000),
        "verified": Tier("verified", 600, 20_000_000),
        "enterprise": Tier("enterprise", 6000, None),
    },
    risk=(
        RiskRule(0.95, "block"),
        RiskRule(0.8, "step_up"),
        RiskRule(0.6, "throttle", 30, 2),
        RiskRule(0.4, "withhold_reasoning"),
        RiskRule(0.25, "shadow"),
    ),
)


def load_policy(path: Path) -> Policy:
    """Read a policy file; every mistake is an :class:`InputError` naming file, line and field."""
    root = Fields(load_yaml(path), path, "policy", {"default_tier", "learn_below", "tiers", "risk"}, line=1)
    tiers = _tiers(root, path)
    default = root.string("default_tier", "new")
    assert default is not None  # a default was given
    if default not in tiers:
        raise root.error("default_tier", f"default_tier {default!r} is not one of the tiers: {', '.join(tiers)}")
    learn_below = root.number("learn_below", 0.5, high=1.0)
    rules = _rules(root, path)
    return Policy(tiers, rules, default, 0.5 if learn_below is None else learn_below)


def _tiers(root: Fields, path: Path) -> dict[str, Tier]:
    node = root.raw("tiers")
    if node is None:
        return dict(DEFAULT_POLICY.tiers)
    if not isinstance(node, dict):
        raise root.error("tiers", "tiers must be a mapping of tier name to budgets")
    tiers = {}
    for name, value in node.items():
        where = Location(path, line_of(node, name), f"tiers.{name}")
        if name not in TIER_NAMES:
            raise InputError(f"unknown tier {name!r}; known: {', '.join(TIER_NAMES)}", where)
        allowed = {"requests_per_minute", "tokens_per_day"}
        fields = Fields(value, path, f"tiers.{name}", allowed, line=where.line)
        tiers[name] = Tier(name, _count(fields, "requests_per_minute"), _count(fields, "tokens_per_day"))
    return tiers


def _count(fields: Fields, key: str) -> int | None:
    value = fields.number(key, None, low=1)
    if value is not None and value != int(value):
        raise fields.error(key, f"{key} must be a whole number, not {value}")
    return None if value is None else int(value)


def _rules(root: Fields, path: Path) -> tuple[RiskRule, ...]:
    node = root.raw("risk")
    if node is None:
        return DEFAULT_POLICY.risk
    if not isinstance(node, list):
        raise root.error("risk", "risk must be a list of {min_risk, action} rules")
    rules = [_rule(item, path, i, line_of(root.mapping, "risk")) for i, item in enumerate(node)]
    return tuple(sorted(rules, key=lambda r: -r.min_risk))


def _rule(node: object, path: Path, index: int, list_line: int) -> RiskRule:
    allowed = {"min_risk", "action", "retry_after_s", "requests_per_minute"}
    fields = Fields(node, path, f"risk[{index}]", allowed, line=list_line)
    if not fields.has("min_risk") or not fields.has("action"):
        raise InputError("a risk rule needs min_risk and action", Location(path, fields.line, f"risk[{index}]"))
    min_risk = fields.number("min_risk", None, high=1.0)
    action = fields.string("action", choices=ACTIONS)
    retry = fields.number("retry_after_s", 30, low=1)
    assert min_risk is not None and action is not None and retry is not None  # checked just above
    return RiskRule(min_risk, cast(Action, action), int(retry), _count(fields, "requests_per_minute"))
