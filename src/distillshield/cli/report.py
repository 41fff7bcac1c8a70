"""``distillshield report``: re-render a scan's report, and print it to PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.report import render_report
from distillshield.report.html import render_pdf


@reports_errors
def command(
    scan_dir: Annotated[Path, typer.Argument(help="Scan output directory (accounts.csv, campaigns.json, run.json).")],
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write report.pdf, printed by headless Chromium.")] = False,
    db: Annotated[
        Path | None, typer.Option("--db", help="The scan's DuckDB file, for the campaign figures (default: SCAN_DIR).")
    ] = None,
    browser: Annotated[
        str | None, typer.Option("--browser", help="Chromium executable for --pdf (default: found on PATH).")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Write report.html: per campaign a plain-language summary, link graph, hourly timeline,
    targeted capabilities, observations and inferences, and recommended actions.

    Example: distillshield report scan-out --pdf
    """
    written = [render_report(scan_dir, db)]
    if pdf:
        written.append(render_pdf(scan_dir, db, browser))
    for path in written:
        out.print(escape(str(path)), soft_wrap=True)
    if not quiet and pdf:
        err.print("report-print.html beside it is the page the PDF was printed from")
