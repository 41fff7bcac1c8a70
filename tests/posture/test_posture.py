"""The posture check: a cited baseline, a scored checklist, and errors that name file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.errors import InputError
from distillshield.posture import audit, load_baseline, load_deployment

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "posture.md"

HARDENED = """\
provider: Hardened AI
tiers:
  free: {requests_per_minute: 20, tokens_per_day: 200000, max_concurrency: 2}
  enterprise: {requests_per_minute: 2000, tokens_per_day: 90000000, max_concurrency: 64}
new_accounts:
  verification: identity
  risk_triggered_verification: true
  probation_days: 14
  probation_tokens_per_day: 100000
reasoning: {exposure: summary, verified_only: true}
watermarking: {enabled: true, scheme: respond.watermark.greenlist}
logging:
  retention_days: 365
  fields: [account_id, ts, ip, asn, payment_fingerprint, account_created_at, messages]
intel_sharing: {enabled: true, format: stix-2.1, partners: [fmf]}
detection: {campaign_linking: true, extraction_alerts: true}
"""

LAX = """\
provider: Lax AI
tiers:
  free:
    requests_per_minute: 20
  pro: {requests_per_minute: 300, tokens_per_day: 5000000}
reasoning:
  exposure: full
logging: {retention_days: 30}
"""


def _write(tmp_path: Path, text: str, name: str = "deploy.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_baseline_cites_the_2026_guidance_for_every_control() -> None:
    baseline = load_baseline()
    assert len(baseline.controls) >= 10
    docs = DOCS.read_text(encoding="utf-8")
    for control in baseline.controls:
        assert control.cites and control.remedy, control.id
        for cite in control.cites:
            assert re.search(r"20(25|26)|AISVS|arXiv", cite), f"{control.id}: {cite}"
            assert re.search(r"\(ref §\d(\.\d)?\)$", cite), f"{control.id} cites no section of the reference: {cite}"
        assert f"`{control.id}`" in docs, f"{control.id} is not documented in docs/posture.md"
    covered = " ".join(c.id for c in baseline.controls)
    for topic in ("limits", "verification", "reasoning", "watermarking", "logging.retention", "intel"):
        assert topic in covered


def test_hardened_deployment_passes_everything(tmp_path: Path) -> None:
    card = audit(load_deployment(_write(tmp_path, HARDENED)), load_baseline())
    assert card.score == 100.0 and not card.failed
    result = runner.invoke(app, ["posture", str(tmp_path / "deploy.yml")])
    assert result.exit_code == 0, result.output
    assert "100.0/100" in result.stdout and "FAIL" not in result.stdout


def test_lax_deployment_is_scored_by_weight(tmp_path: Path) -> None:
    card = audit(load_deployment(_write(tmp_path, LAX)), load_baseline())
    outcome = {f.control.id: f for f in card.findings}
    assert not outcome["limits.per-tier"].outcome.passed
    assert outcome["limits.per-tier"].outcome.found == "missing free: tokens_per_day"
    assert outcome["reasoning.not-raw"].outcome.found == "full" and outcome["reasoning.not-raw"].line == 7
    assert outcome["logging.retention"].outcome.found == "30"
    assert outcome["watermarking.on"].outcome.found == "not set" and outcome["watermarking.on"].line == 0
    passed = [f for f in card.findings if f.outcome.passed]
    total = sum(f.control.weight for f in card.findings)
    assert card.score == round(100 * sum(f.control.weight for f in passed) / total, 1) < 20


def test_cli_table_json_and_exit_status(tmp_path: Path) -> None:
    path = str(_write(tmp_path, LAX))
    table = runner.invoke(app, ["posture", path, "--cites"])
    assert table.exit_code == 1
    assert "Lax AI" in table.stdout and "FAIL" in table.stdout and "AA26-251A" in table.stdout
    as_json = runner.invoke(app, ["posture", path, "--json"])
    card = orjson.loads(as_json.stdout)
    assert as_json.exit_code == 1 and card["provider"] == "Lax AI" and card["baseline"] == "distillshield-2026.1"
    reasoning = next(c for c in card["controls"] if c["id"] == "reasoning.not-raw")
    assert reasoning == reasoning | {"passed": False, "found": "full", "field": "reasoning.exposure", "line": 7}
    assert all(c["cites"] for c in card["controls"])


@pytest.mark.parametrize(
    ("text", "line", "field", "reason"),
    [
        ("tiers:\n  free: {requests_per_minute: 20, tokens_per_dya: 5}\n", 2, "tiers.free.tokens_per_dya", "unknown"),
        ("tiers:\n  free:\n    tokens_per_day: lots\n", 3, "tiers.free.tokens_per_day", "whole number"),
        ("reasoning:\n  exposure: partial\n", 2, "reasoning.exposure", "one of full, summary, hidden"),
        ("watermarking:\n  enabled: 'yes'\n", 2, "watermarking.enabled", "true or false"),
        ("logging: {fields: ip}\n", 1, "logging.fields", "list of text"),
        ("provider: a\nprovider: b\n", 2, "provider", "appears twice"),
        ("watermark:\n  enabled: true\n", 1, "watermark", "unknown field"),
        ("tiers: [free]\n", 1, "tiers", "tiers must map"),
        ("reasoning: summary\n", 1, "reasoning", "must be a mapping"),
    ],
)
def test_bad_config_names_file_line_and_field(tmp_path: Path, text: str, line: int, field: str, reason: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=re.escape(reason)) as caught:
        load_deployment(path)
    assert (caught.value.location.line, caught.value.location.field) == (line, field)
    result = runner.invoke(app, ["posture", str(path)])
    # rich wraps long paths anywhere, so compare with all whitespace taken out
    assert result.exit_code == 2 and "".join(f"{path}:{line} field {field!r}".split()) in "".join(result.stderr.split())


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "tiers:\n  free: {a: 1\n")
    with pytest.raises(InputError, match="not valid YAML") as caught:
        load_deployment(path)
    assert caught.value.location.line >= 2
    with pytest.raises(InputError, match="cannot read"):
        load_deployment(tmp_path / "absent.yml")


HEAD = "id: a, title: t, remedy: r, "


@pytest.mark.parametrize(
    ("control", "reason"),
    [
        ("weight: 1, cites: [x], check: {type: nope}", "check.type must be one of"),
        ("weight: 1, cites: [x], check: {type: equals, path: x.y, value: 1}", "no config field"),
        ("weight: 1, check: {type: equals, path: reasoning.exposure, value: 1}", "cites"),
        ("weight: 0, cites: [x], check: {type: equals, path: x.y, value: 1}", ">= 1"),
        ("weight: 1, cites: [x], check: {type: at_least, path: logging.retention_days}", "takes exactly"),
    ],
)
def test_bad_baseline_is_refused(tmp_path: Path, control: str, reason: str) -> None:
    path = _write(tmp_path, f"baseline: test\ncontrols:\n  - {{{HEAD}{control}}}\n", "baseline.yml")
    with pytest.raises(InputError, match=re.escape(reason)):
        load_baseline(path)


def test_custom_baseline(tmp_path: Path) -> None:
    baseline = _write(
        tmp_path,
        "baseline: strict\ncontrols:\n  - id: logging.long\n    title: Logs kept a year\n    weight: 1\n"
        "    check: {type: at_least, path: logging.retention_days, value: 365}\n    cites: [internal policy]\n"
        "    remedy: Keep logs a year.\n",
        "baseline.yml",
    )
    deploy = _write(tmp_path, HARDENED)
    result = runner.invoke(app, ["posture", str(deploy), "--baseline", str(baseline), "--json"])
    assert result.exit_code == 0 and orjson.loads(result.stdout)["score"] == 100.0
