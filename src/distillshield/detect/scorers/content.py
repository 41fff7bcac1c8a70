"""Scorers over the content detectors' per-account hit counts, as a sequential likelihood-ratio test.

A content detector flags a few requests of any account now and then (its
false-positive rate), and most requests of an extraction account. So the
evidence an account's ``k`` flagged requests out of ``n`` carry is the binomial
log-likelihood ratio of "harvesting" against "benign":

    LLR = k * ln(p1 / p0) + (n - k) * ln((1 - p1) / (1 - p0))

with ``p0`` the detector's benign hit rate and ``p1`` the least hit rate an
extraction account shows. This is Wald's sequential probability ratio test:
it grows with every flagged request and shrinks with every clean one, so a
student's one "explain your reasoning" among fifty questions is no evidence,
while a low-and-slow account's fifty paraphrased asks are overwhelming even
though they are mixed with cover traffic. The weight is ``cap * (1 - exp(-LLR / scale))``.

A community is judged with the same test over its pooled requests, but with
a lower alternative rate (``group_rate_ratio`` times the benign rate): a
pool spreads its asks over many accounts, paraphrases them and mixes in cover
traffic, so its pooled hit rate sits well under one harvesting account's,
while thousands of pooled requests make even a few times the benign rate a
clear excess. A group still needs a second family to be judged a campaign.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from distillshield.detect.scorers.base import AccountScorer, plugin_id
from distillshield.features.frame import AccountFrame
from distillshield.records import Signal


def binomial_llr(
    hits: npt.NDArray[np.float64], n: npt.NDArray[np.float64], p0: float, p1: float
) -> npt.NDArray[np.float64]:
    """Log-likelihood ratio of ``hits`` out of ``n`` under hit rate ``p1`` against ``p0``."""
    misses = np.maximum(n - hits, 0.0)
    result: npt.NDArray[np.float64] = hits * np.log(p1 / p0) + misses * np.log((1 - p1) / (1 - p0))
    return result


def llr_weight(llr: npt.NDArray[np.float64], cap: float, scale: float) -> npt.NDArray[np.float64]:
    """0 for no evidence, approaching ``cap`` as the evidence grows; ``scale`` nats give 63% of the cap."""
    weight: npt.NDArray[np.float64] = cap * (1.0 - np.exp(-np.maximum(llr, 0.0) / scale))
    return weight


class ContentEvidence(AccountScorer):
    """Base: the SPRT over one detector's hits; subclasses name the detector and the rates."""

    #: The content detector whose ``<detector>_hits`` this reads.
    detector: ClassVar[str]
    #: Benign hit rate (the detector's false-positive rate on real benign prompts, rounded up).
    p0: ClassVar[float] = 0.02
    #: Least hit rate of a harvesting account (low-and-slow pools mix in cover traffic).
    p1: ClassVar[float] = 0.25
    #: Largest weight this evidence alone can give, and the LLR (nats) that gives 63% of it.
    cap: ClassVar[float] = 0.97
    scale: ClassVar[float] = 12.0
    judges_groups: ClassVar[bool] = True
    family: ClassVar[str] = "content"
    #: Fewer hits than this are never evidence, however few requests the account made.
    min_hits: ClassVar[int] = 3
    #: A group's alternative hit rate, as a multiple of ``p0`` (never above ``p1``).
    group_rate_ratio: ClassVar[float] = 8.0
    description: ClassVar[str]

    def llr(self, frame: AccountFrame, p1: float | None = None) -> npt.NDArray[np.float64]:
        return binomial_llr(frame[f"{self.detector}_hits"], frame["n_requests"], self.p0, p1 or self.p1)

    def signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        return self._signals(frame, self.p1)

    def group_signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        return self._signals(frame, min(self.p1, self.group_rate_ratio * self.p0))

    def _signals(self, frame: AccountFrame, p1: float) -> Iterator[tuple[int, Signal]]:
        llr = self.llr(frame, p1)
        hits, share = frame[f"{self.detector}_hits"], frame[f"{self.detector}_share"]
        weights = llr_weight(llr, self.cap, self.scale)
        source = plugin_id(type(self))
        for i in np.flatnonzero((llr > 0) & (hits >= self.min_hits)):
            detail = (
                f"{self.description}: {share[i]:.0%} of requests, binomial LLR {llr[i]:.1f} nats vs rate {self.p0:g}"
            )
            yield (
                int(i),
                Signal(source, f"{self.detector}_hits", float(hits[i]), float(weights[i]), False, detail, self.family),
            )


class ReasoningHarvest(ContentEvidence):
    """Many requests ask for hidden, reconstructed or reformatted reasoning (the core of CoT harvesting)."""

    detector: ClassVar[str] = "elicitation"
    reads: ClassVar[tuple[str, ...]] = ("elicitation_hits", "elicitation_share", "n_requests")
    #: The detector flags 0.0-0.4% of held-out real user turns (bench/RESULTS.md, bench-content), rounded up.
    p0: ClassVar[float] = 0.01
    description: ClassVar[str] = "requests asking for hidden or reformatted reasoning"


class JailbreakHarvest(ContentEvidence):
    """Many requests wrapped in in-the-wild jailbreak role-play (extraction behind an override)."""

    detector: ClassVar[str] = "jailbreak"
    reads: ClassVar[tuple[str, ...]] = ("jailbreak_hits", "jailbreak_share", "n_requests")
    #: Role-play is common in ordinary chat ("act as a travel guide"), so the benign rate is high.
    p0: ClassVar[float] = 0.1
    p1: ClassVar[float] = 0.5
    cap: ClassVar[float] = 0.7
    description: ClassVar[str] = "requests wrapped in jailbreak role-play"


class GraderHarvest(ContentEvidence):
    """Many rubric, pairwise-judge or reward-model prompts: harvesting the model's judgements."""

    detector: ClassVar[str] = "grading"
    reads: ClassVar[tuple[str, ...]] = ("grading_hits", "grading_share", "n_requests")
    cap: ClassVar[float] = 0.8
    p0: ClassVar[float] = 0.03
    description: ClassVar[str] = "rubric or reward-model grading prompts"


class ToolHarvest(ContentEvidence):
    """Agentic scaffolds that narrate plans around tool calls, with tool calls in the responses."""

    detector: ClassVar[str] = "agentic"
    reads: ClassVar[tuple[str, ...]] = ("agentic_hits", "agentic_share", "n_requests", "tool_call_share")
    cap: ClassVar[float] = 0.9
    description: ClassVar[str] = "plan-narrating tool scaffolds"

    def llr(self, frame: AccountFrame, p1: float | None = None) -> npt.NDArray[np.float64]:
        # A scaffold without tool calls in the answers is a prompt style, not a trace harvest.
        return np.where(frame["tool_call_share"] >= 0.3, super().llr(frame, p1), 0.0)


class InstructionHarvest(ContentEvidence):
    """Many asks to invent, rewrite or diversify instructions or training examples (building a prompt set).

    Self-instruct, Evol-Instruct and Magpie-style pipelines send these by the thousand before any answer is
    harvested; a person asks for "ten ideas" now and then, which the SPRT's benign rate absorbs.
    """

    detector: ClassVar[str] = "generation"
    reads: ClassVar[tuple[str, ...]] = ("generation_hits", "generation_share", "n_requests")
    cap: ClassVar[float] = 0.8
    description: ClassVar[str] = "requests asking to invent or mutate instructions or training examples"
