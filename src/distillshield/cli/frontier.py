"""``distillshield frontier``: the largest harvest a distiller can take and stay undetected, per knob."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.errors import ConfigError
from distillshield.frontier import AXES, JUDGES, World, load_prices, run_frontier
from distillshield.progress import Progress


@reports_errors
def command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for frontier.json/.md/.png/.html.")],
    campaign: Annotated[str, typer.Option(help="Evasive archetype to search.")] = "low_slow_cover",
    axes: Annotated[str, typer.Option(help=f"Comma-separated axes: {', '.join(AXES)}.")] = ",".join(AXES),
    judges: Annotated[str, typer.Option(help=f"Comma-separated judges: {', '.join(JUDGES)}.")] = ",".join(JUDGES),
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds.")] = "1,2,3",
    steps: Annotated[int, typer.Option(help="Bisection steps per axis.", min=0)] = 3,
    days: Annotated[float, typer.Option(help="Undetected for this many days (at most 14).", min=0.5)] = 7.0,
    campaign_scale: Annotated[float, typer.Option(help="Size of the campaign (1 = the archetype's).")] = 1.0,
    background_scale: Annotated[float, typer.Option(help="Size of the benign background.")] = 0.03,
    rate_limit: Annotated[int, typer.Option(help="The baseline's requests per account per day.")] = 200,
    prices: Annotated[Path | None, typer.Option(help="YAML of list prices and overheads (docs/frontier.md).")] = None,
    quiet: Quiet = False,
) -> None:
    """Search the evasion knobs for the largest undetected harvest (tokens/day and per dollar).

    Each probe simulates a small world with one campaign, scans it and reads the verdicts (the batch
    scan), and sends it through the gateway request by request (the live path: step-up or block);
    baselines are a per-account rate limit alone and the content detectors alone.

    Example: distillshield frontier --out frontier --axes rate,cover --seeds 1,2,3 --steps 2
    """
    try:
        world = World(campaign, days, background_scale, campaign_scale, rate_limit, load_prices(prices))
        names = [a for a in axes.split(",") if a]
        chosen = [j for j in judges.split(",") if j]
        seed_list = [int(s) for s in seeds.split(",") if s]
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    with Progress(quiet=quiet, console=err) as progress:
        try:
            run = run_frontier(
                out_dir, world, axes=names, judges=chosen, seeds=seed_list, steps=steps, progress=progress
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
    done = f"{len(run.points)} frontier points from {run.scans} scans and {run.replays} gateway replays"
    out.print(f"{done} written to {out_dir / 'frontier.json'}")
