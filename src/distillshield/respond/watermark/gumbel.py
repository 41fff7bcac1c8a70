"""Aaronson's distortion-free watermark (Gumbel / exponential-minimum sampling).

Each next token is the argmax of ``r_v ** (1 / p_v)`` where ``r`` is a keyed pseudo-random vector
seeded by the preceding ``context_width`` tokens. Averaged over keys the output distribution is
exactly the model's (no quality loss), yet the chosen tokens have unusually large ``r``. Detection
sums ``-log(1 - r_t)`` over distinct windows, which is Gamma(n, 1) under the null hypothesis, so
the p-value ``gammaincc(n, score)`` is exact.

transformers ships no Gumbel processor, so the pseudo-random function and the sampling rule are
written here (a few lines each).
The pseudo-random vector comes from numpy's SeedSequence and PCG64, whose streams numpy keeps
stable across releases.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from scipy import special

from distillshield.respond.watermark.base import DEFAULT_MIN_TOKENS, Detection, ScoringTape, detect


class GumbelSampling:
    """Distortion-free exp-min sampling keyed by ``key`` over ``context_width`` previous tokens.

    >>> scheme = GumbelSampling(vocab_size=50, key=11, key_id="g1")
    >>> probs = np.full(50, 1 / 50)
    >>> scheme.choose([1, 2], probs) == scheme.choose([1, 2], probs)
    True
    """

    name: ClassVar[str] = "gumbel"

    def __init__(
        self,
        *,
        vocab_size: int,
        key: int,
        context_width: int = 2,
        temperature: float = 1.0,
        key_id: str = "default",
        min_tokens: int = DEFAULT_MIN_TOKENS,
    ) -> None:
        if context_width < 1:
            raise ValueError(f"context_width must be at least 1, not {context_width}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, not {temperature}")
        self.vocab_size = vocab_size
        self.key = key
        self.context_width = context_width
        self.context_needed = context_width
        self.temperature = temperature
        self.key_id = key_id
        self.min_tokens = min_tokens
        self._uniforms = lru_cache(maxsize=4096)(self._uniforms_uncached)

    def params(self) -> dict[str, Any]:
        return {"key": self.key, "context_width": self.context_width, "temperature": self.temperature}

    def _uniforms_uncached(self, context: tuple[int, ...]) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.random.default_rng([self.key, *context]).random(self.vocab_size)

    def uniforms(self, context: Sequence[int]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The keyed vector ``r`` after ``context`` (its last ``context_width`` tokens)."""
        return self._uniforms(tuple(int(t) for t in context[-self.context_width :]))

    def choose(self, context: Sequence[int], probs: np.ndarray[Any, np.dtype[np.float64]]) -> int:
        """The token exp-min sampling picks: argmax of log(r) / p, i.e. of r ** (1/p)."""
        r = self.uniforms(context)
        with np.errstate(divide="ignore"):
            keys = np.where(probs > 0, np.log(r) / probs, -np.inf)
        return int(np.argmax(keys))

    def logits_processor(self) -> Any:
        """A transformers ``LogitsProcessor`` that forces the exp-min token (see ``processors``)."""
        from distillshield.respond.watermark.processors import GumbelLogitsProcessor

        return GumbelLogitsProcessor(self)

    def embed(self, input_ids: Any, scores: Any) -> Any:
        """Replace a batch of next-token scores by a one-hot choice (``[batch, vocab]`` tensors)."""
        return self.logits_processor()(input_ids, scores)

    def window(self, context: Sequence[int], token: int) -> tuple[int, ...]:
        return (*(int(t) for t in context[-self.context_width :]), int(token))

    def score_window(self, window: tuple[int, ...]) -> float:
        r = float(self._uniforms(window[:-1])[window[-1]])
        return float(-np.log1p(-r))

    def score_windows(self, found: Sequence[tuple[int, ...]]) -> float:
        return float(sum(self.score_window(w) for w in found))

    def window_signature(self) -> tuple[object, ...]:
        return (self.name, self.context_width)

    def p_value(self, score: float, n: int) -> float:
        return 1.0 if n == 0 else float(special.gammaincc(n, score))

    def z_score(self, score: float, n: int) -> float | None:
        # Gamma(n, 1) has mean and variance n.
        return None if n == 0 else float((score - n) / np.sqrt(n))

    def detect(self, token_ids: Sequence[int], *, tape: ScoringTape | None = None, dedup: bool = True) -> Detection:
        """Score generated token ids (prompt removed); see :func:`detect`."""
        return detect(self, token_ids, tape=tape, dedup=dedup)
