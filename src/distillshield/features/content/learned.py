"""Content detectors backed by the shipped calibrated text model (the default install's model).

Each detector is one :class:`~distillshield.features.content.model.LinearTextModel`
of ``data/models/content.npz``, trained on public prompt sets (see
``features.content.training``). Scores are calibrated probabilities in [0, 1].

All shipped models score together: :func:`shipped_scores` featurises a batch once
and takes one sparse product for every detector, and each detector's
``score_texts`` reads its column from the last batch scored, so calling the
detectors one after another on the same batch costs one pass.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from distillshield.features.content.base import ContentDetector
from distillshield.features.content.model import LinearTextModel, ModelStack, load_models
from distillshield.features.content.turns import Turn, pair_turns, turn_text


def shipped_model_path() -> Path:
    return Path(str(files("distillshield.data") / "models" / "content.npz"))


@cache
def shipped_models() -> dict[str, LinearTextModel]:
    return load_models(shipped_model_path())


@cache
def shipped_stack() -> ModelStack:
    return ModelStack(list(shipped_models().values()))


def shipped_scores(system: Sequence[str], user: Sequence[str]) -> dict[str, npt.NDArray[np.float64]]:
    """Every shipped detector's scores for each (system, user) pair, by detector name, in one pass."""
    return shipped_request_scores([pair_turns(s, u) for s, u in zip(system, user, strict=True)])


def shipped_request_scores(requests: Sequence[Sequence[Turn]]) -> dict[str, npt.NDArray[np.float64]]:
    """Every shipped detector's score for each request (max over its turns), by detector name, in one pass."""
    scores = _CACHE.scores(requests)
    return {name: np.ascontiguousarray(scores[:, j]) for j, name in enumerate(shipped_stack().names)}


def score_turn_requests(stack: ModelStack, requests: Sequence[Sequence[Turn]]) -> npt.NDArray[np.float64]:
    """(n_requests, n_models): each request's largest turn score, every distinct turn text scored once."""
    index: dict[str, int] = {}
    rows: list[int] = []
    owner: list[int] = []
    for r, turns in enumerate(requests):
        for t in turns:
            rows.append(index.setdefault(turn_text(t.role, t.text), len(index)))
            owner.append(r)
    out = np.zeros((len(requests), len(stack.names)), dtype=np.float64)
    if index:
        per_turn = stack.score_texts(list(index))[np.asarray(rows, dtype=np.intp)]
        # Turns come request by request, so each request's turns are one run: a reduceat takes each run's max.
        owners = np.asarray(owner, dtype=np.intp)
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        out[owners[starts]] = np.maximum.reduceat(per_turn, starts, axis=0)
    return out


class _ScoreCache:
    """Remembers the last batch's scores, so the detectors scoring it one after another share one pass."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[tuple[Turn, ...], ...] | None = None
        self._scores = np.zeros((0, 0), dtype=np.float64)

    def scores(self, requests: Sequence[Sequence[Turn]]) -> npt.NDArray[np.float64]:
        key = tuple(tuple(turns) for turns in requests)
        with self._lock:
            if self._key != key:
                self._scores = score_turn_requests(shipped_stack(), key)
                self._key = key
            return self._scores


_CACHE = _ScoreCache()


class LearnedDetector(ContentDetector):
    """Scores with the shipped model named like the detector, turn by turn (max over a request's turns)."""

    def score_texts(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float64]:
        if not len(user):
            return np.zeros(0, dtype=np.float64)
        return shipped_scores(system, user)[self.name]

    def score_requests(self, requests: Sequence[Sequence[Turn]]) -> npt.NDArray[np.float64]:
        if not len(requests):
            return np.zeros(0, dtype=np.float64)
        return shipped_request_scores(requests)[self.name]


class ReasoningElicitation(LearnedDetector):
    """Prompts that ask the model to expose, reconstruct, reformat or mass-produce its reasoning."""

    name: ClassVar[str] = "elicitation"


class JailbreakWrapper(LearnedDetector):
    """Role-play and instruction-override wrappers of the kind collected from in-the-wild jailbreaks."""

    name: ClassVar[str] = "jailbreak"


class GradingPrompt(LearnedDetector):
    """Rubric, pairwise-judge and reward-model prompts: harvesting the model as a grader."""

    name: ClassVar[str] = "grading"


class AgenticScaffold(LearnedDetector):
    """System prompts that make the model narrate plans and reasoning around tool calls."""

    name: ClassVar[str] = "agentic"


class GenerationPrompt(LearnedDetector):
    """Instruction synthesis: asks to invent, rewrite, mutate or diversify instructions or training examples."""

    name: ClassVar[str] = "generation"
