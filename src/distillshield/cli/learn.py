"""``distillshield learn``: fit weights and thresholds to analysts' labels; ``scan --model`` uses the result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.errors import ConfigError
from distillshield.learn import (
    LearnOptions,
    LearnResult,
    learn,
    load_scan,
    model_yaml,
    read_label_files,
    report_markdown,
)
from distillshield.orgs import KnownOrganisations, load_known_organisations
from distillshield.progress import Progress

#: Verdict changes printed by --dry-run before the rest are only counted.
SHOWN_CHANGES = 40


@reports_errors
def command(
    labels: Annotated[
        list[Path],
        typer.Argument(
            help="Labels: the console's labels.csv, a benchmark's labels.csv or a known-organisations file."
        ),
    ],
    scans: Annotated[
        list[Path],
        typer.Option("--scan", help="OUT directory of a scan the labels judge (repeatable; last = latest)."),
    ],
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Model file to write (YAML).")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Markdown report of what moved (default: beside --out, .md).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the verdict changes on the last scan; write nothing.")
    ] = False,
    min_labels: Annotated[int, typer.Option("--min-labels", min=1, help="Fewest labels of each class to fit.")] = 10,
    folds: Annotated[int, typer.Option("--folds", min=2, max=10, help="Cross-validation folds.")] = 3,
    accept_contradictions: Annotated[
        bool,
        typer.Option(
            "--accept-contradictions",
            help="Use single-analyst dismissals of accounts judged distiller (ground-truth labels); still reported.",
        ),
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Fit evidence-family weights and verdict thresholds to analysts' labels.

    Reads the labels, gathers the evidence of each --scan again (its scan.duckdb),
    and fits a monotone, regularised model: one scale per evidence family and the
    suspicious and distiller thresholds, cross-validated with campaigns kept whole,
    recall held as a constraint. Dismissed accounts are remembered in the model until
    their own behaviour changes. A dismissal of an account judged distiller needs a
    second analyst (or --accept-contradictions); the report lists every such label.

    Example: distillshield learn console-labels.csv --scan scan-out --out model.yaml

    Then: distillshield scan logs/ --out next-scan --model model.yaml
    """
    if out_path is None and not dry_run:
        raise typer.BadParameter("give --out model.yaml, or --dry-run to only print the verdict changes")
    label_set = read_label_files(labels)
    known = _known_organisations(labels)
    with Progress(quiet=quiet, console=err) as progress:
        evidence = [load_scan(scan, known, progress) for scan in scans]
        options = LearnOptions(min_labels, folds, 0, accept_contradictions)
        result = learn(label_set, evidence, options, progress)
    if not quiet:
        _warn(result)
    if dry_run:
        _print_changes(result)
        return
    assert out_path is not None  # checked above; --dry-run is the only way to leave it out
    _write(result, out_path, report or out_path.with_suffix(".md"))
    _print_summary(result, out_path, quiet)


def _known_organisations(paths: list[Path]) -> KnownOrganisations | None:
    """The known-organisations file among the labels (at most one), so the scans are gathered as scanned."""
    found = [p for p in paths if p.suffix.lower() in (".yaml", ".yml") or _org_csv(p)]
    if len(found) > 1:
        raise ConfigError(f"give at most one known-organisations file, not {len(found)}")
    return load_known_organisations(found[0]) if found else None


def _org_csv(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            return handle.readline(4096).strip().replace(" ", "") == "kind,value,organisation,tier"
    except (OSError, UnicodeDecodeError):
        return False


def _write(result: LearnResult, model_path: Path, report_path: Path) -> None:
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_text(model_yaml(result), encoding="utf-8")
    report_path.write_text(report_markdown(result), encoding="utf-8")


def _warn(result: LearnResult) -> None:
    quarantined = result.labels.quarantined
    for row in quarantined[:5]:
        err.print(f"[yellow]quarantined label[/] {escape(str(row.where))}: {escape(row.reason)}")
    if len(quarantined) > 5:
        err.print(f"[yellow]… and {len(quarantined) - 5} more quarantined label rows (see the report)[/]")
    held = [c for c in result.contradictions if c.held_back]
    if held:
        err.print(
            f"[yellow]{len(held)} single-analyst dismissals of accounts judged distiller held back[/] "
            "(a second analyst, or --accept-contradictions, lets them count)"
        )


def _print_changes(result: LearnResult) -> None:
    table = Table(title=f"verdict changes on {result.scan_dirs[-1]}")
    for column in ("account", "label", "before", "after", "risk before", "risk after"):
        table.add_column(column)
    for c in result.changes[:SHOWN_CHANGES]:
        table.add_row(
            escape(c.account_id), c.label or "", c.before, c.after, f"{c.risk_before:.3f}", f"{c.risk_after:.3f}"
        )
    out.print(table)
    out.print(f"{len(result.changes)} verdicts would change (dry run: nothing written)")


def _print_summary(result: LearnResult, model_path: Path, quiet: bool) -> None:
    cv = result.cv
    out.print(
        f"wrote {model_path}: held-out FPR {cv.shipped.fpr:.4f} -> {cv.learned.fpr:.4f}, "
        f"recall {cv.shipped.recall:.4f} -> {cv.learned.recall:.4f}, "
        f"watch-list FPR {cv.shipped.fpr_watch:.4f} -> {cv.learned.fpr_watch:.4f}"
    )
    if not quiet:
        err.print(
            f"{len(result.changes)} verdicts change on the last scan; {len(result.dismissed)} dismissed remembered"
        )
