"""``learn`` on a small simulated scan: verdicts move the labels' way, guard rails hold, scans record the model."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from distillshield.detect.model import DetectionModel, load_model
from distillshield.errors import ConfigError
from distillshield.evaluate.labels import read_labels_csv
from distillshield.learn import LearnOptions, ScanEvidence, learn, load_scan, model_yaml, read_label_files
from distillshield.learn.evidence import BENIGN, DISTILLER, SUSPICIOUS
from distillshield.learn.report import report_markdown
from distillshield.pipeline import run_scan
from tests.conftest import SmallScan
from tests.learn.conftest import THIN


@pytest.fixture(scope="module")
def evidence(small_scan: SmallScan) -> ScanEvidence:
    return load_scan(small_scan.result.out_dir)


def _truth(small_scan: SmallScan) -> dict[str, str]:
    return {row.account_id: row.label for row in read_labels_csv(small_scan.labels)}


def _console_labels(path: Path, decisions: dict[str, str], analyst: str) -> Path:
    """A labels.csv as the console exports it: the archetype names the analyst's action."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account_id", "label", "campaign_id", "archetype"])
        for account, label in sorted(decisions.items()):
            action = "confirm" if label == "distiller" else "dismiss"
            writer.writerow([account, label, "", f"analyst-{action}:{analyst}"])
    return path


def test_learning_moves_verdicts_the_labels_way_and_no_labelled_account_gets_worse(
    small_scan: SmallScan, evidence: ScanEvidence
) -> None:
    result = learn(read_label_files([small_scan.labels]), [evidence], LearnOptions())
    truth = _truth(small_scan)
    before, after = evidence.judge(), evidence.judge(result.params.model())
    ids = evidence.account_ids
    distillers = [i for i, a in enumerate(ids) if truth[a] == "distiller"]
    benign = [i for i, a in enumerate(ids) if truth[a] == "benign"]
    assert any(before.verdict[i] < DISTILLER for i in distillers), "the shipped weights leave distillers below"
    assert sum(after.verdict[i] == DISTILLER for i in distillers) > sum(
        before.verdict[i] == DISTILLER for i in distillers
    )
    assert all(after.verdict[i] >= before.verdict[i] for i in distillers)
    assert all(after.verdict[i] <= before.verdict[i] for i in benign)
    assert result.train_learned.recall > result.train_shipped.recall
    assert result.train_learned.fp_watch <= result.train_shipped.fp_watch
    assert result.params != result.base
    report = report_markdown(result)
    assert "## Weights and thresholds" in report and "cross-validated (held out), learned" in report


def test_scan_with_a_model_uses_it_and_records_its_hash_in_run_json_and_every_trace(
    small_scan: SmallScan, evidence: ScanEvidence, tmp_path: Path
) -> None:
    result = learn(read_label_files([small_scan.labels]), [evidence], LearnOptions())
    path = tmp_path / "model.yaml"
    path.write_text(model_yaml(result), encoding="utf-8")
    model = load_model(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert model.digest == digest
    scan = run_scan([small_scan.log], tmp_path / "scan", settings=THIN, model=model, html=False)
    run = json.loads((tmp_path / "scan" / "run.json").read_text())
    assert run["model"]["sha256"] == digest
    assert run["settings"]["distiller_threshold"] == result.params.distiller
    with (tmp_path / "scan" / "accounts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(row["reasons"].startswith(f"model={digest[:12]}") for row in rows)
    campaigns = json.loads((tmp_path / "scan" / "campaigns.json").read_text())
    assert campaigns and all(c["evidence"]["model"] == digest for c in campaigns)
    learned = {v.account_id: v.verdict for v in scan.detection.verdicts}
    expected = evidence.judge(model)
    names = ("benign", "suspicious", "distiller")
    assert all(learned[a] == names[int(expected.verdict[i])] for i, a in enumerate(evidence.account_ids))


def test_dismissed_accounts_stay_benign_until_their_own_risk_rises(
    small_scan: SmallScan, evidence: ScanEvidence, tmp_path: Path
) -> None:
    before = evidence.judge()
    suspicious = [a for i, a in enumerate(evidence.account_ids) if before.verdict[i] == SUSPICIOUS]
    caught = [a for i, a in enumerate(evidence.account_ids) if before.verdict[i] == DISTILLER]
    quiet = [a for i, a in enumerate(evidence.account_ids) if before.verdict[i] == BENIGN]
    assert suspicious and len(caught) >= 10
    decisions = {a: "benign" for a in suspicious + quiet} | {a: "distiller" for a in caught}
    labels = read_label_files([_console_labels(tmp_path / "labels.csv", decisions, "alice")])
    result = learn(labels, [evidence], LearnOptions())
    assert set(suspicious) <= set(result.dismissed), "every dismissed, flagged account is remembered"
    assert not set(quiet) & set(result.dismissed), "accounts never flagged need no memory"
    kept = evidence.judge(result.params.model(result.dismissed))
    index = {a: i for i, a in enumerate(evidence.account_ids)}
    assert all(kept.verdict[index[a]] == BENIGN for a in suspicious)
    # Their own behaviour changing reads as an own risk above the remembered one: then they are judged again.
    remembered = DetectionModel(dismissed={a: float(before.own_risk[index[a]]) for a in suspicious})
    risen = DetectionModel(dismissed={a: float(before.own_risk[index[a]]) - 0.01 for a in suspicious})
    assert all(evidence.judge(remembered).verdict[index[a]] == BENIGN for a in suspicious)
    assert all(evidence.judge(risen).verdict[index[a]] == SUSPICIOUS for a in suspicious)


def test_a_single_analyst_cannot_whitelist_a_campaign(
    small_scan: SmallScan, evidence: ScanEvidence, tmp_path: Path
) -> None:
    truth = _truth(small_scan)
    before = evidence.judge()
    ids = evidence.account_ids
    campaign = next(before.campaign[i] for i in range(len(ids)) if before.verdict[i] == DISTILLER)
    members = [a for i, a in enumerate(ids) if before.campaign[i] == campaign]
    decisions = dict(truth) | {a: "benign" for a in members}
    alice = _console_labels(tmp_path / "alice.csv", decisions, "alice")
    alone = learn(read_label_files([alice]), [evidence], LearnOptions())
    held = {c.account_id for c in alone.contradictions if c.held_back}
    assert held == set(members)
    assert not held & set(alone.dismissed)
    assert f"| {campaign} | alice | {len(members)} |" in report_markdown(alone)
    bob = _console_labels(tmp_path / "bob.csv", {a: "benign" for a in members}, "bob")
    agreed = learn(read_label_files([alice, bob]), [evidence], LearnOptions())
    assert not any(c.held_back for c in agreed.contradictions)
    assert {c.account_id for c in agreed.contradictions} == set(members), "still listed in the report"
    assert set(members) <= set(agreed.dismissed)


def test_too_few_labels_of_a_class_is_refused(small_scan: SmallScan, evidence: ScanEvidence, tmp_path: Path) -> None:
    truth = _truth(small_scan)
    few = {a: label for a, label in truth.items() if label == "benign"}
    few |= dict(list((a, label) for a, label in truth.items() if label == "distiller")[:3])
    labels = read_label_files([_console_labels(tmp_path / "few.csv", few, "alice")])
    with pytest.raises(ConfigError, match="at least 10 labelled accounts of each class.*3 distiller"):
        learn(labels, [evidence], LearnOptions())
