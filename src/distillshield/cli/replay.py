"""``distillshield replay``: time to detect, by scanning a log as of successive cut-offs."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from distillshield.cli.common import ModelOption, Quiet, err, learned_model, out, reports_errors
from distillshield.cli.mapping import MappingOption, mapping_from
from distillshield.progress import Progress
from distillshield.replay import run_replay
from distillshield.respond.policy import DEFAULT_POLICY, load_policy
from distillshield.settings import settings_from

_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_every(text: str) -> timedelta:
    """``30m``, ``6h`` or ``1d``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhd])\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise typer.BadParameter(f"--every must look like 30m, 6h or 1d, not {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


@reports_errors
def command(
    logs: Annotated[list[str], typer.Argument(help="Log files, directories or globs (JSONL, .gz, Parquet, LiteLLM).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for time_to_detect.csv and friends.")],
    every: Annotated[str, typer.Option("--every", help="Step between cut-offs: 30m, 6h, 1d.")] = "6h",
    setting: Annotated[
        list[str] | None, typer.Option("--set", help="Override a setting: name=value (repeatable).")
    ] = None,
    mapping: MappingOption = None,
    online: Annotated[
        bool, typer.Option("--online", help="Also send the log through the gateway's live path, request by request.")
    ] = False,
    policy: Annotated[Path | None, typer.Option(help="Gateway policy YAML for --online (default: serve's).")] = None,
    model: ModelOption = None,
    quiet: Quiet = False,
) -> None:
    """Replay logs as of successive cut-offs and report when each account and campaign was first flagged.

    Writes time_to_detect.csv (per account: first flagged at, requests by then, whether it joined an
    already flagged campaign) and campaign_time_to_detect.csv (per campaign: requests of all members
    by the first flag). `distillshield evaluate LABELS DIR` then reports them per archetype.
    With --online, online_time_to_detect.csv says when the gateway, scoring and linking the same log live
    (no seed), first answered each account step_up or block.

    With --model (from `distillshield learn`), every cut-off and the --online gateway use the learned
    weights, thresholds and dismissed accounts, and every trace names the model's SHA-256.

    Example: distillshield replay logs/*.jsonl.gz --out ttd --every 6h --online
    """
    step = parse_every(every)
    with Progress(quiet=quiet, console=err) as progress:
        result = run_replay(
            logs,
            out_dir,
            step,
            settings=settings_from(setting),
            progress=progress,
            mapping=mapping_from(mapping),
            online=online,
            policy=load_policy(policy) if policy else DEFAULT_POLICY,
            model=learned_model(model),
        )
    out.print(
        f"{result.ingest.read} read, {result.ingest.accepted} accepted, {result.ingest.quarantined} quarantined; "
        f"{result.cutoffs} cut-offs, {result.accounts_flagged} accounts flagged, {result.campaigns} campaigns"
        + ("" if result.online_escalated is None else f"; online: {result.online_escalated} accounts escalated")
    )
