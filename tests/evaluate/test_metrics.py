"""evaluate() on a hand-checked example, then its edge cases.

The example: ten labelled accounts, two true campaigns.

    account  label      campaign  archetype          verdict     predicted campaign
    a1       distiller  K1        cot-harvest        distiller   C1
    a2       distiller  K1        cot-harvest        distiller   C1
    a3       distiller  K1        cot-harvest        suspicious  C1
    a4       distiller  K2        capability-scrape  distiller   C2
    a5       distiller  K2        capability-scrape  benign      -
    b1       benign     -         developer          benign      -
    b2       benign     -         developer          distiller   C2
    b3       benign     -         developer          suspicious  -
    b4       benign     -         research-lab       benign      -
    b5       benign     -         research-lab       benign      -

Distiller verdict (predicted positive: a1 a2 a4 b2):
    TP = 3 (a1 a2 a4), FP = 1 (b2), FN = 2 (a3 a5), TN = 4 (b1 b3 b4 b5)
    precision = 3/4 = 0.75, recall = 3/5 = 0.6
    F1 = 2 * 0.75 * 0.6 / (0.75 + 0.6) = 0.9 / 1.35 = 2/3, FPR = 1/5 = 0.2
Suspicious or worse (predicted positive: a1 a2 a3 a4 b2 b3):
    TP = 4, FP = 2, FN = 1 (a5), TN = 3 -> recall = 4/5 = 0.8, FPR = 2/5 = 0.4
Per archetype:
    cot-harvest        TP 2, FN 1 -> recall 2/3; suspicious-or-worse recall 3/3 = 1
    capability-scrape  TP 1, FN 1 -> recall 1/2; suspicious-or-worse recall 1/2
    developer          FP 1, TN 2 -> FPR 1/3;    suspicious-or-worse FPR 2/3
    research-lab       FP 0, TN 2 -> FPR 0;      suspicious-or-worse FPR 0

Adjusted Rand index, from the contingency table of true clusters (rows) and
predicted clusters (columns). True: K1 = {a1 a2 a3}, K2 = {a4 a5}, and the five
benign singletons. Predicted: C1 = {a1 a2 a3}, C2 = {a4 b2}, and singletons
{a5} {b1} {b3} {b4} {b5}. Non-zero cells: K1/C1 = 3, K2/C2 = 1, K2/{a5} = 1,
{b2}/C2 = 1, {b1}/{b1} = {b3}/{b3} = {b4}/{b4} = {b5}/{b5} = 1.

    index    = sum C(n_ij, 2)            = C(3, 2)           = 3
    rows     = sum C(a_i, 2)             = C(3, 2) + C(2, 2) = 4
    columns  = sum C(b_j, 2)             = C(3, 2) + C(2, 2) = 4
    expected = rows * columns / C(10, 2) = 16 / 45
    maximum  = (rows + columns) / 2      = 4
    ARI      = (3 - 16/45) / (4 - 16/45) = (119/45) / (164/45) = 119/164 ≈ 0.72561
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillshield.errors import InputError
from distillshield.evaluate import Confusion, Evaluation, evaluate
from distillshield.records import Verdict
from tests.report.scan_files import campaign, write_scan_dir

LABELS = """account_id,label,campaign_id,archetype
a1,distiller,K1,cot-harvest
a2,distiller,K1,cot-harvest
a3,distiller,K1,cot-harvest
a4,distiller,K2,capability-scrape
a5,distiller,K2,capability-scrape
b1,benign,,developer
b2,benign,,developer
b3,benign,,developer
b4,benign,,research-lab
b5,benign,,research-lab
"""

PREDICTED = [
    Verdict("a1", 0.95, "distiller", "C1"),
    Verdict("a2", 0.90, "distiller", "C1"),
    Verdict("a3", 0.60, "suspicious", "C1"),
    Verdict("a4", 0.85, "distiller", "C2"),
    Verdict("a5", 0.20, "benign", None),
    Verdict("b1", 0.10, "benign", None),
    Verdict("b2", 0.82, "distiller", "C2"),
    Verdict("b3", 0.55, "suspicious", None),
    Verdict("b4", 0.05, "benign", None),
    Verdict("b5", 0.01, "benign", None),
]
CAMPAIGNS = [campaign("C1", ["a1", "a2", "a3"], 0.9), campaign("C2", ["a4", "b2"], 0.85)]


def _run(tmp_path: Path, verdicts: list[Verdict], labels: str = LABELS) -> Evaluation:
    tmp_path.mkdir(parents=True, exist_ok=True)
    labels_csv = tmp_path / "labels.csv"
    labels_csv.write_text(labels, encoding="utf-8")
    used = {v.campaign_id for v in verdicts}
    scan = write_scan_dir(tmp_path / "scan", verdicts, [c for c in CAMPAIGNS if c.campaign_id in used])
    return evaluate(labels_csv, scan)


def test_hand_checked_overall(tmp_path: Path) -> None:
    result = _run(tmp_path, PREDICTED)
    assert result.overall == Confusion(tp=3, fp=1, fn=2, tn=4)
    assert result.overall.precision == pytest.approx(0.75)
    assert result.overall.recall == pytest.approx(0.6)
    assert result.overall.f1 == pytest.approx(2 / 3)
    assert result.overall.fpr == pytest.approx(0.2)
    assert result.suspicious_or_worse == Confusion(tp=4, fp=2, fn=1, tn=3)
    assert result.suspicious_or_worse.recall == pytest.approx(0.8)
    assert result.suspicious_or_worse.fpr == pytest.approx(0.4)


def test_hand_checked_archetypes(tmp_path: Path) -> None:
    by_name = {a.archetype: a for a in _run(tmp_path, PREDICTED).archetypes}
    cot, scrape, dev, lab = (by_name[n] for n in ("cot-harvest", "capability-scrape", "developer", "research-lab"))
    assert (cot.label, cot.accounts, cot.confusion) == ("distiller", 3, Confusion(tp=2, fn=1))
    assert cot.recall == pytest.approx(2 / 3)
    assert (cot.suspicious_or_worse_recall, cot.fpr) == (1.0, None)
    assert (scrape.recall, scrape.suspicious_or_worse_recall) == (0.5, 0.5)
    assert (dev.label, dev.confusion, dev.recall) == ("benign", Confusion(fp=1, tn=2), None)
    assert dev.fpr == pytest.approx(1 / 3)
    assert dev.suspicious_or_worse_fpr == pytest.approx(2 / 3)
    assert (lab.fpr, lab.suspicious_or_worse_fpr) == (0.0, 0.0)


def test_hand_checked_ari(tmp_path: Path) -> None:
    result = _run(tmp_path, PREDICTED)
    assert result.ari == pytest.approx(119 / 164)
    assert (result.true_campaigns, result.predicted_campaigns) == (2, 2)


def test_to_dict_is_json_serialisable(tmp_path: Path) -> None:
    data = json.loads(json.dumps(_run(tmp_path, PREDICTED).to_dict()))
    assert data["overall"] == {
        "tp": 3,
        "fp": 1,
        "fn": 2,
        "tn": 4,
        "precision": 0.75,
        "recall": 0.6,
        "f1": pytest.approx(2 / 3),
        "false_positive_rate": 0.2,
    }
    assert data["suspicious_or_worse"]["recall"] == 0.8
    assert data["accounts"] == {"labelled": 10, "distiller": 5, "benign": 5, "missing": 0, "unlabelled": 0}
    assert [a["archetype"] for a in data["archetypes"]] == [
        "capability-scrape",
        "cot-harvest",
        "developer",
        "research-lab",
    ]
    developer = data["archetypes"][2]
    assert developer["recall"] is None
    assert developer["false_positive_rate"] == pytest.approx(1 / 3)
    assert developer["suspicious_or_worse"]["false_positive_rate"] == pytest.approx(2 / 3)
    assert data["campaigns"]["ari"] == pytest.approx(119 / 164)


def test_no_predicted_positive_gives_zero_not_an_error(tmp_path: Path) -> None:
    quiet = [Verdict(v.account_id, 0.1, "benign", None) for v in PREDICTED]
    result = _run(tmp_path, quiet)
    assert result.overall == Confusion(tp=0, fp=0, fn=5, tn=5)
    # Zero-division rule: precision with no predicted positive is 0, and so is F1.
    assert (result.overall.precision, result.overall.recall, result.overall.f1) == (0.0, 0.0, 0.0)
    assert result.overall.fpr == 0.0
    # Every prediction a singleton: true pairs exist (K1, K2) but none is predicted, so the index is 0.
    assert result.ari == pytest.approx(0.0)


def test_missing_accounts_count_as_predicted_benign(tmp_path: Path) -> None:
    # Drop a1 (a true positive) and b2 (a false positive) from the scan.
    result = _run(tmp_path, [v for v in PREDICTED if v.account_id not in ("a1", "b2")])
    assert result.missing == ("a1", "b2")
    assert result.overall == Confusion(tp=2, fp=0, fn=3, tn=5)
    assert result.to_dict()["missing"] == ["a1", "b2"]


def test_unlabelled_accounts_are_reported_and_left_out(tmp_path: Path) -> None:
    extra = [Verdict("stranger", 0.99, "distiller", "C1"), Verdict("other", 0.0, "benign", None)]
    result = _run(tmp_path, PREDICTED + extra)
    assert result.unlabelled == ("other", "stranger")
    assert result.overall == Confusion(tp=3, fp=1, fn=2, tn=4)
    assert result.ari == pytest.approx(119 / 164)


def test_all_benign_labels_recall_is_zero_and_archetypes_have_no_recall(tmp_path: Path) -> None:
    labels = "account_id,label,campaign_id,archetype\nb1,benign,,dev\nb2,benign,,dev\n"
    result = _run(tmp_path, [Verdict("b1", 0.9, "distiller", None), Verdict("b2", 0.1, "benign", None)], labels)
    assert (result.overall.recall, result.overall.fpr) == (0.0, 0.5)
    [dev] = result.archetypes
    assert (dev.recall, dev.fpr) == (None, 0.5)


def test_archetype_with_both_labels_is_mixed(tmp_path: Path) -> None:
    labels = "account_id,label,campaign_id,archetype\na1,distiller,K1,x\nb1,benign,,x\n"
    result = _run(tmp_path, PREDICTED[:1] + PREDICTED[5:6], labels)
    [mixed] = result.archetypes
    assert (mixed.label, mixed.recall, mixed.fpr) == ("mixed", 1.0, 0.0)


def test_accounts_csv_naming_an_unknown_campaign_is_an_input_error(tmp_path: Path) -> None:
    labels_csv = tmp_path / "labels.csv"
    labels_csv.write_text(LABELS, encoding="utf-8")
    scan = write_scan_dir(tmp_path / "scan", PREDICTED, CAMPAIGNS[:1])
    with pytest.raises(InputError, match="'C2'") as caught:
        evaluate(labels_csv, scan)
    assert caught.value.location.field == "campaign_id"


def test_distiller_without_campaign_is_its_own_true_cluster(tmp_path: Path) -> None:
    labels = "account_id,label,campaign_id,archetype\na1,distiller,,lone\na2,distiller,,lone\n"
    together = [Verdict("a1", 0.9, "distiller", "C1"), Verdict("a2", 0.9, "distiller", "C1")]
    apart = [Verdict("a1", 0.9, "distiller", None), Verdict("a2", 0.9, "distiller", None)]
    assert _run(tmp_path / "apart", apart, labels).ari == pytest.approx(1.0)
    assert _run(tmp_path / "together", together, labels).ari == pytest.approx(0.0)
