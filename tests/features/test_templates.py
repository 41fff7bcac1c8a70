"""Near-duplicate templates: MinHash/LSH clusters variants together, keeps boilerplate-sharing texts apart."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillshield.errors import ConfigError
from distillshield.features import compute_features
from distillshield.features.templates import MinHashParams, cluster_keys, cluster_labels, shingle_hashes, tokenise
from distillshield.settings import Settings
from tests.builders import request_row, requests_db

PARAMS = MinHashParams()
#: Lower-case words of 3-9 letters; drawn unique within one text so that a template's shingles are distinct.
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)


@st.composite
def template_and_variant(draw: st.DrawFn) -> tuple[str, str]:
    """A 12-30 word template and a copy with one word substituted or dropped."""
    words = draw(st.lists(WORD, min_size=13, max_size=31, unique=True))
    template, spare = words[:-1], words[-1]
    position = draw(st.integers(0, len(template) - 1))
    variant = list(template)
    if draw(st.booleans()):
        variant[position] = spare
    else:
        del variant[position]
    return " ".join(template), " ".join(variant)


@given(template_and_variant())
@settings(max_examples=60, deadline=None)
def test_one_word_substituted_or_dropped_lands_in_the_same_cluster(pair: tuple[str, str]) -> None:
    labels = cluster_labels(list(pair), PARAMS)
    assert labels[0] == labels[1]


@given(st.lists(WORD, min_size=44, max_size=60, unique=True), st.integers(0, 2**32))
@settings(max_examples=60, deadline=None)
def test_unrelated_texts_sharing_a_boilerplate_suffix_stay_apart(words: list[str], seed: int) -> None:
    # Two unrelated 18-word bodies, each closed by the same 8-word boilerplate, as wrappers are.
    random.Random(seed).shuffle(words)
    boilerplate = " ".join(words[36:44])
    first, second = " ".join(words[:18]), " ".join(words[18:36])
    labels = cluster_labels([f"{first} {boilerplate}", f"{second} {boilerplate}"], PARAMS)
    assert labels[0] != labels[1]


def test_boilerplate_does_not_chain_many_templates_into_one() -> None:
    # 40 templates with their variants, all closing with one sentence: each template stays its own cluster.
    rnd = random.Random(3)
    vocabulary = [f"w{k}" for k in range(3000)]
    boilerplate = "please answer in at most three short steps for the user"
    texts, truth = [], []
    for t in range(40):
        body = [rnd.choice(vocabulary) for _ in range(16)]
        for _ in range(5):
            variant = list(body)
            variant[rnd.randrange(len(variant))] = rnd.choice(vocabulary)
            texts.append(" ".join(variant) + " " + boilerplate)
            truth.append(t)
    labels = cluster_labels(texts, PARAMS)
    for t in range(40):
        members = {int(label) for label, tt in zip(labels, truth, strict=True) if tt == t}
        assert len(members) == 1
    assert len(set(labels.tolist())) == 40


@given(st.lists(st.lists(WORD, min_size=1, max_size=20), min_size=1, max_size=12), st.randoms())
@settings(max_examples=40, deadline=None)
def test_cluster_keys_are_deterministic_and_independent_of_order(
    word_lists: list[list[str]], rnd: random.Random
) -> None:
    texts = [" ".join(w) for w in word_lists]
    keys = [f"k{i:03d}" for i in range(len(texts))]
    first = dict(zip(keys, cluster_keys(keys, texts, PARAMS), strict=True))
    assert first == dict(zip(keys, cluster_keys(keys, texts, PARAMS), strict=True))
    order = list(range(len(texts)))
    rnd.shuffle(order)
    shuffled = cluster_keys([keys[i] for i in order], [texts[i] for i in order], PARAMS)
    assert {keys[i]: c for i, c in zip(order, shuffled, strict=True)} == first


def test_cluster_key_is_the_smallest_exact_key_of_the_cluster() -> None:
    texts = [
        "show every step of your reasoning before you give the final answer to this question",
        "show each step of your reasoning before you give the final answer to this question",
        "what is a good name for a small grey cat that likes to sleep in boxes all day",
    ]
    assert cluster_keys(["m", "c", "x"], texts, PARAMS) == ["c", "c", "x"]


def test_identical_texts_merge_and_empty_texts_never_do() -> None:
    labels = cluster_labels(["same words here", "same words here", "", "   "], PARAMS)
    assert labels[0] == labels[1]
    assert len({labels[1], labels[2], labels[3]}) == 3


def test_shingles_stay_inside_each_text() -> None:
    tokens, offsets = tokenise(["a b c", "d", "", "e f"])
    hashes, shingle_offsets = shingle_hashes(tokens, offsets, 2)
    # "a b", "b c" | "d" (one shingle of a short text) | none | "e f"
    assert np.diff(shingle_offsets).tolist() == [2, 1, 0, 1]
    again, _ = shingle_hashes(*tokenise(["d e f"]), 2)
    # "e f" inside "d e f" hashes as "e f" alone: no word of the previous text leaks in.
    assert hashes[3] == again[1]


def test_bad_parameters_are_named() -> None:
    with pytest.raises(ConfigError, match="threshold"):
        MinHashParams(threshold=0.0)
    with pytest.raises(ConfigError, match="bands"):
        MinHashParams(bands=0)


# --- in the feature SQL --------------------------------------------------------------------------------------

BLOCK = (
    "You are a meticulous reasoning engine. Before your final answer, write out your complete chain of "
    "thought, every intermediate step, every check and every correction, in full detail, then answer."
)
SYNONYMS = {"complete": "full", "every": "each", "final": "last", "detail,": "depth,", "meticulous": "careful"}


def _reworded(text: str, rnd: random.Random) -> str:
    words = [SYNONYMS.get(w, w) if rnd.random() < 0.3 else w for w in text.split(" ")]
    return " ".join(words)


def _paraphrasing_pool(accounts: int = 6, per_account: int = 6) -> list[tuple[object, ...]]:
    rnd = random.Random(5)
    rows = [
        request_row(
            f"p{a}-{k}",
            f"pool{a}",
            60 * k + a,
            f"10.{a}.{k}.1",
            f"Question {a}-{k}: what is {a * 7 + k} times {k + 3}?",
            system_prompt=_reworded(BLOCK, rnd),
        )
        for a in range(accounts)
        for k in range(per_account)
    ]
    rows.append(request_row("c1", "casual", 0, "192.0.2.1", "What is a good name for a cat?"))
    return rows


def _max_template_accounts(settings: Settings) -> dict[str, float]:
    frame = compute_features(requests_db(_paraphrasing_pool()), [], settings)
    return dict(zip(frame.account_ids, frame["max_template_accounts"].tolist(), strict=True))


def test_reworded_system_prompts_form_one_template_across_accounts() -> None:
    shared = _max_template_accounts(Settings(template_min_accounts=5))
    assert all(shared[f"pool{a}"] == 6 for a in range(6))
    assert shared["casual"] == 0


def test_exact_hashes_alone_miss_the_reworded_template() -> None:
    shared = _max_template_accounts(Settings(template_min_accounts=5, template_jaccard=2.0))
    assert all(shared[f"pool{a}"] < 5 for a in range(6))


QUESTIONS = (
    "A farmer has {n} cows and buys three times as many sheep, then sells half of the sheep at the market;",
    "Write a function that returns the longest palindromic substring of a string of length {n} or less;",
    "Tom reads {n} pages on Monday and twice as many on each following day of the week until Sunday;",
    "Given a list of {n} integers, return the indices of the two numbers that add up to a target value;",
    "A train leaves at {n} o'clock at sixty miles an hour and a second train follows an hour later;",
    "Explain why the sum of the first {n} odd numbers is always a perfect square, with a short proof;",
)
TAILS = (
    "how many animals does he own at the end of the day?",
    "what is the time and space complexity of your approach?",
    "how many pages has he read by the end of the week?",
    "what should the function return when there is no such pair?",
    "when does the second train catch up with the first one?",
    "and can you show a picture proof as well if there is one?",
)


def _wrapper_users(accounts: int = 8) -> list[tuple[object, ...]]:
    # Many unrelated users, one popular wrapper, each with their own long questions: not a template.
    wrapper = "I don't get this homework problem, please walk me through it step by step: "
    return [
        request_row(
            f"s{a}-{k}",
            f"student{a}",
            60 * k + a,
            f"172.16.{a}.1",
            wrapper + QUESTIONS[(a + k) % 6].format(n=a + k) + " " + TAILS[(a * 5 + k) % 6],
        )
        for a in range(accounts)
        for k in range(6)
    ]


def test_a_popular_wrapper_over_varied_questions_is_not_a_template() -> None:
    frame = compute_features(requests_db(_wrapper_users()), [], Settings(template_min_accounts=5))
    assert frame["max_template_accounts"].max() == 0
    # The same users at the system-prompt threshold would be merged: the window threshold is what holds.
    loose = Settings(template_min_accounts=5, template_min_variants=3, template_window_jaccard=0.4)
    assert compute_features(requests_db(_wrapper_users()), [], loose)["max_template_accounts"].max() >= 5


def test_doctests() -> None:
    import doctest

    from distillshield.features import templates

    assert doctest.testmod(templates, raise_on_error=False).failed == 0
