"""``distillshield evaluate`` through typer's CliRunner, on a command registered locally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from distillshield.cli import evaluate as evaluate_cli
from distillshield.records import Verdict
from tests.evaluate.test_metrics import CAMPAIGNS, LABELS, PREDICTED
from tests.report.scan_files import write_scan_dir

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("evaluate")(evaluate_cli.command)

    @app.callback()
    def _root() -> None:
        """Keeps ``evaluate`` a named subcommand, as in the real app."""

    return app


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[str, str]:
    labels = tmp_path / "labels.csv"
    labels.write_text(LABELS, encoding="utf-8")
    extra = [Verdict("[bold]stranger", 0.1, "benign", None)]
    scan = write_scan_dir(tmp_path / "scan", PREDICTED + extra, CAMPAIGNS)
    return str(labels), str(scan)


def test_table_output(inputs: tuple[str, str]) -> None:
    result = runner.invoke(_app(), ["evaluate", *inputs])
    assert result.exit_code == 0, result.output
    for text in ("overall", "0.7500", "0.6000", "0.6667", "0.2000", "cot-harvest", "developer", "0.7256"):
        assert text in result.stdout
    assert "1 unlabelled account(s)" in result.stderr
    assert "[bold]stranger" in result.stderr  # shown literally, not read as markup


def test_json_output(inputs: tuple[str, str]) -> None:
    result = runner.invoke(_app(), ["evaluate", *inputs, "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["overall"]["precision"], data["overall"]["recall"]) == (0.75, 0.6)
    assert data["unlabelled"] == ["[bold]stranger"]
    assert result.stderr == ""


def test_bad_labels_exit_2_with_location(inputs: tuple[str, str], tmp_path: Path) -> None:
    labels = tmp_path / "bad.csv"
    labels.write_text("account_id,label,campaign_id,archetype\na1,evil,,x\n", encoding="utf-8")
    result = runner.invoke(_app(), ["evaluate", str(labels), inputs[1]])
    assert result.exit_code == 2
    assert "bad.csv:2field'label'" in "".join(result.stderr.split())  # the console may wrap the line


def test_help_carries_the_example() -> None:
    result = runner.invoke(_app(), ["evaluate", "--help"])
    assert result.exit_code == 0
    assert "distillshield evaluate sim/labels.csv scan-out" in result.stdout
