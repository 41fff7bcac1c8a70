"""``scan --engine``: the option combinations that cannot work are refused before anything runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.engines.spark import SparkOptions
from distillshield.errors import ConfigError
from distillshield.pipeline import IntelSource, run_scan

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["logs.jsonl", "--engine", "flink"], "duckdb or spark"),
        (["logs.jsonl", "--table", "logs.requests"], "need --engine spark"),
        (["logs.jsonl", "--engine", "spark", "--table", "logs.requests"], "not both or neither"),
        (["--engine", "spark"], "not both or neither"),
        (["--engine", "spark", "--table", "t", "--spark-conf", "novalue"], "key=value"),
        (["--engine", "spark", "--table", "t", "--db", "x.duckdb"], "DuckDB engine"),
        ([], "give the LOGS"),
    ],
)
def test_bad_engine_options_are_refused(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["scan", "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2
    assert message in " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())
    assert not (tmp_path / "out").exists()


def test_intel_is_refused_on_spark_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DuckDB engine only"):
        run_scan([], tmp_path / "out", intel=IntelSource(tmp_path, tmp_path), spark=SparkOptions(table="t"))
    assert not (tmp_path / "out").exists()
