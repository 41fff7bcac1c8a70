"""SynthID-Text (Dathathri et al., Nature 2024) through transformers, with an exact p-value.

Embedding is transformers' own ``SynthIDTextWatermarkLogitsProcessor`` (tournament sampling over
``len(keys)`` layers), so text watermarked with a ``SynthIDTextWatermarkingConfig`` is detectable
here with the same keys. transformers' detector is a trained Bayesian model that returns a
posterior, not a p-value; this class adds one. Each (n-gram, layer) pair maps through a keyed
hash to one bit of a fixed random sampling table, so under the null hypothesis (text independent
of the keys) the g-values of distinct n-grams are independent Bernoulli(q) draws, where ``q`` is
the table's share of ones, and their sum is Binomial(n * depth, q).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from distillshield.respond.watermark.base import DEFAULT_MIN_TOKENS, Detection, ScoringTape, detect, require_torch


class SynthID:
    """SynthID-Text keyed by ``keys`` (one per tournament layer) over ``ngram_len``-grams.

    >>> scheme = SynthID(vocab_size=50, keys=[11, 12, 13], ngram_len=3)
    >>> scheme.detect([4, 5, 6, 7, 8]).tokens_scored
    3
    """

    name: ClassVar[str] = "synthid"

    def __init__(
        self,
        *,
        vocab_size: int,
        keys: Sequence[int],
        ngram_len: int = 5,
        sampling_table_size: int = 2**16,
        sampling_table_seed: int = 0,
        context_history_size: int = 1024,
        key_id: str = "default",
        min_tokens: int = DEFAULT_MIN_TOKENS,
    ) -> None:
        if ngram_len < 2:
            raise ValueError(f"ngram_len must be at least 2, not {ngram_len}")
        if not keys:
            raise ValueError("keys must name at least one key (one per tournament layer)")
        self.vocab_size = vocab_size
        self.keys = [int(k) for k in keys]
        self.ngram_len = ngram_len
        self.sampling_table_size = sampling_table_size
        self.sampling_table_seed = sampling_table_seed
        self.context_history_size = context_history_size
        self.context_needed = ngram_len - 1
        self.key_id = key_id
        self.min_tokens = min_tokens
        self._scorer: Any = None

    def params(self) -> dict[str, Any]:
        """The parameters transformers' ``SynthIDTextWatermarkingConfig`` takes."""
        return {
            "keys": self.keys,
            "ngram_len": self.ngram_len,
            "sampling_table_size": self.sampling_table_size,
            "sampling_table_seed": self.sampling_table_seed,
            "context_history_size": self.context_history_size,
        }

    def watermarking_config(self) -> Any:
        """A ``transformers.SynthIDTextWatermarkingConfig`` for ``generate(watermarking_config=...)``."""
        require_torch()
        from transformers import SynthIDTextWatermarkingConfig

        return SynthIDTextWatermarkingConfig(**self.params())

    def logits_processor(self) -> Any:
        """A fresh transformers ``SynthIDTextWatermarkLogitsProcessor`` (it keeps per-generation state)."""
        torch = require_torch()
        from transformers import SynthIDTextWatermarkLogitsProcessor

        return SynthIDTextWatermarkLogitsProcessor(**self.params(), device=torch.device("cpu"))

    def embed(self, input_ids: Any, scores: Any) -> Any:
        """Tournament-sample a batch of next-token scores; the returned scores are the processor's."""
        return self.logits_processor()(input_ids, scores)

    def _processor(self) -> Any:
        if self._scorer is None:
            self._scorer = self.logits_processor()
            self._null_rate = float(self._scorer.sampling_table.float().mean())
        return self._scorer

    def window(self, context: Sequence[int], token: int) -> tuple[int, ...]:
        return (*(int(t) for t in context[len(context) - self.context_needed :]), int(token))

    def score_window(self, window: tuple[int, ...]) -> float:
        return self.score_windows([window])

    def score_windows(self, found: Sequence[tuple[int, ...]]) -> float:
        if not found:
            return 0.0
        torch = require_torch()
        processor = self._processor()
        keys = processor.compute_ngram_keys(torch.tensor([list(found)], dtype=torch.long))
        return float(processor.sample_g_values(keys).sum())

    def window_signature(self) -> tuple[object, ...]:
        return (self.name, self.ngram_len)

    def p_value(self, score: float, n: int) -> float:
        if n == 0:
            return 1.0
        self._processor()
        return float(stats.binom.sf(round(score) - 1, n * len(self.keys), self._null_rate))

    def z_score(self, score: float, n: int) -> float | None:
        if n == 0:
            return None
        self._processor()
        trials, q = n * len(self.keys), self._null_rate
        return float((score - q * trials) / np.sqrt(trials * q * (1 - q)))

    def detect(self, token_ids: Sequence[int], *, tape: ScoringTape | None = None, dedup: bool = True) -> Detection:
        """Score generated token ids (prompt removed); see :func:`detect`."""
        return detect(self, token_ids, tape=tape, dedup=dedup)
