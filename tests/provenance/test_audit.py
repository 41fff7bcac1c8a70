"""`distillshield audit` end to end: the distilled student is flagged, the control is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.provenance.testbed import serve
from tests.provenance.bed import Bed

runner = CliRunner()


def _audit(bed: Bed, model: object, out: Path, *extra: str) -> dict[str, object]:
    with serve(model, bed.tokenizer, seed=3) as url:  # type: ignore[arg-type]
        result = runner.invoke(
            app, ["audit", "--suspect", url, "--key", str(bed.keyfile), "--out", str(out), "--quiet", *extra]
        )
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    report["html"] = (out / "audit.html").read_text(encoding="utf-8")
    return report


@pytest.fixture(scope="module")
def reports(bed: Bed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    root = tmp_path_factory.mktemp("audits")
    return {
        "student": _audit(bed, bed.student, root / "student"),
        "control": _audit(bed, bed.control, root / "control"),
    }


def _tests(report: dict[str, object]) -> dict[str, dict[str, object]]:
    return {t["test"]: t for t in report["tests"]}  # type: ignore[attr-defined, index]


def test_student_is_flagged_with_every_test_explained(reports: dict[str, dict[str, object]]) -> None:
    report = reports["student"]
    tests = _tests(report)
    radio = tests["radioactivity.black_box"]
    assert radio["p_value"] < 1e-6  # type: ignore[operator]
    assert radio["details"]["tokens_scored"] <= 20_000  # type: ignore[index]
    assert [k["key_id"] for k in radio["details"]["keys"]] == ["old", "bed"]  # type: ignore[index]
    assert tests["canary.recall"]["p_value"] < 1e-3  # type: ignore[operator]
    for ran in (t for t in tests.values() if t["status"] == "ran"):
        assert ran["assumptions"] and ran["falsified_by"]
    assert tests["identity.probes"]["status"] == "skipped" and tests["identity.probes"]["reason"]
    assert report["verdict"] == "evidence that the suspect learned from the protected model"
    page = str(report["html"])
    assert page.startswith("<!doctype html>") and "Holm over 2 tests run" in page
    assert "skipped: the key file names no protected identity" in page


def test_control_is_not_flagged(reports: dict[str, dict[str, object]]) -> None:
    report = reports["control"]
    tests = _tests(report)
    assert tests["radioactivity.black_box"]["p_value"] > 1e-3  # type: ignore[operator]
    assert tests["canary.recall"]["p_value"] > 1e-3  # type: ignore[operator]
    assert report["verdict"] == "no significant evidence"
    assert report["combined"]["p_value"] > 1e-3  # type: ignore[index]


def test_audit_reports_a_bad_key_file_by_field(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"format": "distillshield-watermark/1", "vocab_size": 10, "keys": []}))
    result = runner.invoke(
        app, ["audit", "--suspect", "http://127.0.0.1:9/v1", "--key", str(key), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "field 'keys'" in result.output


def test_unreachable_suspect_is_one_line_error(bed: Bed, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["audit", "--suspect", "http://127.0.0.1:9/v1", "--key", str(bed.keyfile), "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output


def test_open_weights_setting_reads_a_local_transformers_model(bed: Bed, tmp_path: Path) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from distillshield.provenance.testbed import decode

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=bed.vocab_size, n_positions=256, n_embd=16, n_layer=1, n_head=2)
    GPT2LMHeadModel(config).save_pretrained(tmp_path / "suspect")
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(decode(bed.tokenizer, ids) + "\n" for ids in bed.watermarked[:20]), encoding="utf-8")
    with serve(bed.control, bed.tokenizer) as url:
        result = runner.invoke(
            app,
            ["audit", "--suspect", url, "--key", str(bed.keyfile), "--out", str(tmp_path / "out"), "--queries", "5"]
            + ["--weights", str(tmp_path / "suspect"), "--texts", str(texts), "-q"],
        )
    assert result.exit_code == 0, result.output
    tests = _tests(json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8")))
    reading = tests["radioactivity.open_weights"]
    assert reading["status"] == "ran" and reading["details"]["setting"] == "open-weights"
    assert reading["details"]["tokens_read"] == 20 * 200 and reading["p_value"] > 1e-3  # type: ignore[operator]


def test_prompt_file_errors_name_the_line(tmp_path: Path) -> None:
    from distillshield.errors import InputError
    from distillshield.provenance import read_prompts

    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"text": "hello"}\n{"nope": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"p.jsonl:2 field 'text'"):
        read_prompts(prompts)
    (tmp_path / "p.txt").write_text("one\n\ntwo\n", encoding="utf-8")
    assert read_prompts(tmp_path / "p.txt") == ("one", "two")


def test_missing_weights_directory_is_one_line_error(bed: Bed, tmp_path: Path) -> None:
    texts = tmp_path / "t.txt"
    texts.write_text("the old farmer .\n", encoding="utf-8")
    args = ["audit", "--suspect", "http://127.0.0.1:9/v1", "--key", str(bed.keyfile), "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--weights", str(tmp_path / "nowhere"), "--texts", str(texts)])
    assert result.exit_code == 2 and "not a transformers model directory" in result.output
