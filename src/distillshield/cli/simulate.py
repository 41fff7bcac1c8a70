"""``distillshield simulate``: a realistic synthetic log with ground-truth labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.errors import ConfigError
from distillshield.progress import Progress
from distillshield.simulate import ARCHETYPE_SETS, CampaignKnobs, Evasion, archetype_names, simulate


@reports_errors
def command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for traffic.jsonl.gz and labels.csv.")],
    scale: Annotated[float, typer.Option(help="1.0 is about 130,000 requests over 14 days.", min=0.001)] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives identical files.")] = 0,
    paraphrase: Annotated[bool, typer.Option(help="Campaigns reword their prompts on every request.")] = False,
    rotate_ips: Annotated[bool, typer.Option(help="Campaign requests each come from a fresh /24.")] = False,
    benign_mix: Annotated[
        float | None,
        typer.Option(
            help="Share of campaign requests that are ordinary chat cover (every campaign).", min=0.0, max=0.95
        ),
    ] = None,
    archetypes: Annotated[
        str, typer.Option(help=f"Populations: {', '.join(ARCHETYPE_SETS)}, or comma-separated archetype names.")
    ] = "classic",
    days: Annotated[float, typer.Option(help="Cut the log after this many days (at most 14).", min=0.01)] = 14.0,
    campaign_scale: Annotated[
        float | None, typer.Option(help="Scale of the evasive campaigns (default: --scale).", min=0.001)
    ] = None,
    account_factor: Annotated[float, typer.Option(help="Evasive campaigns: accounts x this.", min=0.001)] = 1.0,
    rate_factor: Annotated[
        float, typer.Option(help="Evasive campaigns: requests/account/day x this.", min=0.001)
    ] = 1.0,
    paraphrase_rate: Annotated[
        float | None, typer.Option(help="Evasive campaigns: share of asks reworded.", min=0.0, max=1.0)
    ] = None,
    networks_per_account: Annotated[
        int | None, typer.Option(help="Evasive campaigns: private /24s per account.", min=1)
    ] = None,
    cards_per_account: Annotated[int | None, typer.Option(help="Evasive campaigns: cards per account.", min=1)] = None,
    schedule: Annotated[
        str | None, typer.Option(help="Evasive campaigns: uniform, diurnal, bursty or roundrobin.")
    ] = None,
    jitter: Annotated[
        float | None, typer.Option(help="Evasive campaigns: pacing irregularity 0-1.", min=0.0, max=1.0)
    ] = None,
    instruction_variants: Annotated[
        int | None, typer.Option(help="Evasive campaigns: distinct instruction blocks.", min=1)
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Write a synthetic traffic log with benign populations and distillation campaigns.

    --paraphrase, --rotate-ips and --benign-mix make the classic campaigns evade (benign traffic is
    unchanged). --archetypes hard (or all) adds issue 15's hard negatives and evasive campaigns, whose
    knobs are --account-factor, --rate-factor, --benign-mix, --paraphrase-rate, --networks-per-account,
    --cards-per-account, --schedule, --jitter and --instruction-variants.

    Example: distillshield simulate --out sim --scale 0.2 --seed 7 --archetypes all --benign-mix 0.5
    """
    try:
        knobs = CampaignKnobs(
            account_factor=account_factor,
            rate_factor=rate_factor,
            benign_mix=benign_mix,
            paraphrase=paraphrase_rate,
            networks_per_account=networks_per_account,
            cards_per_account=cards_per_account,
            schedule=schedule,
            jitter=jitter,
            instruction_variants=instruction_variants,
        )
        archetype_names(archetypes)
    except ValueError as exc:  # a knob or archetype name the user can fix
        raise ConfigError(str(exc)) from exc
    with Progress(quiet=quiet, console=err) as progress:
        evasion = Evasion(paraphrase=paraphrase, rotate_ips=rotate_ips, benign_mix=benign_mix or 0.0)
        summary = simulate(
            out_dir,
            scale=scale,
            seed=seed,
            evasion=evasion,
            progress=progress,
            archetypes=archetypes,
            knobs=knobs,
            campaign_scale=campaign_scale,
            days=days,
        )
    out.print(f"{summary.requests} requests from {summary.accounts} accounts written to {summary.log}")
    if quiet:
        return
    table = Table("archetype", "accounts", "requests", title="simulated populations")
    for name, counts in summary.archetypes.items():
        table.add_row(name, str(counts["accounts"]), str(counts["requests"]))
    err.print(table)
