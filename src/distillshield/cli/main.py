"""The ``distillshield`` command: one subcommand per module, each module imported only when its command runs.

Why lazy: the subcommand modules import the stages they drive (igraph, scipy,
pyarrow, the gateway), and importing all of them took 2.5 s before even
``--help`` could print. The root help lists each subcommand from the short help
stored in :data:`SUBCOMMANDS` (a test checks it against the module's own), and a
module is imported when its command is resolved, so ``distillshield scan``
imports the scan and nothing that only ``serve`` needs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer._click import Command, Context  # typer's own copy of click, which its groups are built on
from typer.core import TyperCommand, TyperGroup

from distillshield import __version__


@dataclass(frozen=True, slots=True)
class Subcommand:
    """Where a subcommand lives: module ``distillshield.cli.<module>``, attribute ``command`` or ``app``."""

    module: str
    group: bool  # True: the module's ``app`` (a Typer with subcommands); False: its ``command`` function
    help: str  # the short help shown by ``distillshield --help``: the first paragraph of the module's own


#: Every subcommand in the order ``--help`` lists them (single commands first, then groups, as typer lists them).
SUBCOMMANDS: dict[str, Subcommand] = {
    "scan": Subcommand(
        "scan", False, "Scan API traffic logs: score every account, link campaigns, explain the evidence."
    ),
    "simulate": Subcommand(
        "simulate", False, "Write a synthetic traffic log with benign populations and distillation campaigns."
    ),
    "frontier": Subcommand(
        "frontier", False, "Search the evasion knobs for the largest undetected harvest (tokens/day and per dollar)."
    ),
    "evaluate": Subcommand(
        "evaluate", False, "Score a scan against ground truth: precision, recall, F1 and false-positive rate."
    ),
    "replay": Subcommand(
        "replay",
        False,
        "Replay logs as of successive cut-offs and report when each account and campaign was first flagged.",
    ),
    "posture": Subcommand(
        "posture", False, "Score a provider's deployment settings against a baseline that cites the 2026 guidance."
    ),
    "console": Subcommand(
        "console", False, "Serve the analyst console: campaigns, accounts, evidence, and confirm/dismiss/note actions."
    ),
    "report": Subcommand(
        "report",
        False,
        "Write report.html: per campaign a plain-language summary, link graph, hourly timeline,\n"
        "targeted capabilities, observations and inferences, and recommended actions.",
    ),
    "serve": Subcommand("serve", False, "Run the gateway: score traffic live, enforce the policy, log every request."),
    "audit": Subcommand(
        "audit",
        False,
        "Run the radioactivity, canary, identity and fingerprint tests and write a report with p-values.",
    ),
    "watch": Subcommand(
        "watch", False, "Follow traffic logs or a Redis stream incrementally and keep the scan outputs up to date."
    ),
    "learn": Subcommand("learn", False, "Fit evidence-family weights and verdict thresholds to analysts' labels."),
    "rules": Subcommand("rules", True, "Detection rules: list them, and test them on a log."),
    "evidence": Subcommand("evidence", True, "Tamper-evident evidence packages."),
    "keys": Subcommand("keys", True, "Create and show the key that signs evidence packages."),
    "admin": Subcommand("admin", True, "Gateway administration."),
    "intel": Subcommand(
        "intel", True, "Share campaigns as STIX 2.1 / TAXII 2.1 / MISP and match partners' intelligence."
    ),
    "watermark": Subcommand("watermark", True, "Make and rotate watermark keys; test a text."),
    "mapping": Subcommand("mapping", True, "Field mappings: any log schema onto the traffic-log spec."),
}


class _NotLoaded(TyperCommand):
    """A subcommand listed by its stored help; resolving it loads the real one."""


def load_subcommand(name: str) -> Command:
    """The click command of subcommand ``name``, built by typer from its module (imported now)."""
    entry = SUBCOMMANDS[name]
    module = importlib.import_module(f"distillshield.cli.{entry.module}")
    if entry.group:
        group = typer.main.get_group(module.app)  # get_group: without completion options, as the root has none
        group.name = name
        return group
    single = typer.Typer(add_completion=False)
    single.command(name)(module.command)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """The root group: lists every subcommand, and imports one only when it is resolved."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, entry in SUBCOMMANDS.items():
            self.commands.setdefault(name, _NotLoaded(name=name, help=entry.help))

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        if args and isinstance(self.commands.get(args[0]), _NotLoaded):
            self.commands[args[0]] = load_subcommand(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="distillshield",
    help="Detect, resist, attribute and report distillation attacks on LLM APIs.\n\n"
    "Example: distillshield scan logs/*.jsonl.gz --out scan-out",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
