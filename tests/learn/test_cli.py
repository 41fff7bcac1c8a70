"""``distillshield learn`` through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.detect.model import load_model
from tests.conftest import SmallScan

runner = CliRunner()


def test_help_shows_an_example() -> None:
    result = runner.invoke(app, ["learn", "--help"])
    assert result.exit_code == 0
    assert "Example: distillshield learn" in result.output and "--dry-run" in result.output


def test_dry_run_prints_the_verdict_changes_and_writes_nothing(small_scan: SmallScan, tmp_path: Path) -> None:
    scan = str(small_scan.result.out_dir)
    model = tmp_path / "model.yaml"
    result = runner.invoke(app, ["learn", str(small_scan.labels), "--scan", scan, "--dry-run", "-q"])
    assert result.exit_code == 0, result.output
    assert "verdicts would change (dry run: nothing written)" in " ".join(result.output.split())
    assert "suspicious" in result.output and "distiller" in result.output
    assert not model.exists()


def test_learn_writes_a_model_scan_can_load_and_a_report(small_scan: SmallScan, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    args = ["learn", str(small_scan.labels), "--scan", str(small_scan.result.out_dir), "--out", str(model), "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "held-out FPR" in result.output
    assert load_model(model).distiller_threshold is not None
    assert "## Verdict changes on the last scan" in (tmp_path / "model.md").read_text(encoding="utf-8")


def test_too_few_labels_exit_with_status_2_and_say_why(small_scan: SmallScan, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("account_id,label,campaign_id,archetype\nacct,benign,,\n", encoding="utf-8")
    scan = str(small_scan.result.out_dir)
    result = runner.invoke(app, ["learn", str(labels), "--scan", scan, "--out", str(tmp_path / "m.yaml"), "-q"])
    assert result.exit_code == 2
    assert "at least 10 labelled accounts of each class" in " ".join(result.output.split())
    assert not (tmp_path / "m.yaml").exists()


def test_a_bad_model_file_stops_the_scan_naming_its_line(small_scan: SmallScan, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text("version: 1\nthresholds:\n  distiller: 2\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(small_scan.log), "--out", str(tmp_path / "scan"), "--model", str(model)])
    assert result.exit_code == 2
    said = "".join(result.output.split())  # rich wraps long paths anywhere, even inside a name
    assert "model.yaml:3" in said and "thresholds.distiller" in said


def test_a_directory_that_is_not_a_scan_is_refused(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("account_id,label,campaign_id,archetype\nacct,benign,,\n", encoding="utf-8")
    result = runner.invoke(app, ["learn", str(labels), "--scan", str(tmp_path), "--dry-run", "-q"])
    assert result.exit_code == 2
    assert "no scan.duckdb here" in " ".join(result.output.split())
