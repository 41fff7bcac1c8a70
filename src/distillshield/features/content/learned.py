"""Content detectors backed by the shipped calibrated text model (the default install's model).

Each detector is one :class:`~distillshield.features.content.model.LinearTextModel`
of ``data/models/content.npz``, trained on public prompt sets (see
``features.content.training``). Scores are calibrated probabilities in [0, 1].
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
import scipy.sparse as sp

from distillshield.features.content.base import ContentDetector
from distillshield.features.content.model import LinearTextModel, featurize, load_models, prompt_text


def shipped_model_path() -> Path:
    return Path(str(files("distillshield.data") / "models" / "content.npz"))


@cache
def shipped_models() -> dict[str, LinearTextModel]:
    return load_models(shipped_model_path())


class _FeatureCache:
    """The detectors score the same batch one after another; featurise it once, not once per detector."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self._features: sp.csr_matrix | None = None

    def features(self, system: Sequence[str], user: Sequence[str]) -> sp.csr_matrix:
        key = (tuple(system), tuple(user))
        with self._lock:
            if self._key != key or self._features is None:
                self._features = featurize([prompt_text(s, u) for s, u in zip(system, user, strict=True)])
                self._key = key
            return self._features


_CACHE = _FeatureCache()


class LearnedDetector(ContentDetector):
    """Scores with the shipped model named like the detector."""

    def score_texts(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float64]:
        if not len(user):
            return np.zeros(0, dtype=np.float64)
        return shipped_models()[self.name].probabilities(_CACHE.features(system, user))


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
