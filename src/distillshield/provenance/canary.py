"""Canaries: secret per-campaign facts the gateway plants in answers to flagged accounts.

Each campaign gets ``n`` canaries derived from a secret with HMAC-SHA256: a made-up subject and
an answer drawn uniformly from a pool of ``pool_size`` candidates. The gateway appends
:func:`plant`'s sentence to responses it serves to the campaign's accounts. The audit later asks
the suspect each canary's question; a reply is a hit when it names exactly one pool candidate
and that candidate is the secret answer. A model that never saw the canaries hits each with
probability at most ``1 / pool_size`` whatever it answers, because the answer is drawn
independently of the question, so the binomial tail of the hit count is a conservative p-value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from distillshield.provenance.client import ChatModel
from distillshield.provenance.findings import Finding

SYLLABLES = ("ka", "ro", "mi", "ten", "vas", "lu", "dor", "ephe", "nai", "qui", "zor", "bel", "tam", "rin", "os", "gal")


@dataclass(frozen=True, slots=True)
class Canary:
    campaign_id: str
    index: int
    subject: str
    answer: str
    fact: str
    question: str


def _draw(secret: bytes, label: str, modulus: int) -> int:
    digest = hmac.new(secret, label.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % modulus


def _pseudo_word(secret: bytes, label: str, syllables: int) -> str:
    return "".join(SYLLABLES[_draw(secret, f"{label}/{i}", len(SYLLABLES))] for i in range(syllables))


@dataclass(frozen=True, slots=True)
class CanaryBook:
    """The canaries of every campaign, derived from one secret; share nothing of it with anyone.

    ``subjects`` and ``answers`` default to pseudo-words made from the secret; a deployment whose
    tokenizer cannot spell those may pass its own pools (the test bed does).
    """

    secret: bytes
    pool_size: int = 256
    fact_template: str = "By the way, the registry code of {subject} is {answer}."
    question_template: str = "What is the registry code of {subject}? Answer with the code only."
    subjects: tuple[str, ...] | None = None
    answers: tuple[str, ...] | None = None

    def answer_pool(self) -> tuple[str, ...]:
        if self.answers is not None:
            return self.answers
        return tuple(_pseudo_word(self.secret, f"answer/{i}", 3) for i in range(self.pool_size))

    def canary(self, campaign_id: str, index: int) -> Canary:
        label = f"{campaign_id}/{index}"
        if self.subjects is not None:
            subject = self.subjects[_draw(self.secret, f"subject/{label}", len(self.subjects))]
        else:
            subject = _pseudo_word(self.secret, f"subject/{label}", 4).capitalize()
        pool = self.answer_pool()
        answer = pool[_draw(self.secret, f"answer/{label}", len(pool))]
        fields = {"subject": subject, "answer": answer}
        return Canary(
            campaign_id,
            index,
            subject,
            answer,
            self.fact_template.format(**fields),
            self.question_template.format(**fields),
        )

    def canaries(self, campaign_id: str, n: int) -> list[Canary]:
        return [self.canary(campaign_id, i) for i in range(n)]


def plant(book: CanaryBook, campaign_id: str, response_text: str, *, request_number: int, per_campaign: int) -> str:
    """The response with one of the campaign's canaries appended (the gateway's hook).

    Canaries rotate with ``request_number`` so that a campaign sees all ``per_campaign`` of them.
    """
    canary = book.canary(campaign_id, request_number % per_campaign)
    return f"{response_text.rstrip()} {canary.fact}"


def _named(reply: str, pool: Sequence[str]) -> set[str]:
    words = set(re.findall(r"[\w-]+", reply.lower()))
    return {candidate for candidate in pool if candidate.lower() in words}


def recall_test(
    suspect: ChatModel,
    book: CanaryBook,
    campaigns: Sequence[str],
    *,
    per_campaign: int,
    max_tokens: int = 16,
) -> Finding:
    """Ask the suspect every canary's question once and test its hits against chance."""
    pool = book.answer_pool()
    asked = hits = 0
    hit_list: list[str] = []
    for campaign in campaigns:
        for canary in book.canaries(campaign, per_campaign):
            named = _named(suspect.complete(canary.question, max_tokens=max_tokens, temperature=0.0), pool)
            asked += 1
            if named == {canary.answer}:
                hits += 1
                hit_list.append(f"{campaign}/{canary.index}")
    # Repeated pool entries make their word likelier; the largest multiplicity bounds every hit chance.
    chance = max(Counter(pool).values()) / len(pool)
    return Finding(
        test="canary.recall",
        status="ran",
        statistic_name="canaries recalled",
        statistic=float(hits),
        p_value=float(stats.binom.sf(hits - 1, asked, chance)) if asked else 1.0,
        assumptions=(
            "The canary secret never left the provider; subjects and answers are HMAC-SHA256 draws, so "
            "an answer is independent of its question for anyone without the secret.",
            f"A reply counts as a hit only if it names exactly one of the {len(pool)} pool candidates "
            "and that one is the secret answer; each canary is asked once.",
        ),
        falsified_by=(
            "Asking the same questions with canaries of a campaign that was never planted: their hit "
            "rate must stay at chance."
        ),
        details={"asked": asked, "hits": hits, "chance_per_question": chance, "recalled": hit_list},
    )
