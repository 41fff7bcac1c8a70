"""SynthID-Text through transformers, with an exact p-value that transformers' detector lacks."""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats
from transformers import GPT2Config, GPT2LMHeadModel

from distillshield.respond.watermark import SynthID, new_key
from tests.provenance.bed import Bed

VOCAB = 300


def test_synthid_inside_generate_is_detected_and_plain_text_is_not() -> None:
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=VOCAB, n_positions=128, n_embd=32, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0
    )
    model = GPT2LMHeadModel(config).eval()
    scheme = SynthID(vocab_size=VOCAB, keys=list(range(501, 531)), ngram_len=3)
    prompt = torch.randint(1, VOCAB, (3, 3), generator=torch.Generator().manual_seed(1))
    common = {"attention_mask": torch.ones_like(prompt), "max_new_tokens": 40, "min_new_tokens": 40, "pad_token_id": 0}
    marked = model.generate(
        prompt, do_sample=True, top_k=40, watermarking_config=scheme.watermarking_config(), **common
    )
    plain = model.generate(prompt, do_sample=True, top_k=40, **common)
    assert all(scheme.detect(row[3:]).p_value < 1e-6 for row in marked.tolist())
    assert all(scheme.detect(row[3:]).p_value > 1e-3 for row in plain.tolist())
    # The score is transformers' own g-values, summed.
    row = marked[0, 3:].tolist()
    g_values = scheme.logits_processor().compute_g_values(torch.tensor([row]))
    assert scheme.detect(row, dedup=False).score == float(g_values.sum())


def test_synthid_p_values_are_uniform_on_unwatermarked_text(bed: Bed) -> None:
    rng = np.random.default_rng(12)
    p = []
    for ids in bed.clean[:150]:
        scheme = SynthID(vocab_size=bed.vocab_size, keys=[int(k) for k in rng.integers(1, 2**40, 30)])
        d = scheme.detect(ids)
        above = scheme.p_value(d.score + 1, d.tokens_scored)
        p.append(above + rng.random() * (d.p_value - above))  # randomised within the binomial atom
    assert stats.kstest(p, "uniform").pvalue > 0.01


def test_new_synthid_key_has_one_key_per_layer() -> None:
    key = new_key("synthid", key_id="s1")
    assert len(key.params["keys"]) == 30 and len(set(key.params["keys"])) == 30
    assert key.build(VOCAB).detect(list(range(40))).tokens_scored == 36
