"""Replay: flags are recorded at the first cut-off that raises them, with request counts checked by hand."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.cli.replay import parse_every
from distillshield.evaluate import read_labels_csv
from distillshield.evaluate.timing import read_campaign_flags, read_flags, time_to_detect
from distillshield.replay import run_replay
from tests.conftest import SmallScan


@pytest.fixture(scope="module")
def replayed(small_scan: SmallScan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("replay")
    run_replay([small_scan.log], out, timedelta(hours=12))
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_last_cutoff_agrees_with_a_scan_of_the_whole_log(replayed: Path, small_scan: SmallScan) -> None:
    scan = {r["account_id"]: r["verdict"] for r in _rows(small_scan.result.out_dir / "accounts.csv")}
    replay = {r["account_id"]: r["verdict"] for r in _rows(replayed / "accounts.csv")}
    assert replay == scan


def test_requests_at_flag_never_exceed_the_account_total(replayed: Path) -> None:
    rows = _rows(replayed / "time_to_detect.csv")
    flagged = [r for r in rows if r["first_flagged_at"]]
    assert flagged, "the small simulated log has distillers"
    assert all(0 < int(r["requests_at_flag"]) <= int(r["requests"]) for r in flagged)
    assert all(r["verdict"] == "distiller" for r in flagged), "every final distiller was flagged at some cut-off"
    assert not [r for r in rows if r["verdict"] == "distiller" and not r["first_flagged_at"]]


def test_campaign_counts_sum_members_up_to_the_first_flag(replayed: Path) -> None:
    accounts = _rows(replayed / "time_to_detect.csv")
    campaigns = _rows(replayed / "campaign_time_to_detect.csv")
    assert any(c["first_flagged_at"] for c in campaigns), "the small simulated log has flagged campaigns"
    for campaign in campaigns:
        members = [a for a in accounts if a["campaign_id"] == campaign["campaign_id"]]
        assert int(campaign["accounts"]) == len(members)
        assert int(campaign["campaign_requests"]) == sum(int(a["requests"]) for a in members)
        if not campaign["first_flagged_at"]:  # a campaign judged suspicious only: no member ever a distiller
            assert int(campaign["campaign_requests_at_flag"]) == 0
            continue
        assert 0 < int(campaign["campaign_requests_at_flag"]) <= int(campaign["campaign_requests"])


def test_time_to_detect_per_archetype(replayed: Path, small_scan: SmallScan) -> None:
    labels = read_labels_csv(small_scan.labels)
    flags = read_flags(replayed / "time_to_detect.csv")
    rows = {
        r.archetype: r
        for r in time_to_detect(labels, flags, read_campaign_flags(replayed / "campaign_time_to_detect.csv"))
    }
    distillers = {r.archetype for r in labels if r.label == "distiller"}
    assert set(rows) == distillers
    for row in rows.values():
        assert row.flagged <= row.accounts
        if row.max_requests_at_flag is not None:
            assert row.median_requests_at_flag is not None and row.median_requests_at_flag <= row.max_requests_at_flag


def test_cli_and_evaluate_report_time_to_detect(small_scan: SmallScan, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["replay", str(small_scan.log), "--out", str(tmp_path), "--every", "1d", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "cut-offs" in result.output
    shown = runner.invoke(app, ["evaluate", str(small_scan.labels), str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "time to detect" in shown.output and "throwaway_pool" in shown.output


@pytest.mark.parametrize(
    ("text", "expected"), [("30m", timedelta(minutes=30)), ("6h", timedelta(hours=6)), ("1.5d", timedelta(days=1.5))]
)
def test_parse_every(text: str, expected: timedelta) -> None:
    assert parse_every(text) == expected


@pytest.mark.parametrize("text", ["", "6", "0h", "-1h", "6w"])
def test_parse_every_rejects_bad_steps(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_every(text)
