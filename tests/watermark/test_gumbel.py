"""The distortion-free (Gumbel) scheme: deterministic given the key, undetectable without it."""

from __future__ import annotations

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel, LogitsProcessorList

from distillshield.respond.watermark import GumbelSampling
from distillshield.respond.watermark.processors import request_processor

VOCAB = 300


def test_gumbel_inside_generate_is_detected_and_plain_text_is_not() -> None:
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=VOCAB, n_positions=128, n_embd=32, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0
    )
    model = GPT2LMHeadModel(config).eval()
    scheme = GumbelSampling(vocab_size=VOCAB, key=99, context_width=2)
    prompt = torch.randint(1, VOCAB, (3, 3), generator=torch.Generator().manual_seed(1))
    common = {"attention_mask": torch.ones_like(prompt), "max_new_tokens": 40, "min_new_tokens": 40, "pad_token_id": 0}
    marked = model.generate(
        prompt, do_sample=True, logits_processor=LogitsProcessorList([scheme.logits_processor()]), **common
    )
    again = model.generate(
        prompt, do_sample=True, logits_processor=LogitsProcessorList([scheme.logits_processor()]), **common
    )
    plain = model.generate(prompt, do_sample=True, top_k=0, **common)
    assert torch.equal(marked, again)  # the key, not the sampler's seed, decides every token
    assert all(scheme.detect(row[3:]).p_value < 1e-6 for row in marked.tolist())
    assert all(scheme.detect(row[3:]).p_value > 1e-3 for row in plain.tolist())


def test_exp_min_sampling_preserves_the_distribution_over_keys() -> None:
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    picks = np.bincount([GumbelSampling(vocab_size=4, key=k).choose([1, 2], probs) for k in range(4000)], minlength=4)
    assert np.allclose(picks / 4000, probs, atol=0.03)


def test_request_processor_adapts_a_batch_processor_for_vllm() -> None:
    scheme = GumbelSampling(vocab_size=VOCAB, key=5, context_width=2)
    apply = request_processor(scheme.logits_processor())
    logits = torch.randn(VOCAB)
    out = apply([7, 8], [9], logits)
    chosen = int(torch.argmax(out))
    assert torch.isinf(out).sum() == VOCAB - 1
    assert chosen == scheme.choose([8, 9], torch.softmax(logits, -1).double().numpy())
