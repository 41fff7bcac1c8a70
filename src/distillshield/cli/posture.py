"""``distillshield posture``: audit deployment settings against the published baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from distillshield.cli.common import EXIT_PARTIAL, Quiet, err, out, reports_errors
from distillshield.posture import Scorecard, audit, load_baseline, load_deployment


@reports_errors
def command(
    config: Annotated[Path, typer.Argument(help="Deployment settings, YAML (see docs/posture.md).")],
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Baseline YAML (default: the shipped 2026 baseline).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the scorecard as JSON.")] = False,
    cites: Annotated[bool, typer.Option("--cites", help="Add each control's sources and remedy.")] = False,
    quiet: Quiet = False,
) -> None:
    """Score a provider's deployment settings against a baseline that cites the 2026 guidance.

    Exit status: 0 every control passes, 1 some fail, 2 the config or baseline is invalid.

    Example: distillshield posture deploy/posture.yml --json
    """
    scorecard = audit(load_deployment(config), load_baseline(baseline))
    if json_output:
        typer.echo(json.dumps(scorecard.to_dict(), indent=2))
    else:
        out.print(_table(scorecard))
        if cites:
            _print_sources(scorecard)
    if not quiet and not json_output and scorecard.failed:
        err.print(f"[yellow]{len(scorecard.failed)} control(s) failed[/]; run with --cites for sources and remedies")
    if scorecard.failed:
        raise typer.Exit(EXIT_PARTIAL)


def _table(scorecard: Scorecard) -> Table:
    provider = scorecard.deployment.provider or str(scorecard.deployment.path)
    title = f"{escape(provider)}: {scorecard.score:.1f}/100 against {escape(scorecard.baseline.name)}"
    table = Table(title=title, box=box.SIMPLE_HEAD, show_lines=False)
    table.add_column("")
    table.add_column("control")
    table.add_column("weight", justify="right")
    table.add_column("found", overflow="fold")
    table.add_column("expected", overflow="fold")
    for finding in scorecard.findings:
        mark = Text("PASS", style="green") if finding.outcome.passed else Text("FAIL", style="bold red")
        where = f" (line {finding.line})" if finding.line else ""
        control = Text(finding.control.id, style="bold") + Text(f"\n{finding.control.title}", style="dim")
        row: list[Text | str] = [mark, control, str(finding.control.weight)]
        row += [Text(finding.outcome.found + where), Text(finding.outcome.expected)]
        table.add_row(*row)
    return table


def _print_sources(scorecard: Scorecard) -> None:
    """Each control's citations and remedy, below the table: too long to sit in a column."""
    for finding in scorecard.findings:
        out.print(Text(finding.control.id, style="bold"))
        for cite in finding.control.cites:
            out.print(Text(f"  source: {cite}"))
        out.print(Text(f"  remedy: {finding.control.remedy}"))
