"""``distillshield rules``: list the detection rules, and try them on a log."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.cli.mapping import MappingOption, mapping_from
from distillshield.db import open_database
from distillshield.detect.rules import FIELDS, Rule, load_rule, load_rules, rule_signals
from distillshield.features import compute_features
from distillshield.ingest import expand_inputs, ingest_paths
from distillshield.ingest.mapping import FieldMapping
from distillshield.pipeline import content_fields
from distillshield.progress import Progress
from distillshield.records import Signal
from distillshield.registry import build_registry
from distillshield.settings import Settings

app = typer.Typer(help="Detection rules: list them, and test them on a log.", no_args_is_help=True)

RulesDirs = Annotated[
    list[Path] | None, typer.Option("--rules", help="A directory of your own rule files (repeatable).")
]


@app.command("list")
@reports_errors
def list_rules(rules_dir: RulesDirs = None) -> None:
    """List the built-in rules and those in --rules directories.

    Example: distillshield rules list --rules my-rules/
    """
    table = Table(title="detection rules")
    table.add_column("id", no_wrap=True)  # ids are what users copy: never cut them
    for column in ("type", "group-by", "timespan", "condition", "weight", "file"):
        table.add_column(column, overflow="fold")
    for rule in _load(rules_dir or []):
        table.add_row(
            rule.id,
            rule.type + (f"({rule.field})" if rule.field else ""),
            ", ".join(rule.group_by),
            f"{rule.timespan_s // 60} min",
            f"{rule.condition_op} {rule.condition_value:g}",
            f"{rule.weight:g}",
            rule.path.name,
        )
    out.print(table)


@app.command("test")
@reports_errors
def test_rules(
    rule_files: Annotated[list[Path], typer.Argument(help="Rule files to try.")],
    logs: Annotated[list[str], typer.Option("--log", help="Log files, directories or globs to try them on.")],
    mapping: MappingOption = None,
    quiet: Quiet = False,
) -> None:
    """Run rule files over a log and print every account each rule fires on, with the measured value.

    Example: distillshield rules test my-rules/burst.yml --log sample.jsonl.gz
    """
    rules = [load_rule(path, FIELDS | set(_fields())) for path in rule_files]
    fired = _run(rules, logs, quiet, mapping_from(mapping))
    table = Table(title="rule hits")
    for column in ("rule", "account", "value", "detail"):
        table.add_column(column)
    for account_id, signals in sorted(fired.items()):
        for s in signals:
            table.add_row(s.name, account_id, f"{s.value:g}" if isinstance(s.value, float) else str(s.value), s.detail)
    out.print(table)
    out.print(f"{sum(len(v) for v in fired.values())} hit(s) on {len(fired)} account(s)")


def _fields() -> list[str]:
    return content_fields(build_registry())


def _load(dirs: list[Path]) -> tuple[Rule, ...]:
    return load_rules(dirs, content_fields=_fields())


def _run(rules: list[Rule], logs: list[str], quiet: bool, mapping: FieldMapping | None) -> dict[str, list[Signal]]:
    settings = Settings()
    registry = build_registry()
    with tempfile.TemporaryDirectory(prefix="distillshield-rules-") as tmp, Progress(quiet=quiet, console=err) as p:
        con = open_database(Path(tmp) / "rules.duckdb", settings)
        try:
            quarantine = Path(tmp) / "quarantine.jsonl"
            ingest_paths(expand_inputs(logs), con, quarantine, settings=settings, mapping=mapping)
            compute_features(con, registry.instances("content"), settings, p)
            return rule_signals(con, rules)
        finally:
            con.close()
