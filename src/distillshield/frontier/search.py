"""The search: per knob, bisection for the largest harvest no judge catches; then a few joint settings.

Harvest knobs are searched directly: ``rate_factor`` and ``account_factor`` upwards (more is more
harvest), ``benign_mix`` downwards (less cover is more harvest). A disguise knob (paraphrase,
networks, cards, instruction variants, schedule, jitter) does not change the harvest by itself, so
it is set to its evasive value and ``rate_factor`` is bisected under it: the frontier says how much
faster the campaign can harvest once it pays for that disguise. Bisection assumes detection is
monotone along the searched knob; a point found undetected between detected ones is reported as is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from distillshield.frontier.probe import Probe, Prober
from distillshield.simulate import CampaignKnobs


@dataclass(frozen=True, slots=True)
class Axis:
    """One searched line: a base knob setting and the harvest knob moved along it."""

    name: str
    base: CampaignKnobs
    knob: str = "rate_factor"  # rate_factor, account_factor or benign_mix
    low: float = 0.05
    high: float = 4.0

    @property
    def upward(self) -> bool:
        return self.knob != "benign_mix"  # more cover, less harvest


#: The axes a full run searches (``frontier --axes``); the joint ones stack several disguises.
AXES = {
    "rate": Axis("rate", CampaignKnobs()),
    "accounts": Axis("accounts", CampaignKnobs(), "account_factor", 0.125, 8.0),
    "cover": Axis("cover", CampaignKnobs(), "benign_mix", 0.0, 0.9),
    "paraphrase": Axis("paraphrase", CampaignKnobs(paraphrase=1.0)),
    "networks": Axis("networks", CampaignKnobs(networks_per_account=3)),
    "cards": Axis("cards", CampaignKnobs(cards_per_account=3)),
    "schedule": Axis("schedule", CampaignKnobs(schedule="uniform")),
    "jitter": Axis("jitter", CampaignKnobs(jitter=0.0)),
    "variants": Axis("variants", CampaignKnobs(instruction_variants=32)),
    "joint": Axis(
        "joint", CampaignKnobs(paraphrase=1.0, instruction_variants=32, benign_mix=0.6, networks_per_account=2)
    ),
    "joint_pool": Axis("joint_pool", CampaignKnobs(paraphrase=1.0, instruction_variants=32, account_factor=2.0)),
}


@dataclass(frozen=True, slots=True)
class Frontier:
    """The largest undetected harvest one judge allows along one axis for one seed."""

    axis: str
    judge: str
    seed: int
    value: float | None  # the knob's value at the frontier; None when even the weakest setting is caught
    capped: bool  # the strongest setting searched went uncaught: the true frontier lies beyond
    per_day: float
    per_dollar: float
    probes: int
    benign_flagged: float  # mean share of background (benign) accounts this judge flagged in the probes

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def _at(axis: Axis, value: float) -> CampaignKnobs:
    if axis.knob == "account_factor":
        return replace(axis.base, account_factor=value)
    if axis.knob == "benign_mix":
        return replace(axis.base, benign_mix=value)
    return replace(axis.base, rate_factor=value)


def _mid(axis: Axis, a: float, b: float) -> float:
    if axis.knob == "benign_mix":
        return (a + b) / 2
    return math.sqrt(a * b)


def search(prober: Prober, axis: Axis, judge: str, seed: int, steps: int) -> Frontier:
    """Bisect ``axis`` for ``judge``: the best-harvest setting that stays undetected."""
    best, worst = (axis.high, axis.low) if axis.upward else (axis.low, axis.high)
    flagged: list[float] = []

    def caught(value: float) -> tuple[bool, Probe]:
        probe = prober.judge(_at(axis, value), seed, judge)
        flagged.append(probe.benign_flagged.get(judge, 0.0))
        return probe.detected[judge], probe

    def point(value: float | None, capped: bool, probe: Probe | None) -> Frontier:
        per_day, per_dollar = (probe.per_day, probe.per_dollar) if probe else (0.0, 0.0)
        fpr = sum(flagged) / len(flagged)
        return Frontier(axis.name, judge, seed, value, capped, per_day, per_dollar, len(flagged), fpr)

    hit, probe = caught(best)
    if not hit:
        return point(best, True, probe)
    hit, probe = caught(worst)
    if hit:
        return point(None, False, None)
    safe, safe_probe, unsafe = worst, probe, best
    for _ in range(steps):
        value = _mid(axis, safe, unsafe)
        hit, probe = caught(value)
        if hit:
            unsafe = value
        else:
            safe, safe_probe = value, probe
    return point(safe, False, safe_probe)
