"""Run the search over axes, judges and seeds, and summarise it (mean and range over seeds, ratios)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from distillshield.frontier.probe import JUDGES, Prober, World
from distillshield.frontier.report import write_report
from distillshield.frontier.search import AXES, Frontier, search
from distillshield.progress import SILENT, Progress


@dataclass(frozen=True, slots=True)
class FrontierRun:
    world: World
    points: tuple[Frontier, ...]
    scans: int
    replays: int = 0  # probe logs sent through the gateway (the live judge)

    def as_dict(self) -> dict[str, Any]:
        world = asdict(self.world)
        return {
            "world": world,
            "scans": self.scans,
            "replays": self.replays,
            "points": [p.as_dict() for p in self.points],
            "summary": summarise(self.points),
        }


def run_frontier(
    out_dir: Path,
    world: World,
    *,
    axes: Sequence[str] = tuple(AXES),
    judges: Sequence[str] = JUDGES,
    seeds: Sequence[int] = (1, 2, 3),
    steps: int = 3,
    progress: Progress = SILENT,
) -> FrontierRun:
    """Search every axis for every judge and seed; write ``frontier.json`` into ``out_dir``."""
    unknown = [a for a in axes if a not in AXES] + [j for j in judges if j not in JUDGES]
    if unknown:
        raise ValueError(f"unknown axis or judge {unknown}; axes: {', '.join(AXES)}; judges: {', '.join(JUDGES)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    prober = Prober(out_dir / "probes", world)
    task = progress.task("Searching the frontier", total=len(axes) * len(judges) * len(seeds))
    points = []
    for axis in axes:
        for seed in seeds:
            for judge in judges:
                points.append(search(prober, AXES[axis], judge, seed, steps))
                task.advance(1)
    task.close()
    run = FrontierRun(world, tuple(points), prober.scans, prober.replays)
    data = run.as_dict()
    (out_dir / "frontier.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    write_report(out_dir, data["summary"], data["world"])
    return run


#: Two-sided 95% Student t quantiles by degrees of freedom (seeds - 1); beyond the table, 1.96.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def _stats(values: list[float]) -> dict[str, float]:
    """Mean over seeds with its 95% confidence half-width (t interval; 0 for one seed), sd, range."""
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    ci = _T95.get(len(values) - 1, 1.96) * sd / len(values) ** 0.5 if len(values) > 1 else 0.0
    return {"mean": mean, "ci95": ci, "sd": sd, "min": min(values), "max": max(values), "n": len(values)}


def summarise(points: Sequence[Frontier]) -> dict[str, Any]:
    """Per axis and judge: harvest per day and per dollar over seeds; per axis the ratios of the batch scan's
    (``ratio_vs_rate_limit``) and the gateway's (``gateway_ratio_vs_rate_limit``) harvest to the rate limit's."""
    table: dict[str, Any] = {}
    for axis in dict.fromkeys(p.axis for p in points):
        row: dict[str, Any] = {}
        for judge in dict.fromkeys(p.judge for p in points if p.axis == axis):
            mine = [p for p in points if p.axis == axis and p.judge == judge]
            row[judge] = {
                "per_day": _stats([p.per_day for p in mine]),
                "per_dollar": _stats([p.per_dollar for p in mine]),
                "capped": sum(p.capped for p in mine),
                "benign_flagged": statistics.fmean(p.benign_flagged for p in mine),
                "caught_at_weakest": sum(p.value is None for p in mine),
                "values": [p.value for p in mine],
            }
        limit = row["rate_limit"]["per_day"]["mean"] if "rate_limit" in row else 0.0
        for judge, key in (("distillshield", "ratio_vs_rate_limit"), ("gateway", "gateway_ratio_vs_rate_limit")):
            if judge in row and "rate_limit" in row:
                row[key] = row[judge]["per_day"]["mean"] / limit if limit else None
        table[axis] = row
    return table
