"""False positives are calibrated over keys, and 200-token watermarked texts are detected."""

from __future__ import annotations

import numpy as np
from scipy import stats

from distillshield.respond.watermark import GreenList, GumbelSampling
from tests.provenance.bed import Bed


def _randomised(scheme: GreenList, ids: list[int], rng: np.random.Generator) -> float:
    # The binomial p-value is discrete; randomising within the atom makes it exactly uniform
    # under the null, so a two-sided KS test can check calibration without a tie artefact.
    d = scheme.detect(ids)
    above = scheme.p_value(d.score + 1, d.tokens_scored)
    return float(above + rng.random() * (d.p_value - above))


def test_greenlist_p_values_are_uniform_on_unwatermarked_text(bed: Bed) -> None:
    rng = np.random.default_rng(10)
    keys = rng.integers(1, 2**62, len(bed.clean))
    schemes = [GreenList(vocab_size=bed.vocab_size, hashing_key=int(k)) for k in keys[:200]]
    exact = [s.detect(ids).p_value for s, ids in zip(schemes, bed.clean, strict=False)]
    randomised = [_randomised(s, ids, rng) for s, ids in zip(schemes, bed.clean, strict=False)]
    assert stats.kstest(randomised, "uniform").pvalue > 0.01
    # The exact p-values are never too small: their distribution is not above the uniform one.
    assert stats.kstest(exact, "uniform", alternative="greater").pvalue > 0.01
    assert sum(p < 1e-3 for p in exact) <= 1e-3 * len(exact)


def test_gumbel_p_values_are_uniform_on_unwatermarked_text(bed: Bed) -> None:
    keys = np.random.default_rng(11).integers(1, 2**62, len(bed.clean))
    p = [
        GumbelSampling(vocab_size=bed.vocab_size, key=int(k)).detect(ids).p_value
        for k, ids in zip(keys, bed.clean, strict=True)
    ]
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert sum(x < 1e-3 for x in p) <= 1e-3 * len(p)


def test_wrong_key_on_watermarked_text_is_not_detected(bed: Bed) -> None:
    wrong = GreenList(vocab_size=bed.vocab_size, hashing_key=bed.scheme.hashing_key + 2)
    # One fixed key is not a calibration check (texts share their common word pairs, so their
    # p-values are correlated); it must simply never come near the evidence threshold.
    assert min(wrong.detect(ids).p_value for ids in bed.watermarked[:200]) > 1e-4


def test_200_token_watermarked_teacher_text_is_detected_at_1e_6(bed: Bed) -> None:
    detected = [bed.scheme.detect(ids).p_value < 1e-6 for ids in bed.watermarked]
    assert len(bed.watermarked[0]) == 200
    assert np.mean(detected) >= 0.99


def test_200_token_gumbel_teacher_text_is_detected_at_1e_6(bed: Bed) -> None:
    scheme = GumbelSampling(vocab_size=bed.vocab_size, key=2024, context_width=2)
    prompts = [[t, u] for t, u in zip(bed.corpus_ids[:200:2], bed.corpus_ids[1:200:2], strict=True)]
    texts = bed.teacher.generate(prompts, 200, seed=4, processor=scheme.logits_processor())
    assert np.mean([scheme.detect(ids).p_value < 1e-6 for ids in texts]) >= 0.99
