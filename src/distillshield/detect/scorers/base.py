"""The contract every account scorer keeps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from distillshield.features.frame import AccountFrame
from distillshield.records import Signal


def plugin_id(cls: type) -> str:
    """``stage.module.Class``: the import path inside the package, as the registry names plugins."""
    return f"{cls.__module__.removeprefix('distillshield.')}.{cls.__qualname__}"


class AccountScorer(ABC):
    """Emits ``(row index, Signal)`` for every account whose features fire this scorer.

    Weights are in [0, 1] and mean "how much this alone should raise the risk";
    the engine combines an account's weights by noisy-OR.
    """

    #: Feature columns the scorer reads; the conformance test checks they exist.
    reads: ClassVar[tuple[str, ...]]
    #: Whether the scorer also judges a whole community, on a one-row frame of the members' summed counts
    #: (:func:`group_frame`); only scorers whose columns add up across accounts say yes.
    judges_groups: ClassVar[bool] = False
    #: Evidence family of every signal this scorer emits (:data:`distillshield.records.FAMILIES`).
    family: ClassVar[str]

    @abstractmethod
    def signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        """Signals for the accounts this scorer fires on."""

    def group_signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        """Signals on a community's one-row frame (:func:`group_frame`); the same test as for an account
        unless a scorer knows that a group hides what it does differently."""
        return self.signals(frame)

    def _emit(
        self,
        frame: AccountFrame,
        mask: np.ndarray,
        weights: np.ndarray,
        name: str,
        value_column: str,
        detail: str,
    ) -> Iterator[tuple[int, Signal]]:
        """One signal per True row of ``mask``, valued by ``value_column``."""
        source = plugin_id(type(self))
        values = frame[value_column]
        for i in np.flatnonzero(mask):
            weight = float(np.clip(weights[i], 0.0, 1.0))
            yield int(i), Signal(source, name, float(values[i]), weight, True, detail, self.family)
