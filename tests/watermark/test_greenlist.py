"""The green-list scheme agrees with transformers' own detector and plugs into generate()."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from transformers import GPT2Config, GPT2LMHeadModel, LogitsProcessorList, WatermarkDetector

from distillshield.provenance.testbed import GreenBias
from distillshield.respond.watermark import GreenList, ScoringTape, exclude_prompt

VOCAB = 300


def _reference(scheme: GreenList, ids: list[int], *, dedup: bool) -> object:
    config = GPT2Config(vocab_size=VOCAB, bos_token_id=VOCAB - 1, eos_token_id=VOCAB - 1)
    detector = WatermarkDetector(config, "cpu", scheme.watermarking_config(), ignore_repeated_ngrams=dedup)
    return detector(torch.tensor([ids]), return_dict=True)


@pytest.mark.parametrize(("seeding", "width"), [("lefthash", 1), ("selfhash", 1), ("selfhash", 2), ("selfhash", 4)])
@pytest.mark.parametrize("dedup", [True, False])
def test_z_score_equals_transformers_detector(seeding: str, width: int, dedup: bool) -> None:
    rng = np.random.default_rng(width)
    scheme = GreenList(vocab_size=VOCAB, hashing_key=987_654_321, seeding_scheme=seeding, context_width=width)
    ids = [int(t) for t in rng.integers(0, VOCAB - 1, 240)]
    ids[100:160] = ids[10:70]  # a copied passage, so deduplication matters
    ours = scheme.detect(ids, dedup=dedup)
    theirs = _reference(scheme, ids, dedup=dedup)
    if dedup and seeding == "selfhash" and width > 1:
        # Deliberately fewer: n-grams sharing (seed token, token) are one draw (next test).
        assert ours.tokens_scored <= int(theirs.num_tokens_scored[0])
        return
    assert ours.tokens_scored == int(theirs.num_tokens_scored[0])
    assert ours.score == float(theirs.num_green_tokens[0])
    assert ours.z == pytest.approx(float(theirs.z_score[0]), abs=1e-6)


@pytest.mark.parametrize("key", [987_654_321, 2**62 + 12345])  # the second overflows int64, as keygen's do
def test_selfhash_scores_each_seed_draw_once_and_agrees_with_transformers(key: int) -> None:
    scheme = GreenList(vocab_size=VOCAB, hashing_key=key, seeding_scheme="selfhash", context_width=4)
    processor = scheme.logits_processor()
    rng = np.random.default_rng(5)
    for _ in range(200):
        ngram = [int(t) for t in rng.integers(0, VOCAB, 4)]
        theirs = bool((processor._get_greenlist_ids(torch.tensor(ngram)) == ngram[-1]).any())
        window = scheme.window(ngram[:3], ngram[3])
        assert window[1] == ngram[3] and window[0] in ngram
        assert scheme.score_window(window) == float(theirs)
    # Two different 4-grams whose minimum is attained by the same token are the same draw.
    ids = [int(t) for t in rng.integers(0, VOCAB, 400)]
    units = {scheme.window(ids[i - 3 : i], ids[i]) for i in range(3, len(ids))}
    assert scheme.detect(ids).tokens_scored == len(units) < len({tuple(ids[i - 3 : i + 1]) for i in range(3, 400)})


def test_lefthash_wider_context_dedups_on_the_tokens_that_decide_greenness() -> None:
    # transformers' lefthash seeds on the last token only, whatever context_width says, so equal
    # (last token, token) pairs are the same draw and are scored once here (transformers counts
    # them once per distinct wider n-gram, which would overstate the evidence).
    scheme = GreenList(vocab_size=VOCAB, context_width=3)
    ids = [5, 1, 7, 9, 2, 7, 9, 3, 7, 9]
    assert scheme.detect(ids).tokens_scored == len({(ids[i - 1], ids[i]) for i in range(3, len(ids))})


def test_exact_binomial_p_value_is_larger_than_the_normal_tail_in_the_far_tail() -> None:
    scheme = GreenList(vocab_size=1000)
    exact = scheme.p_value(80, 200)  # z = 4.90 at gamma = 0.25
    assert exact == pytest.approx(stats.binom.sf(79, 200, 0.25))
    assert exact > stats.norm.sf(scheme.z_score(80, 200) or 0.0)


def test_repeated_text_scores_the_same_as_the_text_once() -> None:
    scheme = GreenList(vocab_size=VOCAB, hashing_key=11)
    ids = [int(t) for t in np.random.default_rng(0).integers(0, VOCAB, 120)]
    once, tenfold = scheme.detect(ids), scheme.detect(ids * 10)
    assert (tenfold.tokens_scored, tenfold.score) == (
        once.tokens_scored + 1,
        once.score + scheme.score_window((ids[-1], ids[0])),
    )
    assert scheme.detect(ids * 10, dedup=False).tokens_scored == 1199


def test_prompt_windows_are_not_scored() -> None:
    scheme = GreenList(vocab_size=VOCAB, hashing_key=11)
    prompt = [1, 2, 3, 4, 5]
    tape = ScoringTape()
    exclude_prompt(scheme, tape, prompt)
    assert scheme.detect(prompt, tape=tape).tokens_scored == 0


def test_short_text_is_never_flagged() -> None:
    scheme = GreenList(vocab_size=VOCAB, hashing_key=3, min_tokens=16)
    result = scheme.detect([0, *[int(np.flatnonzero(scheme.green_mask([0]))[0])]])
    assert result.tokens_scored == 1 and not result.significant(0.5)


def test_green_bias_matches_transformers_processor() -> None:
    scheme = GreenList(vocab_size=VOCAB, hashing_key=77)
    ids, scores = torch.randint(0, VOCAB, (6, 9)), torch.randn(6, VOCAB)
    assert torch.allclose(GreenBias(scheme)(ids, scores), scheme.logits_processor()(ids, scores))


@pytest.fixture(scope="module")
def tiny_gpt2() -> GPT2LMHeadModel:
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=VOCAB, n_positions=128, n_embd=32, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0
    )
    return GPT2LMHeadModel(config).eval()


def _generate(model: GPT2LMHeadModel, **kwargs: object) -> list[list[int]]:
    prompt = torch.randint(1, VOCAB, (3, 3), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(2)
    out = model.generate(
        prompt,
        attention_mask=torch.ones_like(prompt),
        do_sample=True,
        top_k=0,
        max_new_tokens=40,
        min_new_tokens=40,
        pad_token_id=0,
        **kwargs,
    )
    return [row[3:] for row in out.tolist()]


def test_greenlist_inside_generate(tiny_gpt2: GPT2LMHeadModel) -> None:
    scheme = GreenList(vocab_size=VOCAB, hashing_key=424242, bias=4.0)
    by_config = _generate(tiny_gpt2, watermarking_config=scheme.watermarking_config())
    by_processor = _generate(tiny_gpt2, logits_processor=LogitsProcessorList([scheme.logits_processor()]))
    plain = _generate(tiny_gpt2)
    assert by_config == by_processor  # top_k=0: the order of processors does not matter
    assert all(scheme.detect(ids).p_value < 1e-6 for ids in by_config)
    assert all(scheme.detect(ids).p_value > 1e-3 for ids in plain)
