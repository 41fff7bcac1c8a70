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
from distillshield.features.content.model import LinearTextModel, ModelStack, load_models, prompt_text


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
    scores = _CACHE.scores(system, user)
    return {name: np.ascontiguousarray(scores[:, j]) for j, name in enumerate(shipped_stack().names)}


class _ScoreCache:
    """Remembers the last batch's scores, so the detectors scoring it one after another share one pass."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self._scores = np.zeros((0, 0), dtype=np.float64)

    def scores(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float64]:
        key = (tuple(system), tuple(user))
        with self._lock:
            if self._key != key:
                texts = [prompt_text(s, u) for s, u in zip(system, user, strict=True)]
                self._scores = shipped_stack().score_texts(texts)
                self._key = key
            return self._scores


_CACHE = _ScoreCache()


class LearnedDetector(ContentDetector):
    """Scores with the shipped model named like the detector."""

    def score_texts(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float64]:
        if not len(user):
            return np.zeros(0, dtype=np.float64)
        return shipped_scores(system, user)[self.name]


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
