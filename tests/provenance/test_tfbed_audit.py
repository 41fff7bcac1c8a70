"""`distillshield audit` end to end against served transformer models (the scaled-down bed).

A teacher pretrained on real text answers the distiller's prompts through
``generate(watermarking_config=...)``; one student is distilled from the watermarked answers,
a control from unwatermarked ones. Each is served on loopback and audited with the CLI. A relay
that passes the protected model's watermarked answers on must be flagged; the control must not.
At this scale (one layer of width 64, 160 answers of 48 tokens) the distilled student carries
too little of the mark to be flagged reliably, so its audit is checked for shape only; the
benchmark (bench/bench_provenance_tf.py) measures radioactivity at the larger scale.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.provenance.testbed import serve
from distillshield.provenance.tfbed import Bed, BedConfig, build_bed
from distillshield.respond.watermark import GreenList

pytestmark = pytest.mark.slow  # trains four tiny transformers: about a minute of one idle CPU core
runner = CliRunner()
KEY = {"id": "tf", "scheme": "greenlist", "params": {"hashing_key": 7_777_777, "bias": 4.0}}


@pytest.fixture(scope="module")
def tf_bed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tfbed")
    bed = build_bed(BedConfig.small(), root / "cache")
    scheme = GreenList(vocab_size=bed.vocab_size, key_id="tf", **KEY["params"])  # type: ignore[arg-type]
    marked, clean = bed.teacher_replies(scheme, seed=1), bed.teacher_replies(None, seed=2)
    student = bed.distill("student", bed.pairs(marked))
    control = bed.distill("control", bed.pairs(clean))
    keyfile = bed.write_keyfile(root / "key", [KEY], audit_prompts=40)
    texts = root / "texts.txt"
    texts.write_text("".join(bed.decode(r).replace("\n", " ") + "\n" for r in marked[:60]), encoding="utf-8")
    return {
        "bed": bed,
        "student": student,
        "control": control,
        "key": keyfile,
        "texts": texts,
        "root": root,
        "marked": marked,
    }


def _audit(env: dict[str, Any], name: str, *, watermark: Any = None) -> dict[str, Any]:
    bed: Bed = env["bed"]
    model = bed.teacher if name == "relay" else env[name]
    weights = env["root"] / f"{name}-weights"
    model.save_pretrained(weights)
    out = env["root"] / f"{name}-audit"
    with serve(bed.chat(model, watermark), bed.tokenizer, seed=3) as url:
        args = ["audit", "--suspect", url, "--key", str(env["key"]), "--out", str(out), "--queries", "30"]
        args += ["--max-tokens", "48", "--temperature", "0.7", "--decoys", "40", "-q"]
        result = runner.invoke(app, [*args, "--weights", str(weights), "--texts", str(env["texts"])])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert (out / "audit.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    tests = {t["test"]: t for t in report["tests"]}
    for ran in (t for t in tests.values() if t["status"] == "ran"):
        assert ran["assumptions"] and ran["falsified_by"] and ran["p_value"] is not None
    for radio in (tests["radioactivity.black_box"], tests["radioactivity.open_weights"]):
        assert radio["details"]["measured_null"]["decoy_keys"] == 40
        assert any(
            a.startswith("Measured null: the same replies scored with 40 decoy keys") for a in radio["assumptions"]
        )
    return tests | {"verdict": report["verdict"]}


def test_relay_of_watermarked_answers_is_flagged(tf_bed: dict[str, Any]) -> None:
    scheme = GreenList(vocab_size=tf_bed["bed"].vocab_size, key_id="tf", **KEY["params"])  # type: ignore[arg-type]
    tests = _audit(tf_bed, "relay", watermark=scheme)
    radio = tests["radioactivity.black_box"]
    assert radio["p_value"] < 1e-6 and radio["details"]["queries"] == 30
    assert radio["details"]["measured_null"]["empirical_p"] == 1 / 41  # beats every decoy
    assert tests["verdict"] == "evidence that the suspect learned from the protected model"


def test_teacher_and_student_replies_stop_at_the_end_token(tf_bed: dict[str, Any]) -> None:
    bed: Bed = tf_bed["bed"]
    limit = bed.config.reply_tokens
    prompts = [bed.encode(p) for p in bed.texts.audit_prompts[:40]]
    for replies in (tf_bed["marked"], bed.chat(tf_bed["student"]).generate(prompts, limit, seed=4)):
        assert all(bed.end_id not in r and len(r) <= limit for r in replies)
        assert sum(len(r) < limit for r in replies) >= len(replies) // 4  # stopped, not cut at the limit


def test_distilled_student_is_audited_in_both_settings(tf_bed: dict[str, Any]) -> None:
    tests = _audit(tf_bed, "student")
    assert tests["radioactivity.black_box"]["details"]["setting"] == "black-box"
    assert tests["radioactivity.open_weights"]["details"]["texts"] == 60


def test_control_student_is_not_flagged(tf_bed: dict[str, Any]) -> None:
    tests = _audit(tf_bed, "control")
    for name in ("radioactivity.open_weights", "radioactivity.black_box"):
        assert tests[name]["p_value"] > 1e-3
        # On a clean model the decoys' p-values look uniform (a median under 0.1 has odds below 1e-5).
        null = tests[name]["details"]["measured_null"]
        assert null["median_decoy_p"] > 0.1 and null["decoys_below_1e-3"] <= 1
    assert tests["verdict"] == "no significant evidence"
