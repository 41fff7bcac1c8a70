"""The transformer bed's parts: prompt split, chat format, caching by digest, attacks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from distillshield.provenance.tfbed import LMConfig, chat
from distillshield.provenance.tfbed.attacks import paraphrase, substitute
from distillshield.provenance.tfbed.lm import cached, generate, new_model, top_one, train, until_end
from distillshield.provenance.tfbed.text import synthetic_texts

TINY = LMConfig(d_model=16, layers=1, heads=2, context=32, steps=3, batch=2, seed=4)


def test_audit_prompts_are_disjoint_from_the_distillers() -> None:
    texts = synthetic_texts()
    assert texts.audit_prompts and texts.distill_prompts
    assert not set(texts.audit_prompts) & set(texts.distill_prompts)
    assert 0.1 < len(texts.audit_prompts) / (len(texts.audit_prompts) + len(texts.distill_prompts)) < 0.3
    assert chat("Hi there ", "Hello.") == "Human: Hi there\n\nAssistant: Hello."
    assert chat("Hi") == "Human: Hi\n\nAssistant:"


def test_models_are_cached_by_digest_and_training_is_seeded(tmp_path: Path) -> None:
    data = [[1, 2, 3, 4, 5, 6, 7] * 3, [9, 8, 7, 6] * 4]
    first = cached(tmp_path, "m", TINY.digest("x"), lambda: train(new_model(TINY, 40, 0), data, TINY, 0))
    again = train(new_model(TINY, 40, 0), data, TINY, 0)
    loaded = cached(tmp_path, "m", TINY.digest("x"), lambda: (_ for _ in ()).throw(AssertionError("retrained")))
    for a, b, c in zip(first.parameters(), again.parameters(), loaded.parameters(), strict=True):
        assert torch.equal(a, b) and torch.equal(a, c)
    assert TINY.digest("x") != replace(TINY, steps=4).digest("x") and TINY.digest("x") != TINY.digest("y")


def test_generation_is_seeded_and_reading_mode_gives_one_guess_per_token() -> None:
    model = new_model(TINY, 40, 0)
    out = generate(model, [[1, 2, 3], [4, 5]], 6, seed=1)
    assert all(len(r) <= 6 and 0 not in r for r in out)
    assert out == generate(model, [[1, 2, 3], [4, 5]], 6, seed=1)
    assert len(top_one(model)([1, 2, 3, 4])) == 4


def test_replies_stop_at_the_end_token_that_training_puts_after_each_text() -> None:
    # Training joins texts with the end token (0), so the model learns to stop after "3 4 5";
    # generation stops each row there and returns no end token and nothing after it.
    config = replace(TINY, steps=120, lr=1e-2, batch=4, context=16)
    model = train(new_model(config, 12, 0), [[3, 4, 5]], config, 0)
    assert generate(model, [[3], [3, 4]], 10, seed=1, temperature=0.0) == [[4, 5], [5]]
    sampled = generate(model, [[3]] * 20, 10, seed=2)
    assert sum(r == [4, 5] for r in sampled) >= 18 and all(len(r) < 10 for r in sampled)
    untrained = generate(new_model(config, 12, 0), [[3]] * 20, 10, seed=2)
    assert any(r != [4, 5] for r in untrained)  # the stop is learned, not imposed
    assert until_end([4, 5, 0, 7, 0], 0) == [4, 5] and until_end([4, 5], 0) == [4, 5]


def test_substitution_and_paraphrase_edit_the_stated_share_of_tokens() -> None:
    replies = [list(range(10, 30)), list(range(5, 25))]
    washed = substitute(replies, 0.25, 40, seed=1)
    changed = [sum(a != b for a, b in zip(r, w, strict=True)) for r, w in zip(replies, washed, strict=True)]
    assert all(c <= 5 for c in changed) and sum(changed) >= 6  # a random token may equal the old one
    model = new_model(TINY, 40, 0)
    para = paraphrase(model, [[1, 2], [3]], replies, 0.5, seed=2)
    assert para == paraphrase(model, [[1, 2], [3]], replies, 0.5, seed=2)
    assert all(sum(a != b for a, b in zip(r, p, strict=True)) <= 10 for r, p in zip(replies, para, strict=True))
    assert np.mean([a != b for r, p in zip(replies, para, strict=True) for a, b in zip(r, p, strict=True)]) > 0.2
