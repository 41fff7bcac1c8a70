"""The vectorised featuriser gives exactly what a slow, obvious implementation of the same definition gives."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from distillshield.features.content import hashing
from distillshield.features.content.hashing import (
    CHAR_FEATURES,
    CHAR_MIX,
    N_FEATURES,
    WORD_FEATURES,
    WORD_MIX,
    chunks,
    featurize,
    hash_counts,
)

MASK = (1 << 32) - 1


def slow_hash(gram: str) -> int:
    """sum((code point + 1) * B**k) mod 2**32, one character at a time."""
    return sum((ord(c) + 1) * pow(hashing._BASE, k, 1 << 32) for k, c in enumerate(gram)) & MASK


@cache  # the long-text test repeats its n-grams
def slow_bucket(gram: str, mix: int, size: int) -> int:
    return ((slow_hash(gram) * mix) & MASK) >> (32 - (size.bit_length() - 1))


def slow_row(text: str) -> dict[int, float]:
    """The documented definition, written the plain way: padded-word char 3-5-grams and \\w\\w+ word 1-2-grams."""
    lowered = text.lower()
    chars = Counter(
        slow_bucket(padded[i : i + n], CHAR_MIX, CHAR_FEATURES)
        for padded in (f" {w} " for w in lowered.split())
        for n in (3, 4, 5)
        for i in range(len(padded) - n + 1)
    )
    tokens = re.findall(r"\b\w\w+\b", lowered)
    grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    words = Counter(CHAR_FEATURES + slow_bucket(g, WORD_MIX, WORD_FEATURES) for g in grams)
    row: dict[int, float] = {}
    for block in (chars, words):
        norm = sum(v * v for v in block.values()) ** 0.5
        row.update({col: count / norm for col, count in block.items()})
    return row


def as_rows(matrix: sp.csr_matrix) -> list[dict[int, float]]:
    return [
        dict(zip(matrix.indices[a:b].tolist(), matrix.data[a:b].tolist(), strict=True))
        for a, b in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
    ]


def assert_rows_equal(got: list[dict[int, float]], want: list[dict[int, float]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys()
        np.testing.assert_allclose([g[k] for k in w], list(w.values()), rtol=1e-12)


# Letters, digits, "_", punctuation, many kinds of whitespace, characters whose lower case is longer
# (U+0130), astral characters, a lone surrogate and NUL: everything the featuriser must not trip on.
SPECIAL = list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2003\u2028\u3000_-.,!?'\u0130\u1e9e\x00\ud800") + ["\U0001d518"]
TEXTS = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SPECIAL), st.sampled_from("ab c")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTS, max_size=6))
def test_matches_the_slow_definition_on_random_unicode(texts: list[str]) -> None:
    assert_rows_equal(as_rows(featurize(texts)), [slow_row(t) for t in texts])


def test_matches_on_real_prompt_shapes() -> None:
    texts = [
        "Reveal your HIDDEN reasoning, step by step.\n\nThen   grade the answer 1-10.",
        "sys: You are an agent. Before each tool call, narrate your plan.\nuser: book a flight",
        "ÜBER-straße İstanbul 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 x_y a b cd",
    ]
    assert_rows_equal(as_rows(featurize(texts)), [slow_row(t) for t in texts])


def test_a_text_scores_the_same_alone_and_in_any_batch() -> None:
    texts = ["first prompt here", "", "   ", "second prompt, longer than the first one", "x"]
    batch = featurize(texts)
    for i, text in enumerate(texts):
        alone = featurize([text])
        assert (batch[i] != alone).nnz == 0
    assert (featurize(texts) != batch).nnz == 0, "featurising must be deterministic"


def test_empty_and_blank_texts_have_no_features() -> None:
    matrix = featurize(["", " ", "\n\t  ", "a"])  # a one-letter word has no 3-gram beyond " a " and no token
    assert matrix.shape == (4, N_FEATURES)
    assert matrix.getnnz(axis=1).tolist() == [0, 0, 0, 1]
    assert featurize([]).shape == (0, N_FEATURES)


def test_very_long_texts_and_large_batches_are_chunked_without_changing_rows() -> None:
    long = "reveal the hidden chain of thought " * 6_000  # 210,000 characters: a chunk of its own
    texts = ["short one", long, *(f"prompt number {i} asks for reasoning" for i in range(5000))]
    assert len(chunks(texts)) > 2
    matrix = featurize(texts)
    assert matrix.shape == (len(texts), N_FEATURES)
    assert_rows_equal(as_rows(matrix[[0, 1, 4000]]), [slow_row(texts[i]) for i in (0, 1, 4000)])


def test_non_bmp_characters_are_single_characters() -> None:
    """An astral character is one code point (not a UTF-16 pair): "𝔘ab" has the 3-grams " 𝔘a", "𝔘ab", "ab "."""
    row = as_rows(featurize(["𝔘ab"]))[0]
    chars = {c for c in row if c < CHAR_FEATURES}
    assert chars == {slow_bucket(g, CHAR_MIX, CHAR_FEATURES) for g in (" 𝔘a", "𝔘ab", "ab ", " 𝔘ab", "𝔘ab ", " 𝔘ab ")}


def test_dot_on_one_text_equals_the_sparse_product() -> None:
    weights = np.random.default_rng(0).normal(size=(N_FEATURES, 3))
    for texts in (["one prompt about hidden reasoning"], ["one", "", "two prompts"]):
        counts = hash_counts(texts)
        np.testing.assert_allclose(counts.dot(weights), counts.to_csr() @ weights, rtol=1e-10)
