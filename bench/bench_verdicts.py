"""Verdict quality on both generators: the project's simulator (tuned on) and the blind generator (never tuned on).

Issue 15's acceptance is measured here: at scale >= 0.3, on three seeds used for
nothing else, distiller F1, overall benign false-positive rate, each benign
archetype's false-positive rate, each campaign archetype's recall, and campaign
ARI. The simulator was written beside the detector, so its figures are "tuned
on"; ``bench/blindgen`` was written from the public spec and reports only, and
its figures are the ones that count. Development used simulator seeds 3 and
41-43 and blind seeds 100 and 201-206 (a bug found on 201 was fixed); they are never reported.

Writes the ``verdicts-quality`` block of bench/RESULTS.md.

Usage: python bench/bench_verdicts.py [--scale 0.3] [--sim-seeds 61 62 63] [--blind-seeds 601 602 603]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import timing_report
from distillshield.evaluate import evaluate, read_labels_csv
from distillshield.evaluate.metrics import Evaluation
from distillshield.pipeline import run_scan
from distillshield.replay import run_replay
from distillshield.simulate import simulate
from results import machine, write_block

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "verdicts"
#: Seeds used while developing; a report must never include them.
DEV_SEEDS = {"simulator": {3, 41, 42, 43}, "blind": {100, 201, 202, 203, 204, 205, 206}}


def generate(generator: str, seed: int, scale: float) -> Path:
    data = OUT / f"{generator}-{seed}-{scale}"
    if (data / "labels.csv").exists():
        return data
    if generator == "simulator":
        simulate(data, scale=scale, seed=seed, archetypes="all")
    else:
        command = [sys.executable, "-m", "bench.blindgen", "--out", str(data), "--scale", str(scale)]
        subprocess.run([*command, "--seed", str(seed)], cwd=ROOT, check=True, capture_output=True)
    return data


def measure(generator: str, seed: int, scale: float) -> tuple[Evaluation, float]:
    data = generate(generator, seed, scale)
    scan_dir = OUT / f"{generator}-{seed}-{scale}-scan"
    start = time.perf_counter()
    run_scan([data / "traffic.jsonl.gz"], scan_dir, html=False)
    return evaluate(data / "labels.csv", scan_dir), time.perf_counter() - start


def _mean_range(values: list[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ({min(values):.4f}–{max(values):.4f})"


def summarise(generator: str, results: list[Evaluation]) -> tuple[str, str]:
    overall = (
        f"| {generator} | {_mean_range([r.overall.f1 for r in results])} "
        f"| {_mean_range([r.overall.fpr for r in results])} "
        f"| {_mean_range([r.suspicious_or_worse.fpr for r in results])} "
        f"| {_mean_range([r.ari for r in results])} |"
    )
    per: dict[tuple[str, str], list[float]] = defaultdict(list)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for result in results:
        for a in result.archetypes:
            value = a.fpr if a.label == "benign" else a.recall
            if value is not None:
                per[(a.label, a.archetype)].append(value)
                counts[(a.label, a.archetype)] += a.accounts
    rows = [
        f"| {generator} | {label} | {name} | {counts[(label, name)]} | "
        f"{'FPR' if label == 'benign' else 'recall'} {_mean_range(values)} |"
        for (label, name), values in sorted(per.items())
    ]
    return overall, "\n".join(rows)


CAMPAIGN_HEAD = (
    "| generator | campaign archetype | batch: accounts flagged | batch: campaigns flagged "
    "| batch: median hours to first flag | batch: median campaign requests by then | online: accounts escalated "
    "| online: campaigns escalated | online: median hours | online: median campaign requests "
    "| online: requests refused or reasoning withheld |\n" + "|---" * 11 + "|"
)
BENIGN_HEAD = (
    "| generator | benign archetype | accounts | batch: ever judged distiller | online: stepped up or blocked "
    "| online: acted on (reasoning withheld, throttled or worse) | online: requests refused |\n" + "|---" * 7 + "|"
)


def replay(generator: str, seed: int, scale: float, every: timedelta) -> tuple[Path, float]:
    """Replay one log at cut-offs and through the gateway (kept under bench/out: a rerun reuses it)."""
    data = generate(generator, seed, scale)
    out = OUT / f"{generator}-{seed}-{scale}-replay-{every.total_seconds() / 3600:g}h"
    took = out / "seconds.txt"  # the first run's time, reported again when the outputs are reused
    if (out / "online_time_to_detect.csv").exists() and took.exists():
        return out, float(took.read_text(encoding="utf-8"))
    start = time.perf_counter()
    run_replay([data / "traffic.jsonl.gz"], out, every, online=True)
    took.write_text(f"{time.perf_counter() - start:.1f}\n", encoding="utf-8")
    return out, float(took.read_text(encoding="utf-8"))


def timing_block(sim_seeds: list[int], blind_seeds: list[int], scale: float, every: timedelta) -> str:
    """Time to detect per campaign archetype and false escalations per benign archetype, batch vs online."""
    campaigns, benign, took = [], [], []
    for generator, seeds in (("simulator", sim_seeds), ("blind", blind_seeds)):
        table: dict[tuple[str, str], timing_report.ArchetypeTiming] = {}
        for seed in seeds:
            out, seconds = replay(generator, seed, scale, every)
            took.append(seconds)
            timing_report.measure(read_labels_csv(generate(generator, seed, scale) / "labels.csv"), out, table)
            print(f"{generator} seed {seed}: replayed ({seconds:.0f} s)", flush=True)
        campaigns += timing_report.campaign_rows(generator, table)
        benign += timing_report.benign_rows(generator, table)
    hours = every.total_seconds() / 3600
    return f"""## Time to detect and false escalations, batch scan vs the gateway's live path (issue 15)

`python bench/bench_verdicts.py --timing-only --scale {scale:g} --every {hours:g}`: the report seeds of the
section above (simulator seeds {", ".join(map(str, sim_seeds))}, tuned on; blind seeds
{", ".join(map(str, blind_seeds))}, never tuned on) at scale {scale:g}, each log replayed twice with
`distillshield replay --online`. Batch: a scan as of every {hours:g} h
cut-off; a flag is the first cut-off judging an account `distiller`, so times and counts are upper bounds (up to
{hours:g} h late). Online: every request in time order through the real gateway (in-process state, online scoring
and linking, default policy, no seed from a scan, every account on the default tier); a flag is the first
`step_up` or `block` answer, exact. Per labelled campaign: hours from its first request to the first flag on any
member, and the requests all its members had sent by then (medians over the flagged campaigns of three seeds);
the last column is the share of the archetype's requests the gateway refused or answered with the reasoning
withheld (risk 0.4 and up under the default policy), the harvest it denied short of escalating.
{machine()}; one log's two replays took {min(took):.0f}-{max(took):.0f} s.

{CAMPAIGN_HEAD}
{chr(10).join(campaigns)}

Benign archetypes: accounts ever judged `distiller` at any batch cut-off (even if cleared later), accounts the
gateway ever stepped up or blocked, accounts it acted on at all, and the share of the archetype's requests it
refused (throttles by risk and by the default tier's budget included):

{BENIGN_HEAD}
{chr(10).join(benign)}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--sim-seeds", type=int, nargs="+", default=[61, 62, 63])
    parser.add_argument("--blind-seeds", type=int, nargs="+", default=[601, 602, 603])
    parser.add_argument("--no-write", action="store_true", help="Print, do not write RESULTS.md.")
    parser.add_argument("--timing", action="store_true", help="Also replay every seed, batch and online.")
    parser.add_argument("--timing-only", action="store_true", help="Only the replays (time to detect).")
    parser.add_argument("--every", type=float, default=6.0, help="Hours between replay cut-offs.")
    args = parser.parse_args()
    for generator, seeds in (("simulator", args.sim_seeds), ("blind", args.blind_seeds)):
        if set(seeds) & DEV_SEEDS[generator]:
            raise SystemExit(f"{generator} seeds {sorted(set(seeds) & DEV_SEEDS[generator])} were used in development")
    if not args.timing_only:
        quality(args)
    if args.timing or args.timing_only:
        body = timing_block(args.sim_seeds, args.blind_seeds, args.scale, timedelta(hours=args.every))
        print(body)
        if not args.no_write:
            write_block("verdicts-timing", body)


def quality(args: argparse.Namespace) -> None:
    """The verdicts-quality block: F1, FPR, per-archetype figures and ARI on both generators."""
    overall_rows, archetype_rows, took = [], [], []
    for generator, seeds in (("simulator", args.sim_seeds), ("blind", args.blind_seeds)):
        results = []
        for seed in seeds:
            evaluation, seconds = measure(generator, seed, args.scale)
            results.append(evaluation)
            took.append(seconds)
            print(f"{generator} seed {seed}: F1 {evaluation.overall.f1:.4f} FPR {evaluation.overall.fpr:.4f} "
                  f"ARI {evaluation.ari:.4f} ({seconds:.0f} s)", flush=True)  # fmt: skip
        overall, per_archetype = summarise(generator, results)
        overall_rows.append(overall)
        archetype_rows.append(per_archetype)
    body = f"""## Verdicts on both generators (issue 15)

`python bench/bench_verdicts.py --scale {args.scale}`: simulator seeds {", ".join(map(str, args.sim_seeds))}
(tuned on: the simulator was written beside the detector), blind generator (`bench/blindgen`, written from the
public spec and reports only, never tuned on) seeds {", ".join(map(str, args.blind_seeds))}. Development used
simulator seeds 3 and 41-43 and blind seeds 100 and 201-206; none is reported. The simulator runs with
`--archetypes all` (issue 15's hard negatives and evasive campaigns beside the classic world).
Mean over seeds (min–max). FPR is the share of
benign accounts judged `distiller`; the `suspicious` column counts `suspicious` too (watch-listed, not acted on
by the scan). {machine()}; one scan took {min(took):.0f}–{max(took):.0f} s.

| generator | distiller F1 | benign FPR | benign suspicious-or-worse | campaign ARI |
|---|---|---|---|---|
{chr(10).join(overall_rows)}

Per archetype (benign: false-positive rate; campaigns: recall; accounts summed over seeds):

| generator | label | archetype | accounts | figure |
|---|---|---|---|---|
{chr(10).join(archetype_rows)}
"""
    print(body)
    if not args.no_write:
        write_block("verdicts-quality", body)


if __name__ == "__main__":
    main()
