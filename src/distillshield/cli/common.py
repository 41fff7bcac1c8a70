"""What every subcommand shares: the consoles, the ``--quiet`` option and error reporting."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from distillshield.detect.model import DetectionModel, load_model
from distillshield.errors import BudgetExceededError, DistillshieldError
from distillshield.orgs import KnownOrganisations, load_known_organisations

P = ParamSpec("P")
R = TypeVar("R")

#: Results go to stdout; progress bars and errors go to stderr so that output stays pipeable.
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summaries on stderr.")]
KnownOrgsOption = Annotated[
    Path | None,
    typer.Option(
        "--known-orgs",
        help="Known organisations and analyst-confirmed benign accounts (YAML or CSV; see docs/detection.md).",
    ),
]


ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="Weights, thresholds and dismissed accounts learned by `distillshield learn`."),
]


def learned_model(path: Path | None) -> DetectionModel | None:
    """The --model file, loaded (errors name its file, line and key), or None for the shipped weights."""
    return load_model(path) if path is not None else None


def known_organisations(path: Path | None) -> KnownOrganisations | None:
    """The --known-orgs file, loaded (errors name its file, line and field), or None."""
    return load_known_organisations(path) if path is not None else None


EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_UNUSABLE = 2
#: A resource budget (a setting such as max_quarantine_bytes) stopped the run before it finished.
EXIT_BUDGET = 3
#: `evidence verify`: intact, but without --key nobody checked who signed it.
EXIT_UNCHECKED = 4


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a DistillshieldError into a one-line message and exit status 2 (3 for a budget), not a traceback."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except DistillshieldError as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(EXIT_BUDGET if isinstance(exc, BudgetExceededError) else EXIT_UNUSABLE) from exc

    return wrapper
