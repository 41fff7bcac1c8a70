"""``distillshield evidence``: pack a campaign's case into a signed package, and verify one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from distillshield.cli.common import EXIT_PARTIAL, EXIT_UNCHECKED, Quiet, err, out, reports_errors
from distillshield.evidence import Verification, default_key_path, load_public_key, pack_scan, verify_package

app = typer.Typer(
    name="evidence",
    help="Tamper-evident evidence packages.\n\nExample: distillshield evidence pack scan-out --out case.zip",
    no_args_is_help=True,
)


@app.command("pack")
@reports_errors
def pack(
    scan_dir: Annotated[Path, typer.Argument(help="Scan output directory (campaigns.json, accounts.csv, run.json).")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="The package to write, a .zip file.")],
    campaign: Annotated[
        list[str] | None, typer.Option("--campaign", "-c", help="Campaign id to pack (repeatable; default: all).")
    ] = None,
    redact: Annotated[
        bool, typer.Option("--redact", help="Replace prompt, response and reasoning texts by SHA-256 and length.")
    ] = False,
    key: Annotated[
        Path | None, typer.Option("--key", help="Private signing key (default: the one `keys generate` made).")
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="The scan's DuckDB file (default: SCAN_DIR/scan.duckdb).")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Pack campaigns' records, features, verdict traces, sample prompts and input hashes, signed.

    Example: distillshield evidence pack scan-out --out case-C0001.zip --campaign C0001 --redact
    """
    signing_key = key or default_key_path()
    result = pack_scan(scan_dir, out_path, signing_key, campaigns=campaign or (), redact=redact, db_path=db)
    summary = f"{result.path}: {len(result.campaigns)} campaign(s), {result.entries} entries, {result.records} records"
    out.print(escape(summary), soft_wrap=True)
    if not quiet:
        err.print(f"signed by {result.fingerprint}; chain head {result.head}")


@app.command("verify")
@reports_errors
def verify(
    package: Annotated[Path, typer.Argument(help="The evidence package (.zip).")],
    key: Annotated[
        Path | None, typer.Option("--key", help="The signer's trusted public key; without it the signer is unchecked.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    allow_unsigned: Annotated[
        bool, typer.Option("--allow-unsigned", help="Exit 0 for an intact package even without --key.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Check every byte, entry, link and the signature; name each changed, removed, reordered or added part.

    Exit status: 0 intact (and signed by --key), 1 tampered with, 2 the package or key cannot be read,
    4 intact but the signer not checked (no --key; --allow-unsigned accepts that).

    Example: distillshield evidence verify case.zip --key partner-key.pub
    """
    result = verify_package(package, load_public_key(key) if key else None)
    if json_output:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print(result, quiet)
    if not result.ok:
        raise typer.Exit(EXIT_PARTIAL)
    if not result.signer_checked and not allow_unsigned:
        raise typer.Exit(EXIT_UNCHECKED)


def _print(result: Verification, quiet: bool) -> None:
    if result.ok:
        where = escape(str(result.path))
        text = f"[green]intact[/]: {where}, {result.entries} entries, signed by {result.fingerprint}"
        out.print(text, soft_wrap=True)
        if not result.signer_checked:  # printed even with --quiet: without it "intact" proves nothing
            err.print("[yellow]unsigned: signer not checked[/] (anyone can re-sign a package; pass --key SIGNER.pub)")
        return
    table = Table(title=f"{result.path}: TAMPERED", box=box.SIMPLE_HEAD, title_style="bold red")
    for column in ("entry", "tamper", "detail"):
        table.add_column(column)
    for problem in result.problems:
        table.add_row(Text(problem.entry), problem.kind, Text(problem.detail))
    out.print(table)
