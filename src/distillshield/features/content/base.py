"""The contract every content detector keeps."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt


class ContentDetector(ABC):
    """Scores each (system prompt, user prompt) pair in [0, 1]; 0.5 and above counts as a hit."""

    #: Column name of this detector's per-account aggregates (``<name>_share``, ``<name>_max``).
    name: ClassVar[str]
    #: Score at or above which one request counts as a hit.
    threshold: ClassVar[float] = 0.5

    @abstractmethod
    def score_texts(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float64]:
        """One score in [0, 1] per pair, in input order."""


class WeightedPhrases(ContentDetector):
    """A transparent lexical model: weighted patterns combined by noisy-OR.

    ``score = 1 - prod(1 - w)`` over the patterns found in the text, so one
    strong phrase or several weak ones raise the score; it is 0 when nothing
    matches. Patterns are matched case-insensitively over system + user text.
    """

    patterns: ClassVar[tuple[tuple[str, float], ...]]

    def __init__(self) -> None:
        self._compiled = [(re.compile(p, re.IGNORECASE | re.DOTALL), w) for p, w in self.patterns]
        # One alternation first: most texts match nothing, so they cost one scan.
        self._any = re.compile("|".join(f"(?:{p})" for p, _ in self.patterns), re.IGNORECASE | re.DOTALL)

    def score_texts(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float64]:
        scores = np.zeros(len(user), dtype=np.float64)
        for i, (sys_text, user_text) in enumerate(zip(system, user, strict=True)):
            text = f"{sys_text}\n{user_text}" if sys_text else user_text
            if self._any.search(text):
                scores[i] = self._score_one(text)
        return scores

    def _score_one(self, text: str) -> float:
        keep = 1.0
        for pattern, weight in self._compiled:
            if pattern.search(text):
                keep *= 1.0 - weight
        return 1.0 - keep
