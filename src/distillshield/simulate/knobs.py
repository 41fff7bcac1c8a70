"""Evasion knobs of the evasive campaign archetypes: what a campaign can change to stay under a detector.

Each evasive archetype has a :class:`CampaignShape` (its defaults); :class:`CampaignKnobs`
overrides or scales them. Factors multiply the shape (``account_factor``, ``rate_factor``);
the other knobs replace the shape's value when set. ``distillshield frontier`` searches
these knobs for the largest harvest that stays undetected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

SCHEDULES = ("uniform", "diurnal", "bursty", "roundrobin")


def _check(name: str, value: float | None, low: float, high: float | None = None) -> None:
    if value is None:
        return
    if value < low or (high is not None and value > high):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bound}, not {value}")


@dataclass(frozen=True, slots=True)
class CampaignKnobs:
    """How an evasive campaign is run; ``None`` keeps the archetype's own value."""

    account_factor: float = 1.0  # accounts in the pool, as a multiple of the archetype's
    rate_factor: float = 1.0  # requests per account per day, as a multiple of the archetype's
    benign_mix: float | None = None  # share of requests that are ordinary chat cover
    paraphrase: float | None = None  # share of harvest requests whose ask or block is reworded
    networks_per_account: int | None = None  # private /24s each account rotates through
    cards_per_account: int | None = None  # payment fingerprints each account rotates through
    schedule: str | None = None  # uniform (24/7), diurnal (human hours), bursty, roundrobin
    jitter: float | None = None  # 0 = machine-regular pacing, 1 = as irregular as the schedule allows
    instruction_variants: int | None = None  # distinct instruction blocks across the pool (1 = one fixed block)

    def __post_init__(self) -> None:
        _check("account_factor", self.account_factor, 1e-3)
        _check("rate_factor", self.rate_factor, 1e-3)
        _check("benign_mix", self.benign_mix, 0.0, 0.95)
        _check("paraphrase", self.paraphrase, 0.0, 1.0)
        _check("networks_per_account", self.networks_per_account, 1)
        _check("cards_per_account", self.cards_per_account, 1)
        _check("jitter", self.jitter, 0.0, 1.0)
        _check("instruction_variants", self.instruction_variants, 1)
        if self.schedule is not None and self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}")

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class CampaignShape:
    """An evasive archetype's defaults: the campaign issue 15 describes before any knob is turned."""

    accounts: int
    requests_per_day: tuple[float, float]  # each account draws its rate from this range
    benign_mix: float
    paraphrase: float
    networks_per_account: int
    cards_per_account: int
    schedule: str
    jitter: float
    instruction_variants: int
    cohorts: int = 1  # sign-up cohorts; each takes over from the last in turn

    def apply(self, knobs: CampaignKnobs) -> CampaignShape:
        """This shape with the knobs turned; factors multiply, other knobs replace."""
        low, high = self.requests_per_day
        shape = replace(
            self,
            accounts=max(1, round(self.accounts * knobs.account_factor)),
            requests_per_day=(low * knobs.rate_factor, high * knobs.rate_factor),
        )
        overrides = {
            name: getattr(knobs, name)
            for name in (
                "benign_mix",
                "paraphrase",
                "networks_per_account",
                "cards_per_account",
                "schedule",
                "jitter",
                "instruction_variants",
            )
            if getattr(knobs, name) is not None
        }
        return replace(shape, **overrides)
