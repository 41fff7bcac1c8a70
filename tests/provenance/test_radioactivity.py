"""Radioactivity: the distilled student is flagged from at most 20,000 scored tokens, the control never."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from scipy import stats

from distillshield.provenance import ChatClient, Finding, black_box, open_weights
from distillshield.provenance.plan import read_prompts
from distillshield.provenance.testbed import BigramLM, serve
from distillshield.respond.watermark import GreenList
from tests.provenance.bed import Bed

NULL_KEYS = 200


def _black_box(bed: Bed, model: BigramLM, schemes: Sequence[GreenList]) -> Finding:
    prompts = read_prompts(bed.root / "prompts.txt")
    with serve(model, bed.tokenizer, seed=9) as url:
        return black_box(ChatClient(url), schemes, bed.tokenize, prompts, max_tokens=200)


@pytest.fixture(scope="module")
def null_keys(bed: Bed) -> list[GreenList]:
    keys = np.random.default_rng(21).integers(1, 2**62, NULL_KEYS)
    return [GreenList(vocab_size=bed.vocab_size, hashing_key=int(k), key_id=f"null-{i}") for i, k in enumerate(keys)]


def test_distilled_student_is_flagged_black_box(bed: Bed) -> None:
    finding = _black_box(bed, bed.student, [bed.scheme])
    assert finding.details["tokens_scored"] <= 20_000
    assert finding.p_value is not None and finding.p_value < 1e-6
    assert finding.details["setting"] == "black-box"


def test_control_student_is_never_flagged_and_calibrated_over_keys(bed: Bed, null_keys: list[GreenList]) -> None:
    finding = _black_box(bed, bed.control, [bed.scheme, *null_keys])
    per_key = {k["key_id"]: k["p_value"] for k in finding.details["keys"]}
    assert per_key["bed"] > 1e-3
    null = [per_key[s.key_id] for s in null_keys]
    assert stats.kstest(null, "uniform").pvalue > 0.01
    assert sum(p < 1e-3 for p in null) <= 1e-3 * len(null)
    assert finding.p_value == 1.0 or finding.p_value > 1e-3  # the Bonferroni-corrected verdict


def test_open_weights_reading_flags_student_not_control(bed: Bed) -> None:
    def reader(model: BigramLM):  # type: ignore[no-untyped-def]
        return lambda ids: np.argmax(model.log_probs[np.asarray(ids)], axis=1).tolist()

    student = open_weights(reader(bed.student), [bed.scheme], bed.watermarked[:100])
    control = open_weights(reader(bed.control), [bed.scheme], bed.watermarked[:100])
    assert student.p_value is not None and student.p_value < 1e-6
    assert control.p_value is not None and control.p_value > 1e-3
    assert student.details["setting"] == "open-weights"


def test_decoy_keys_measure_the_null_on_the_suspects_own_outputs(bed: Bed) -> None:
    prompts = read_prompts(bed.root / "prompts.txt")[:40]
    with serve(bed.student, bed.tokenizer, seed=9) as url:
        student = black_box(ChatClient(url), [bed.scheme], bed.tokenize, prompts, max_tokens=100, decoys=50)
    with serve(bed.control, bed.tokenizer, seed=9) as url:
        control = black_box(ChatClient(url), [bed.scheme], bed.tokenize, prompts, max_tokens=100, decoys=50)
    assert [k["key_id"] for k in student.details["keys"]] == ["bed"]  # decoys never enter the verdict
    assert student.details["measured_null"]["empirical_p"] == 1 / 51
    assert student.details["measured_null"]["decoys_below_1e-3"] == 0
    assert control.details["measured_null"]["empirical_p"] > 0.02
    assert any(a.startswith("Measured null") for a in control.assumptions)
