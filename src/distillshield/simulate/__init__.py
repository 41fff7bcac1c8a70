"""Simulated API traffic with ground truth: benign populations and distillation campaigns.

Conventions: one 14-day window from 2026-05-04T00:00Z, a new model (atlas-4)
released on day 7 at 16:00Z; scale 1.0 is about 130,000 requests, and request and
account counts scale linearly (each archetype keeps at least a few accounts).
Output is deterministic for a seed: ``traffic.jsonl.gz`` (traffic-log spec v1),
``labels.csv`` (the spec's ground-truth columns) and ``simulation.json``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from distillshield.progress import SILENT, Progress
from distillshield.simulate.benign import BENIGN
from distillshield.simulate.campaigns import CAMPAIGNS
from distillshield.simulate.content import PromptBank, load_bank
from distillshield.simulate.covert import EVASIVE
from distillshield.simulate.evasion import Evasion
from distillshield.simulate.hard_negatives import HARD_NEGATIVES
from distillshield.simulate.knobs import SCHEDULES, CampaignKnobs
from distillshield.simulate.population import DAYS, RELEASE, START, Account, Infra, Population
from distillshield.simulate.realtext import sharegpt_turns
from distillshield.simulate.writer import Harvest, archetype_counts, merge, write_labels, write_log, write_summary

__all__ = [
    "ARCHETYPE_SETS",
    "CampaignKnobs",
    "Evasion",
    "SCHEDULES",
    "SimulationSummary",
    "archetype_names",
    "simulate",
]

CLASSIC = tuple(f.__name__ for f in BENIGN + CAMPAIGNS)
HARD = tuple(f.__name__ for f in HARD_NEGATIVES + EVASIVE)
#: Named archetype sets; ``classic`` is the world before issue 15 and stays the default.
ARCHETYPE_SETS = {"classic": CLASSIC, "hard": HARD, "all": CLASSIC + HARD}


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    log: Path
    labels: Path
    requests: int
    accounts: int
    archetypes: dict[str, dict[str, int]]
    campaigns: dict[str, dict[str, object]]


def archetype_names(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Archetypes named by a set name (classic, hard, all) or a list (or comma-separated string) of names."""
    names = [spec] if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for item in (part.strip() for name in names for part in name.split(",")):
        if not item:
            continue
        if item in ARCHETYPE_SETS:
            out += ARCHETYPE_SETS[item]
        elif item in ARCHETYPE_SETS["all"]:
            out.append(item)
        else:
            known = ", ".join((*ARCHETYPE_SETS, *ARCHETYPE_SETS["all"]))
            raise ValueError(f"archetypes: unknown archetype or set {item!r}; known: {known}")
    if not out:
        raise ValueError("archetypes: name at least one archetype or set")
    return tuple(dict.fromkeys(out))


def _classic(infra: Infra, rng: np.random.Generator, scale: float, bank: PromptBank) -> list[Population]:
    """The pre-issue-15 world, drawn exactly as before so a seed keeps its classic accounts and times."""
    populations = [make(infra, rng, scale, bank) for make in BENIGN]
    populations += [make(infra, rng, scale, bank, f"C{k:02d}") for k, make in enumerate(CAMPAIGNS, start=1)]
    for members, _ in populations:
        for account in members:
            account.keys = [infra.hexid("key_", 16)]
    return populations


def _hard(
    infra: Infra, seed: int, scale: float, campaign_scale: float, bank: PromptBank, knobs: CampaignKnobs
) -> list[Population]:
    """Issue 15's hard negatives and evasive campaigns, on their own random streams."""
    rng = np.random.default_rng([seed, 15])
    render_rnd = random.Random(f"{seed}:issue15-render")
    populations = [make(infra, rng, scale, bank) for make in HARD_NEGATIVES]
    first = len(CAMPAIGNS) + 1
    populations += [
        make(infra, rng, campaign_scale, bank, f"C{k:02d}", knobs) for k, make in enumerate(EVASIVE, start=first)
    ]
    for members, _ in populations:
        for account in members:
            account.keys = [infra.hexid("key_", 16)]
            account.rnd = render_rnd
    return populations


def _select(populations: list[Population], names: tuple[str, ...]) -> list[Population]:
    kept = []
    for members, events in populations:
        if members and members[0].archetype in names:
            kept.append((members, events))
    return kept


def simulate(
    out_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 0,
    evasion: Evasion | None = None,
    progress: Progress = SILENT,
    archetypes: str | Sequence[str] = "classic",
    knobs: CampaignKnobs | None = None,
    campaign_scale: float | None = None,
    days: float = DAYS,
) -> SimulationSummary:
    """Write a synthetic log, its labels and a summary into ``out_dir``.

    ``evasion`` changes the classic campaigns' traffic; ``knobs`` turn the evasive (issue 15)
    campaigns; ``archetypes`` picks the populations (``classic``, ``hard``, ``all`` or names);
    ``campaign_scale`` sizes the evasive campaigns apart from ``scale``; ``days`` cuts the log.
    """
    evasion, knobs = evasion or Evasion(), knobs or CampaignKnobs()
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    if not 0 < days <= DAYS:
        raise ValueError(f"days must be in (0, {DAYS}], not {days}")
    names = archetype_names(archetypes)
    out_dir.mkdir(parents=True, exist_ok=True)
    rnd, rng = random.Random(seed), np.random.default_rng(seed)
    infra, bank = Infra(rnd), load_bank()
    populations: list[Population] = []
    if set(names) & set(CLASSIC):
        populations += _select(_classic(infra, rng, scale, bank), names)
    if set(names) & set(HARD):
        hard_infra = infra.fork(random.Random(f"{seed}:issue15"))
        hard = _hard(hard_infra, seed, scale, campaign_scale or scale, bank, knobs)
        populations += _select(hard, names)
        infra.shared.update(hard_infra.shared)
    accounts, events = merge(populations, days * 86_400.0)
    task = progress.task("Simulating requests", total=len(events.times))
    harvest = Harvest()
    per_account = write_log(out_dir / "traffic.jsonl.gz", accounts, events, rnd, task, evasion, harvest)
    task.close()
    write_labels(out_dir / "labels.csv", accounts, per_account)
    counts = archetype_counts(accounts, per_account)
    campaigns = _campaign_summary(accounts, per_account, harvest, days, knobs)
    summary = SimulationSummary(
        out_dir / "traffic.jsonl.gz",
        out_dir / "labels.csv",
        len(events.times),
        sum(1 for i in range(len(accounts)) if per_account[i]),
        counts,
        campaigns,
    )
    framed = {cid: targets for cid, targets in infra.shared.get("framing", {}).items() if cid in campaigns}
    write_summary(
        out_dir / "simulation.json",
        {
            "seed": seed,
            "scale": scale,
            "campaign_scale": campaign_scale or scale,
            "evasion": evasion.describe(),
            "knobs": knobs.describe(),
            "requests": summary.requests,
            "accounts": summary.accounts,
            "window": {"start": START.isoformat(), "seconds": days * 86_400.0},
            "model_release": {"atlas-4": RELEASE.isoformat()},
            "archetypes": counts,
            "campaigns": campaigns,
            "framing_targets": framed,
            "benign_text": sharegpt_turns()[1] if "sharegpt_chat" in names else "builtin",
        },
    )
    return summary


def _campaign_summary(
    accounts: list[Account], per_account: Counter[int], harvest: Harvest, days: float, knobs: CampaignKnobs
) -> dict[str, dict[str, object]]:
    """Per campaign: archetype, accounts, and the harvest (totals and per day) it took from the log."""
    out: dict[str, dict[str, object]] = {}
    for i, account in enumerate(accounts):
        if account.label != "distiller" or not per_account[i]:
            continue
        entry = out.setdefault(account.campaign_id, {"archetype": account.archetype, "accounts": 0})
        entry["accounts"] = int(str(entry["accounts"])) + 1
        if account.rnd is not None:
            entry["knobs"] = knobs.describe()
    for cid, entry in out.items():
        tally = harvest.by_campaign.get(cid, {})
        entry.update(tally)
        entry["reasoning_tokens_per_day"] = round(tally.get("reasoning_tokens", 0) / days, 1)
        entry["completion_tokens_per_day"] = round(tally.get("completion_tokens", 0) / days, 1)
    return dict(sorted(out.items()))
