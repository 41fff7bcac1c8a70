"""The ``distillshield`` command: registers one subcommand per module and nothing else."""

from __future__ import annotations

import typer

from distillshield import __version__
from distillshield.cli import (
    admin,
    audit,
    console,
    evaluate,
    evidence,
    frontier,
    intel,
    keys,
    learn,
    mapping,
    posture,
    replay,
    report,
    rules,
    scan,
    serve,
    simulate,
    watch,
    watermark,
)

app = typer.Typer(
    name="distillshield",
    help="Detect, resist, attribute and report distillation attacks on LLM APIs.\n\n"
    "Example: distillshield scan logs/*.jsonl.gz --out scan-out",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("scan")(scan.command)
app.command("simulate")(simulate.command)
app.command("frontier")(frontier.command)
app.command("evaluate")(evaluate.command)
app.command("replay")(replay.command)
app.add_typer(rules.app, name="rules")
app.add_typer(evidence.app, name="evidence")
app.add_typer(keys.app, name="keys")
app.command("posture")(posture.command)
app.command("console")(console.command)
app.command("report")(report.command)
app.command("serve")(serve.command)
app.add_typer(admin.app, name="admin")
app.add_typer(intel.app, name="intel")
app.command("audit")(audit.command)
app.add_typer(watermark.app, name="watermark")
app.command("watch")(watch.command)
app.add_typer(mapping.app, name="mapping")
app.command("learn")(learn.command)


def _version(show: bool) -> None:
    if show:
        typer.echo(f"distillshield {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Detect, resist, attribute and report distillation attacks on LLM APIs."""


def main() -> None:
    app()
