"""The contract every content detector keeps."""

from __future__ import annotations

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
