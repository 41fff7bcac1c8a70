"""``distillshield evaluate``: score a scan against a benchmark's labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.evaluate import ArchetypeResult, Confusion, Evaluation, evaluate, read_labels_csv
from distillshield.evaluate.timing import TimeToDetect, read_campaign_flags, read_flags, time_to_detect

#: Missing or unlabelled account ids echoed on stderr before the rest are only counted.
SHOWN_IDS = 5


@reports_errors
def command(
    labels: Annotated[Path, typer.Argument(help="Ground truth: labels.csv (account_id,label,campaign_id,archetype).")],
    scan_dir: Annotated[Path, typer.Argument(help="Scan output directory holding accounts.csv and campaigns.json.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the figures as JSON instead of a table.")] = False,
    quiet: Quiet = False,
) -> None:
    """Score a scan against ground truth: precision, recall, F1 and false-positive rate.

    An account counts as caught when its verdict is distiller; suspicious-or-worse
    figures are shown beside. Campaign grouping is scored with the adjusted Rand
    index. Labelled accounts missing from the scan count as benign. On the output
    of `distillshield replay`, time to detect is reported per archetype too.

    Example: distillshield evaluate sim/labels.csv scan-out
    """
    evaluation = evaluate(labels, scan_dir)
    timing = _time_to_detect(labels, scan_dir)
    if json_output:
        figures = evaluation.to_dict()
        if timing is not None:
            figures["time_to_detect"] = [t.to_dict() for t in timing]
        typer.echo(json.dumps(figures, indent=2))
    else:
        _print_unsqueezed(_table(evaluation))
        if timing is not None:
            _print_unsqueezed(_timing_table(timing))
    if not quiet:
        _warn_coverage(evaluation)


def _time_to_detect(labels: Path, scan_dir: Path) -> list[TimeToDetect] | None:
    accounts, campaigns = scan_dir / "time_to_detect.csv", scan_dir / "campaign_time_to_detect.csv"
    if not accounts.exists() or not campaigns.exists():
        return None
    return time_to_detect(read_labels_csv(labels), read_flags(accounts), read_campaign_flags(campaigns))


def _timing_table(rows: list[TimeToDetect]) -> Table:
    table = Table(title="time to detect (requests made when first judged distiller)", box=box.SIMPLE_HEAD)
    table.add_column("archetype")
    for name in ("accounts", "flagged", "median", "max", "joined known", "max when joined", "campaign requests"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in rows:
        cells = (r.accounts, r.flagged, r.median_requests_at_flag, r.max_requests_at_flag, r.joined_known)
        tail = (r.joined_max_requests_at_flag, r.campaign_requests_at_flag)
        table.add_row(Text(r.archetype), *("–" if v is None else f"{v:g}" for v in (*cells, *tail)))
    return table


def _print_unsqueezed(table: Table) -> None:
    """Print at the table's natural width: an ellipsised figure is worse than a line past a narrow terminal."""
    needed = out.measure(table, options=out.options.update_width(10_000)).maximum
    if needed <= out.width:
        out.print(table)
        return
    wide = Console(file=out.file, width=needed, highlight=False, force_terminal=out.is_terminal, no_color=out.no_color)
    wide.print(table)


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _table(evaluation: Evaluation) -> Table:
    campaigns = (
        f"campaign grouping: adjusted Rand index {evaluation.ari:.4f} "
        f"({evaluation.true_campaigns} true, {evaluation.predicted_campaigns} predicted campaigns)"
    )
    table = Table(title="distiller verdict vs labels", caption=campaigns, caption_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("group")
    table.add_column("label")
    for name in ("n", "TP", "FP", "FN", "TN", "precision", "recall", "F1", "FPR", "recall≥susp", "FPR≥susp"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_row("overall", "all", *_overall_cells(evaluation), end_section=True)
    for archetype in evaluation.archetypes:
        # Archetype names are free text from the labels file: Text keeps rich from reading them as markup.
        table.add_row(Text(archetype.archetype or "(none)"), archetype.label, *_archetype_cells(archetype))
    return table


def _counts(confusion: Confusion) -> tuple[str, ...]:
    c = confusion
    return tuple(str(n) for n in (c.positives + c.negatives, c.tp, c.fp, c.fn, c.tn))


def _overall_cells(evaluation: Evaluation) -> tuple[str, ...]:
    o, s = evaluation.overall, evaluation.suspicious_or_worse
    return (*_counts(o), *(_rate(r) for r in (o.precision, o.recall, o.f1, o.fpr, s.recall, s.fpr)))


def _archetype_cells(archetype: ArchetypeResult) -> tuple[str, ...]:
    a = archetype
    rates = (None, a.recall, None, a.fpr, a.suspicious_or_worse_recall, a.suspicious_or_worse_fpr)
    return (*_counts(a.confusion), *(_rate(r) for r in rates))  # precision and F1 need both labels


def _warn_coverage(evaluation: Evaluation) -> None:
    for what, ids, meaning in (
        ("missing", evaluation.missing, "labelled but absent from accounts.csv; scored as benign"),
        ("unlabelled", evaluation.unlabelled, "in accounts.csv but not in the labels; left out"),
    ):
        if ids:
            shown = ", ".join(ids[:SHOWN_IDS]) + (", …" if len(ids) > SHOWN_IDS else "")
            err.print(f"[yellow]{len(ids)} {what} account(s)[/] ({meaning}): {escape(shown)}")
