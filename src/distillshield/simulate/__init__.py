"""Simulated API traffic with ground truth: benign populations and distillation campaigns.

Conventions: one 14-day window from 2026-05-04T00:00Z, a new model (atlas-4)
released on day 7 at 16:00Z; scale 1.0 is about 130,000 requests, and request and
account counts scale linearly (each archetype keeps at least a few accounts).
Output is deterministic for a seed: ``traffic.jsonl.gz`` (traffic-log spec v1),
``labels.csv`` (the spec's ground-truth columns) and ``simulation.json``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from distillshield.progress import SILENT, Progress
from distillshield.simulate.benign import BENIGN
from distillshield.simulate.campaigns import CAMPAIGNS
from distillshield.simulate.content import load_bank
from distillshield.simulate.evasion import Evasion
from distillshield.simulate.population import RELEASE, START, WINDOW, Infra
from distillshield.simulate.writer import archetype_counts, merge, write_labels, write_log, write_summary

__all__ = ["Evasion", "SimulationSummary", "simulate"]


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    log: Path
    labels: Path
    requests: int
    accounts: int
    archetypes: dict[str, dict[str, int]]


def simulate(
    out_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 0,
    evasion: Evasion | None = None,
    progress: Progress = SILENT,
) -> SimulationSummary:
    """Write a synthetic log, its labels and a summary into ``out_dir``; ``evasion`` changes campaign traffic."""
    evasion = evasion or Evasion()
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    out_dir.mkdir(parents=True, exist_ok=True)
    rnd, rng = random.Random(seed), np.random.default_rng(seed)
    infra, bank = Infra(rnd), load_bank()
    populations = [make(infra, rng, scale, bank) for make in BENIGN]
    populations += [make(infra, rng, scale, bank, f"C{k:02d}") for k, make in enumerate(CAMPAIGNS, start=1)]
    for members, _ in populations:
        for account in members:
            account.keys = [infra.hexid("key_", 16)]
    accounts, events = merge(populations)
    task = progress.task("Simulating requests", total=len(events.times))
    per_account = write_log(out_dir / "traffic.jsonl.gz", accounts, events, rnd, task, evasion)
    task.close()
    write_labels(out_dir / "labels.csv", accounts, per_account)
    counts = archetype_counts(accounts, per_account)
    summary = SimulationSummary(
        out_dir / "traffic.jsonl.gz",
        out_dir / "labels.csv",
        len(events.times),
        sum(1 for i in range(len(accounts)) if per_account[i]),
        counts,
    )
    write_summary(
        out_dir / "simulation.json",
        {
            "seed": seed,
            "scale": scale,
            "evasion": evasion.describe(),
            "requests": summary.requests,
            "accounts": summary.accounts,
            "window": {"start": START.isoformat(), "seconds": WINDOW},
            "model_release": {"atlas-4": RELEASE.isoformat()},
            "archetypes": counts,
        },
    )
    return summary
