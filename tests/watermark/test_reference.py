"""Agreement with the reference KGW implementation and with MarkLLM where their conventions match.

``data/kgw_reference.json`` holds the output of the reference detector of Kirchenbauer et al.
(github.com/jwkirchenbauer/lm-watermarking @ fb602de, ``extended_watermark_processor.WatermarkDetector``,
Apache-2.0) on fixed token ids, with seeding scheme ``ff-additive_prf-1-False-<key>``, which is
transformers' ``lefthash`` with context width 1. It was produced once by running that code; the
reference repository is not a dependency.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from distillshield.respond.watermark import GreenList

FIXTURE = json.loads((Path(__file__).parent / "data" / "kgw_reference.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: f"{c['hashing_key']}-{c['ignore_repeated_ngrams']}")
def test_matches_reference_kgw_detector(case: dict[str, object]) -> None:
    scheme = GreenList(vocab_size=FIXTURE["vocab_size"], hashing_key=case["hashing_key"])  # type: ignore[arg-type]
    ours = scheme.detect(case["token_ids"], dedup=bool(case["ignore_repeated_ngrams"]))  # type: ignore[arg-type]
    assert ours.tokens_scored == case["num_tokens_scored"]
    assert ours.score == case["num_green_tokens"]
    assert ours.z == pytest.approx(case["z_score"], abs=1e-6)


@pytest.mark.skipif(importlib.util.find_spec("markllm") is None, reason="markllm is not installed")
def test_z_statistic_matches_markllm_kgw() -> None:
    # MarkLLM seeds its green lists with hash_key * prf[prev] % vocab_size, unlike transformers and
    # the reference, so green lists cannot agree; what does agree is the statistic on a given green
    # count (MarkLLM scores every token, i.e. no deduplication).
    from markllm.watermark.kgw.kgw import KGWUtils

    class Config:
        gamma, hash_key, prefix_length, f_scheme, window_scheme = 0.25, 15485863, 1, "time", "left"
        vocab_size, device = FIXTURE["vocab_size"], "cpu"

    utils = KGWUtils(Config())
    for case in FIXTURE["cases"]:
        if case["ignore_repeated_ngrams"]:
            continue
        scheme = GreenList(vocab_size=FIXTURE["vocab_size"], hashing_key=case["hashing_key"])
        ours = scheme.detect(case["token_ids"], dedup=False)
        assert ours.z == pytest.approx(utils._compute_z_score(ours.score, ours.tokens_scored), abs=1e-9)
