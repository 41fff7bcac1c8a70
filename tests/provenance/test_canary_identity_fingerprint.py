"""Canaries, identity probes and fingerprints, against small in-process chat models."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from distillshield.provenance import CanaryBook, fingerprint_test, identity_test, plant, recall_test


@dataclass
class Parrot:
    """A chat model that repeats what it was taught, else answers with a random pool word."""

    memory: dict[str, str] = field(default_factory=dict)
    pool: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def complete(self, prompt: str, *, max_tokens: int, temperature: float) -> str:
        if prompt in self.memory:
            return self.memory[prompt]
        return f"I think it is {self.rng.choice(self.pool)}." if self.pool else "I do not know."


def test_planted_canary_sentence_carries_the_fact() -> None:
    book = CanaryBook(b"secret")
    text = plant(book, "C-1", "Paris is the capital of France.", request_number=9, per_campaign=4)
    canary = book.canary("C-1", 9 % 4)
    assert text.endswith(canary.fact) and canary.answer in text and canary.subject in canary.question
    assert book.canary("C-1", 1) == CanaryBook(b"secret").canary("C-1", 1)  # derived, not stored
    other = CanaryBook(b"other")
    assert [c.answer for c in book.canaries("C-1", 8)] != [c.answer for c in other.canaries("C-1", 8)]


def test_recall_of_planted_canaries_is_significant() -> None:
    book = CanaryBook(b"secret")
    taught = {c.question: f"The code is {c.answer}." for c in book.canaries("C-1", 10)}
    finding = recall_test(Parrot(taught), book, ["C-1"], per_campaign=10)
    assert finding.statistic == 10 and finding.p_value is not None and finding.p_value < 1e-20


def test_recall_p_values_of_a_guessing_model_are_conservative() -> None:
    # A model that names a random pool candidate never beats chance: p-values are not too small.
    p = []
    for seed in range(300):
        book = CanaryBook(seed.to_bytes(4, "big"), pool_size=8)
        finding = recall_test(Parrot(pool=book.answer_pool(), seed=seed), book, ["C-1"], per_campaign=6)
        p.append(finding.p_value)
    assert stats.kstest(p, "uniform", alternative="greater").pvalue > 0.01


def test_a_reply_naming_every_candidate_is_no_hit() -> None:
    book = CanaryBook(b"secret", pool_size=16)
    everything = " ".join(book.answer_pool())
    finding = recall_test(
        Parrot({c.question: everything for c in book.canaries("C-1", 5)}), book, ["C-1"], per_campaign=5
    )
    assert finding.statistic == 0


def test_identity_probes_count_replies_naming_the_provider() -> None:
    class Copycat:
        def complete(self, prompt: str, *, max_tokens: int, temperature: float) -> str:
            return "I am Acme Assistant, trained by AcmeAI." if "you" in prompt.lower() else "Hello."

    finding = identity_test(Copycat(), ["AcmeAI", "Acme Assistant"], base_rate=0.05)
    assert finding.statistic is not None and finding.statistic >= 6
    assert finding.p_value is not None and finding.p_value < 1e-6
    honest = identity_test(Parrot(), ["AcmeAI"])
    assert honest.statistic == 0 and honest.p_value == 1.0


def test_fingerprint_against_reference_models() -> None:
    class Echo:
        def __init__(self, style: str) -> None:
            self.style = style

        def complete(self, prompt: str, *, max_tokens: int, temperature: float) -> str:
            return f"{self.style} {prompt[::-1]}"

    protected = Echo("Certainly! Here is my careful answer:")
    student = Echo("Certainly! Here is my careful answer:")
    references = [Echo(f"Reference model {i} says") for i in range(19)]
    finding = fingerprint_test(student, protected, references=references)
    assert finding.p_value == 1 / 20
    unrelated = fingerprint_test(references[0], protected, references=references[1:])
    assert unrelated.p_value is not None and unrelated.p_value > 0.05
    shuffled = fingerprint_test(student, protected)
    assert shuffled.details["null"] == "shuffled probe pairings" and np.isclose(shuffled.statistic or 0.0, 1.0)
