"""Behavioural fingerprint: are the suspect's answers closer to the protected model's than chance?

Both models answer a fixed probe set greedily. The statistic is the mean character-trigram
Jaccard similarity between the two answers to the same probe. Two nulls are available:

* **reference models** (preferred): the same statistic for models known to be unrelated; the
  p-value is the suspect's rank among them, ``(1 + #references at least as similar) / (1 + n)``.
* **shuffles**: the suspect's answers paired with the protected model's answers to *other*
  probes. This only shows that the suspect answers the same probes in a similar way, which any
  competent model may do; it is reported as weak evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from distillshield.provenance.client import ChatModel
from distillshield.provenance.findings import Finding

PROBES = (
    "Complete the sentence: the old bridge",
    "Write one sentence about a harbour at dusk.",
    "Name three colours.",
    "What is 17 times 23?",
    "Say something kind to a stranger.",
    "Describe a storm in five words.",
    "Give a one-line proverb about patience.",
    "List four animals that live on a farm.",
    "What day comes after Tuesday?",
    "Write a short title for a story about a lost key.",
    "Translate 'good morning' into French.",
    "Finish this: once upon a time",
)


def _trigrams(text: str) -> set[str]:
    text = " ".join(text.lower().split())
    return {text[i : i + 3] for i in range(max(len(text) - 2, 1))}


def similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Mean trigram Jaccard similarity of paired answers."""
    scores = []
    for x, y in zip(a, b, strict=True):
        tx, ty = _trigrams(x), _trigrams(y)
        scores.append(len(tx & ty) / len(tx | ty) if tx | ty else 1.0)
    return float(np.mean(scores)) if scores else 0.0


def answers(model: ChatModel, probes: Sequence[str], max_tokens: int) -> list[str]:
    return [model.complete(p, max_tokens=max_tokens, temperature=0.0) for p in probes]


def fingerprint_test(
    suspect: ChatModel,
    protected: ChatModel,
    *,
    references: Sequence[ChatModel] = (),
    probes: Sequence[str] = PROBES,
    max_tokens: int = 48,
    shuffles: int = 999,
    seed: int = 0,
) -> Finding:
    """Compare the suspect's answers with the protected model's against the chosen null."""
    theirs = answers(protected, probes, max_tokens)
    mine = answers(suspect, probes, max_tokens)
    observed = similarity(mine, theirs)
    if references:
        null = [similarity(answers(r, probes, max_tokens), theirs) for r in references]
        kind = "reference models"
    else:
        rng = np.random.default_rng(seed)
        null = [similarity(mine, [theirs[i] for i in _derangement(rng, len(theirs))]) for _ in range(shuffles)]
        kind = "shuffled probe pairings"
    p_value = (1 + sum(s >= observed for s in null)) / (1 + len(null))
    return Finding(
        test="fingerprint.behaviour",
        status="ran",
        statistic_name="mean trigram Jaccard similarity",
        statistic=observed,
        p_value=float(p_value),
        assumptions=(
            f"Null distribution from {kind} ({len(null)} draws); the suspect is exchangeable with them "
            "when it is unrelated to the protected model.",
            "Greedy decoding makes each model's answers reproducible.",
        ),
        falsified_by=(
            "Adding more unrelated reference models: if several are at least as similar as the suspect, "
            "the similarity is generic rather than inherited."
        ),
        details={"null": kind, "null_mean": float(np.mean(null)), "null_draws": len(null), "probes": len(probes)},
    )


def _derangement(rng: np.random.Generator, n: int) -> list[int]:
    while True:
        order = [int(i) for i in rng.permutation(n)]
        if n < 2 or all(i != j for i, j in enumerate(order)):
            return order
