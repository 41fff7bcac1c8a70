"""The attacker's bill (issue 20): the largest undetected harvest per knob, for distillshield and two baselines.

Runs ``distillshield.frontier.run_frontier`` (small simulated worlds, the real scan per probe) and writes the
table, the distillshield / rate-limit ratios and the plot to bench/RESULTS.md between the
``frontier-benchmark`` markers, the plot to bench/frontier.png and the page to bench/frontier.html.
Keep it small: every probe is a scan.

Usage: python bench/bench_frontier.py [--campaign low_slow_cover] [--axes rate,cover] [--seeds 1,2,3]
       [--steps 2] [--days 4] [--campaign-scale 0.25] [--judges distillshield,gateway,rate_limit,content]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from distillshield.frontier import JUDGES, World, run_frontier
from distillshield.frontier.report import LIMITS, markdown
from results import machine, write_block

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaign", default="low_slow_cover")
    parser.add_argument("--axes", default="rate,accounts,cover,paraphrase,variants,joint")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--days", type=float, default=4.0)
    parser.add_argument("--campaign-scale", type=float, default=0.25)
    parser.add_argument("--judges", default=",".join(JUDGES))
    args = parser.parse_args()
    world = World(args.campaign, args.days, 0.03, args.campaign_scale)
    name = "frontier" if args.campaign == "low_slow_cover" else f"frontier-{args.campaign}"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        run = run_frontier(
            out,
            world,
            axes=args.axes.split(","),
            judges=args.judges.split(","),
            seeds=[int(s) for s in args.seeds.split(",")],
            steps=args.steps,
        )
        shutil.copy(out / "frontier.png", HERE / f"{name}.png")
        shutil.copy(out / "frontier.json", HERE / f"{name}.json")
        html = (out / "frontier.html").read_text(encoding="utf-8").replace("frontier.png", f"{name}.png")
        (HERE / f"{name}.html").write_text(html, encoding="utf-8")
        summary = json.loads((out / "frontier.json").read_text(encoding="utf-8"))["summary"]
    wall = time.perf_counter() - start
    ratios = _ratios(summary, "ratio_vs_rate_limit")
    live_ratios = _ratios(summary, "gateway_ratio_vs_rate_limit")
    body = (
        f"## The attacker's bill: largest undetected harvest per knob, `{args.campaign}` (issue 20)\n\n"
        f"`python bench/bench_frontier.py --campaign {args.campaign} --axes {args.axes} --seeds {args.seeds} "
        f"--steps {args.steps} --days {args.days} --campaign-scale {args.campaign_scale} --judges {args.judges}`: "
        f"campaign `{args.campaign}` must stay undetected for {args.days:g} days; bisection with {args.steps} "
        f"steps per axis after probing both ends; {run.scans} scans and {run.replays} gateway replays, "
        f"{wall:.0f} s wall on {machine()}. Harvest = useful reasoning tokens per day (mean ±95% confidence "
        "half-width [min-max] over seeds); capped = the strongest setting searched stayed unseen. Judges: "
        "distillshield (the batch scan: any campaign account judged distiller), gateway (the live path: the probe "
        "log replayed request by request through the gateway, no seed, default policy; any campaign account "
        "answered step_up or block), rate_limit (200 requests per "
        "account per UTC day), content (a content scorer's signal in any campaign account's reasons); "
        "benign flagged = mean share of the probe worlds' benign accounts that judge flags (its false-positive "
        "price). Joint axes stack disguises (docs/frontier.md).\n\n"
        + markdown(summary)
        + f"\nRatio undetected harvest with distillshield / with rate limits only, per axis: batch scan {ratios}; "
        f"gateway live path {live_ratios} (where the rate limit's frontier is capped, the ratio is an upper "
        "bound; the joint axes give the joint ratio).\n\n"
        + f"![frontier]({name}.png) (page: bench/{name}.html)\n\n"
        + f"Limits: {LIMITS}\n"
    )
    write_block(name.replace("frontier", "frontier-benchmark", 1), body)
    print(json.dumps(summary, indent=2))


def _ratios(summary: dict[str, dict[str, float | None]], key: str) -> str:
    found = [f"{axis} {row[key]:.3f}" for axis, row in summary.items() if row.get(key) is not None]
    return ", ".join(found) or "-"


if __name__ == "__main__":
    main()
