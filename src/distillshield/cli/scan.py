"""``distillshield scan``: the main job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast, get_args

import typer
from rich.table import Table

from distillshield.cli.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_UNUSABLE,
    KnownOrgsOption,
    ModelOption,
    Quiet,
    err,
    known_organisations,
    learned_model,
    out,
    reports_errors,
)
from distillshield.cli.mapping import MappingOption, mapping_from
from distillshield.detect.rules import load_rules
from distillshield.engines.spark import SparkOptions
from distillshield.ingest.readers import Format
from distillshield.pipeline import IntelSource, ScanResult, content_fields, run_scan
from distillshield.progress import Progress
from distillshield.registry import build_registry
from distillshield.report.ocsf import write_ocsf
from distillshield.settings import settings_from


@reports_errors
def command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for the scan outputs.")],
    logs: Annotated[
        list[str] | None,
        typer.Argument(help="Log files, directories or globs (JSONL, .gz, Parquet, LiteLLM); none with --table."),
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="DuckDB file to reuse across runs (default: OUT/scan.duckdb).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto, spec or litellm.")] = "auto",
    mapping: MappingOption = None,
    ocsf: Annotated[
        Path | None, typer.Option("--ocsf", help="Also write OCSF Detection Finding records (JSON Lines) here.")
    ] = None,
    setting: Annotated[
        list[str] | None, typer.Option("--set", help="Override a setting: name=value (repeatable).")
    ] = None,
    html: Annotated[bool, typer.Option("--html/--no-html", help="Write report.html.")] = True,
    intel_dir: Annotated[
        Path | None, typer.Option("--intel", help="Partner intelligence to match: an intel store or bundle folder.")
    ] = None,
    intel_keys: Annotated[
        Path | None,
        typer.Option("--intel-keys", envvar="DISTILLSHIELD_INTEL_KEYS", help="Consortium keyring for --intel."),
    ] = None,
    rules_dir: Annotated[
        list[Path] | None, typer.Option("--rules", help="A directory of your own detection rules (repeatable).")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="Where the SQL runs: duckdb (embedded) or spark.")] = "duckdb",
    master: Annotated[
        str | None,
        typer.Option("--master", help="Spark master (local[2], spark://host:7077, yarn); default: the active session."),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option("--table", help="With --engine spark: read this Spark table (or parquet.`s3://...`), not LOGS."),
    ] = None,
    spark_conf: Annotated[
        list[str] | None, typer.Option("--spark-conf", help="A Spark setting: key=value (repeatable).")
    ] = None,
    known_orgs: KnownOrgsOption = None,
    model: ModelOption = None,
    quiet: Quiet = False,
) -> None:
    """Scan API traffic logs: score every account, link campaigns, explain the evidence.

    Writes accounts.csv, campaigns.json, report.html, run.json and quarantine.jsonl
    into OUT; with --intel, also intel-matches.json (partner campaigns found in these
    logs). Exit status: 0 all records accepted, 1 some quarantined, 2 nothing usable.

    On Apache Spark (pip install 'distillshield\\[spark]'; see docs/spark.md):
    distillshield scan logs/ --out scan-out --engine spark --master 'local[2]'

    With --known-orgs, accounts of known organisations are not linked to each other
    and analyst-confirmed benign accounts stay benign until their own risk rises.

    Example: distillshield scan logs/2026-05/*.jsonl.gz --out scan-out --known-orgs orgs.yaml

    Another log schema (docs/input.md): distillshield scan bedrock-logs/ --out scan-out --mapping bedrock

    With analysts' labels learned (docs/learn.md): distillshield scan logs/ --out scan-out --model model.yaml
    """
    if fmt not in get_args(Format):
        raise typer.BadParameter(f"--format must be auto, spec or litellm, not {fmt!r}")
    logs = logs or []
    spark = _spark_options(engine, master, table, spark_conf or [], logs)
    if spark is not None and (db is not None or intel_dir is not None):
        raise typer.BadParameter("--db and --intel belong to the DuckDB engine; leave them out with --engine spark")
    settings = settings_from(setting)
    if intel_dir is not None and intel_keys is None:
        raise typer.BadParameter("--intel needs --intel-keys (or DISTILLSHIELD_INTEL_KEYS): the consortium keyring")
    intel = IntelSource(intel_dir, intel_keys) if intel_dir is not None and intel_keys is not None else None
    registry = build_registry()
    rules = load_rules(rules_dir or [], content_fields=content_fields(registry))
    known = known_organisations(known_orgs)
    with Progress(quiet=quiet, console=err) as progress:
        result = run_scan(
            logs,
            out_dir,
            db_path=db,
            fmt=cast(Format, fmt),
            settings=settings,
            registry=registry,
            progress=progress,
            html=html,
            rules=rules,
            intel=intel,
            spark=spark,
            known=known,
            mapping=mapping_from(mapping),
            model=learned_model(model),
        )
    if ocsf is not None:
        write_ocsf(result.out_dir, ocsf)
    _print_summary(result, quiet)
    raise typer.Exit(_exit_status(result))


def _spark_options(
    engine: str, master: str | None, table: str | None, conf: list[str], logs: list[str]
) -> SparkOptions | None:
    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter(f"--engine must be duckdb or spark, not {engine!r}")
    if engine == "duckdb":
        if master or table or conf:
            raise typer.BadParameter("--master, --table and --spark-conf need --engine spark")
        if not logs:
            raise typer.BadParameter("give the LOGS to scan")
        return None
    if bool(table) == bool(logs):
        raise typer.BadParameter("give either LOGS or --table (with --engine spark), not both or neither")
    pairs = []
    for item in conf:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--spark-conf takes key=value, not {item!r}")
        pairs.append((key.strip(), value.strip()))
    return SparkOptions(master, table, tuple(pairs))


def _exit_status(result: ScanResult) -> int:
    if result.ingest.accepted == 0 and result.ingest.duplicates == 0:
        return EXIT_UNUSABLE
    return EXIT_PARTIAL if result.ingest.quarantined else EXIT_OK


def _print_summary(result: ScanResult, quiet: bool) -> None:
    counts = result.counts
    out.print(f"{counts['read']} read, {counts['accepted']} accepted, {counts['quarantined']} quarantined")
    if quiet:
        return
    if counts["quarantined"]:
        err.print(f"[yellow]quarantined records are in {result.out_dir / 'quarantine.jsonl'}[/]")
    table = Table(title="scan", show_header=False)
    for key in ("accounts", "suspicious", "distiller", "campaigns"):
        table.add_row(key, str(counts[key]))
    table.add_row("outputs", str(result.out_dir))
    err.print(table)
