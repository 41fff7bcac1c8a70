"""``distillshield simulate``: a realistic synthetic log with ground-truth labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.progress import Progress
from distillshield.simulate import Evasion, simulate


@reports_errors
def command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for traffic.jsonl.gz and labels.csv.")],
    scale: Annotated[float, typer.Option(help="1.0 is about 130,000 requests over 14 days.", min=0.001)] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives identical files.")] = 0,
    paraphrase: Annotated[bool, typer.Option(help="Campaigns reword their prompts on every request.")] = False,
    rotate_ips: Annotated[bool, typer.Option(help="Campaign requests each come from a fresh /24.")] = False,
    benign_mix: Annotated[
        float, typer.Option(help="Share of campaign requests that are ordinary chat cover.", min=0.0, max=1.0)
    ] = 0.0,
    quiet: Quiet = False,
) -> None:
    """Write a synthetic traffic log with benign populations and distillation campaigns.

    --paraphrase, --rotate-ips and --benign-mix make the campaigns evade (benign traffic is unchanged).

    Example: distillshield simulate --out sim --scale 0.2 --seed 7 --benign-mix 0.5
    """
    with Progress(quiet=quiet, console=err) as progress:
        evasion = Evasion(paraphrase=paraphrase, rotate_ips=rotate_ips, benign_mix=benign_mix)
        summary = simulate(out_dir, scale=scale, seed=seed, evasion=evasion, progress=progress)
    out.print(f"{summary.requests} requests from {summary.accounts} accounts written to {summary.log}")
    if quiet:
        return
    table = Table("archetype", "accounts", "requests", title="simulated populations")
    for name, counts in summary.archetypes.items():
        table.add_row(name, str(counts["accounts"]), str(counts["requests"]))
    err.print(table)
