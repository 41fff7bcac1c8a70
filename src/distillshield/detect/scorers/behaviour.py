"""Per-account behaviour and content scorers.

Each scorer maps one family of published signals (see the detection reference:
Anthropic's February 2026 post, CISA advisory AA26-251A) to a weighted signal.
Weights are deliberately modest for signals benign workloads also show (24/7
app backends, high-volume batch jobs) and larger for signals that only
extraction shows (asking for hidden reasoning at volume).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from distillshield.detect.scorers.base import AccountScorer
from distillshield.features.frame import AccountFrame
from distillshield.records import Signal


class HighVolume(AccountScorer):
    """Sustained volume and long outputs per request, the economics of harvesting."""

    family: ClassVar[str] = "volume"
    reads: ClassVar[tuple[str, ...]] = ("requests_per_active_day", "mean_completion_tokens")

    def signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        rate = frame["requests_per_active_day"]
        yield from self._emit(
            frame,
            rate >= 300,
            np.full(len(frame), 0.25),
            "requests_per_active_day",
            "requests_per_active_day",
            "sustained daily volume",
        )
        tokens = frame["mean_completion_tokens"] + 0.0
        yield from self._emit(
            frame,
            tokens >= 1500,
            np.full(len(frame), 0.15),
            "mean_completion_tokens",
            "mean_completion_tokens",
            "long outputs per request",
        )


#: Requests an account needs before a flat spread over the hours can be told from chance.
ROUND_THE_CLOCK_MIN_REQUESTS = 100
#: Normalised entropy of UTC hours at or above which a day has no diurnal rhythm (1 = perfectly flat).
ROUND_THE_CLOCK_MIN_ENTROPY = 0.97


def round_the_clock(frame: AccountFrame) -> npt.NDArray[np.bool_]:
    """Per account: activity spread evenly over all 24 hours, with enough requests to tell."""
    mask: npt.NDArray[np.bool_] = (frame["n_requests"] >= ROUND_THE_CLOCK_MIN_REQUESTS) & (
        frame["hour_entropy"] >= ROUND_THE_CLOCK_MIN_ENTROPY
    )
    return mask


class RoundTheClock(AccountScorer):
    """Activity spread evenly over all 24 hours: no diurnal rhythm (needs enough requests to tell)."""

    family: ClassVar[str] = "volume"
    reads: ClassVar[tuple[str, ...]] = ("hour_entropy", "n_requests")

    def signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        yield from self._emit(
            frame,
            round_the_clock(frame),
            np.full(len(frame), 0.15),
            "hour_entropy",
            "hour_entropy",
            "normalised entropy of UTC hours; 1 = flat 24/7",
        )


class FreshAccountAtFullSpeed(AccountScorer):
    """A new account that goes straight to heavy use (CISA AA26-251A)."""

    family: ClassVar[str] = "infrastructure"
    reads: ClassVar[tuple[str, ...]] = ("age_at_first_request_hours", "requests_per_active_day")

    def signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        age = np.nan_to_num(frame["age_at_first_request_hours"], nan=1e9)
        mask = (age <= 24) & (frame["requests_per_active_day"] >= 100)
        yield from self._emit(
            frame,
            mask,
            np.full(len(frame), 0.3),
            "age_at_first_request_hours",
            "age_at_first_request_hours",
            "hours from account creation to first request, with heavy daily use",
        )


class IpRotation(AccountScorer):
    """Requests spread over many networks: a rotating proxy pool."""

    family: ClassVar[str] = "infrastructure"
    reads: ClassVar[tuple[str, ...]] = ("n_networks", "n_requests")

    def signals(self, frame: AccountFrame) -> Iterator[tuple[int, Signal]]:
        networks = frame["n_networks"]
        mask = (networks >= 10) & (networks / np.maximum(frame["n_requests"], 1) >= 0.2)
        yield from self._emit(
            frame,
            mask,
            np.full(len(frame), 0.35),
            "distinct_networks",
            "n_networks",
            "distinct /24 (IPv4) or /48 (IPv6) networks used",
        )
