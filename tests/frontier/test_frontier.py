"""The attacker's bill at a small scale: the search runs end to end and the undetected harvest has not doubled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.errors import ConfigError
from distillshield.frontier import Prices, load_prices

REFERENCE = json.loads((Path(__file__).parent / "reference.json").read_text(encoding="utf-8"))


def test_small_frontier_has_not_regressed_and_writes_its_report(tmp_path: Path) -> None:
    args = ["frontier", "--out", str(tmp_path), "--campaign", REFERENCE["campaign"], "--axes", REFERENCE["axis"]]
    args += ["--judges", "distillshield,gateway,rate_limit", "--seeds", "1", "--steps", "3", "--days", "4"]
    result = CliRunner().invoke(app, [*args, "--campaign-scale", "0.25", "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "frontier.json").read_text(encoding="utf-8"))
    ours = next(p for p in data["points"] if p["judge"] == "distillshield")
    live = next(p for p in data["points"] if p["judge"] == "gateway")
    limit = next(p for p in data["points"] if p["judge"] == "rate_limit")
    assert ours["per_day"] <= 2 * REFERENCE["per_day"], f"undetected harvest doubled: {ours} vs {REFERENCE}"
    assert live["per_day"] <= 2 * REFERENCE["gateway_per_day"], f"live path's harvest doubled: {live} vs {REFERENCE}"
    assert ours["per_day"] < limit["per_day"], "distillshield must hold the harvest below a rate limit alone"
    assert live["per_day"] < limit["per_day"], "so must the gateway's live path"
    assert 0 <= live["benign_flagged"] <= 0.05, "the gateway steps up or blocks hardly any benign account"
    assert ours["value"] is None or ours["per_day"] > 0
    assert 0 <= ours["benign_flagged"] <= 0.05, "the probe world's benign background is mostly left alone"
    page = (tmp_path / "frontier.html").read_text(encoding="utf-8")
    assert "Limits of this measurement" in page and (tmp_path / "frontier.png").stat().st_size > 5_000
    assert data["summary"]["rate"]["ratio_vs_rate_limit"] < 1
    assert data["summary"]["rate"]["gateway_ratio_vs_rate_limit"] < 1
    assert data["replays"] > 0 and "gateway tokens/day" in (tmp_path / "frontier.md").read_text(encoding="utf-8")


def test_prices_come_from_yaml_and_bad_fields_are_named(tmp_path: Path) -> None:
    good = tmp_path / "prices.yml"
    good.write_text("output_per_mtok: 10\nper_card: 1.5\n", encoding="utf-8")
    assert load_prices(good) == Prices(output_per_mtok=10.0, per_card=1.5)
    bad = tmp_path / "bad.yml"
    bad.write_text("output_per_mtok: 10\nper_kidney: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="per_kidney"):
        load_prices(bad)
    cost = Prices().cost({"reasoning_tokens": 1_000_000, "accounts": 2}, days=1, networks=1, cards=1)
    assert cost == pytest.approx(4.40 + 2 * 0.5 + 2.0 + 0.1)


def test_unknown_axis_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["frontier", "--out", str(tmp_path), "--axes", "teleport", "-q"])
    assert result.exit_code == 2 and "teleport" in result.output
