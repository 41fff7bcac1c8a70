"""OCSF Detection Finding records validate against a JSON Schema written from the public OCSF docs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.report import read_accounts_csv, read_campaigns_json
from distillshield.report.ocsf import write_ocsf
from tests.conftest import SmallScan

SCHEMA = json.loads((Path(__file__).parent / "data" / "ocsf-detection-finding.schema.json").read_text())


def test_findings_cover_every_campaign_and_flagged_account_and_validate(tmp_path: Path, small_scan: SmallScan) -> None:
    out_dir = small_scan.result.out_dir
    count = write_ocsf(out_dir, tmp_path / "findings.jsonl")
    findings = [json.loads(line) for line in (tmp_path / "findings.jsonl").read_text().splitlines()]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for finding in findings:
        validator.validate(finding)
    campaigns = read_campaigns_json(out_dir / "campaigns.json")
    flagged = [a for a in read_accounts_csv(out_dir / "accounts.csv") if a.verdict != "benign"]
    assert campaigns and count == len(findings) == len(campaigns) + len(flagged)
    first = findings[0]
    assert first["finding_info"]["uid"] == f"distillshield:campaign:{campaigns[0].campaign_id}"
    assert {r["uid"] for r in first["resources"]} == set(campaigns[0].accounts)
    assert first["evidences"][0]["data"] == campaigns[0].evidence


def test_a_finding_that_breaks_the_class_fails_the_schema() -> None:
    bad = {"activity_id": 1, "category_uid": 2, "class_uid": 2004, "type_uid": 200402, "severity_id": 3,
           "time": 0, "metadata": {"version": "1.3.0", "product": {"vendor_name": "x"}},
           "finding_info": {"uid": "u", "title": "t"}}  # fmt: skip
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(bad))
    assert errors  # type_uid must be class_uid * 100 + activity_id


def test_scan_writes_findings_with_ocsf(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    record = {"ts": "2026-05-04T10:00:00Z", "account_id": "a", "model": "m", "prompt": "hi"}
    log.write_text("".join(json.dumps({**record, "request_id": f"r{i}"}) + "\n" for i in range(3)))
    args = ["scan", str(log), "--out", str(tmp_path / "o"), "--ocsf", str(tmp_path / "f.jsonl"), "-q", "--no-html"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "f.jsonl").read_text() == ""  # one benign account: nothing to report, but the file is there
