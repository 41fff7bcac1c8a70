"""The contract every content detector keeps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from distillshield.features.content.turns import Turn


class ContentDetector(ABC):
    """Scores requests in [0, 1]; 0.5 and above counts as a hit.

    A request is scored by its client-written turns (:mod:`features.content.turns`): its score is the
    largest of its turns' scores, so a request counts once however many of its turns carry an ask.
    """

    #: Column name of this detector's per-account aggregates (``<name>_share``, ``<name>_max``).
    name: ClassVar[str]
    #: Score at or above which one request counts as a hit.
    threshold: ClassVar[float] = 0.5

    @abstractmethod
    def score_texts(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float64]:
        """One score in [0, 1] per (system text, last user text) pair, in input order."""

    def score_requests(self, requests: Sequence[Sequence[Turn]]) -> npt.NDArray[np.float64]:
        """One score per request: the largest of its turns' scores (0 for a request with no turns).

        This default scores each turn alone through :meth:`score_texts` (a system turn as a pair with
        an empty user text, any other turn as the user text); detectors that score turns natively
        override it.
        """
        flat = [(t.text, "") if t.role == "system" else ("", t.text) for turns in requests for t in turns]
        scores = self.score_texts([s for s, _ in flat], [u for _, u in flat]) if flat else np.zeros(0)
        return _max_per_request(scores, [len(turns) for turns in requests])


def _max_per_request(scores: npt.NDArray[np.float64], counts: Sequence[int]) -> npt.NDArray[np.float64]:
    out = np.zeros(len(counts), dtype=np.float64)
    n = np.asarray(counts, dtype=np.intp)
    if len(scores):
        starts = np.concatenate(([0], np.cumsum(n)[:-1]))
        has = n > 0
        out[has] = np.maximum.reduceat(np.asarray(scores, dtype=np.float64), starts[has])
    return out
