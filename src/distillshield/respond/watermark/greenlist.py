"""The green-list watermark of Kirchenbauer et al. (2023), keyed exactly as transformers keys it.

Embedding is transformers' own ``WatermarkLogitsProcessor`` (or ``generate(watermarking_config=...)``),
so a provider that already watermarks with transformers is detectable here with the same
``hashing_key``, ``greenlist_ratio``, ``seeding_scheme`` and ``context_width``. What this class adds
is detection that holds up as evidence: an exact binomial p-value instead of the normal tail,
deduplication across a whole corpus, prompt exclusion and a minimum length.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from distillshield.respond.watermark.base import DEFAULT_MIN_TOKENS, Detection, ScoringTape, detect, require_torch

SEEDING_SCHEMES = ("lefthash", "selfhash")


class GreenList:
    """Green-list (KGW) watermark: a keyed bias ``bias`` on a fraction ``greenlist_ratio`` of the vocabulary.

    >>> scheme = GreenList(vocab_size=50, hashing_key=7, key_id="k1")
    >>> scheme.detect([3, 4, 5, 6]).tokens_scored
    3
    """

    name: ClassVar[str] = "greenlist"

    def __init__(
        self,
        *,
        vocab_size: int,
        hashing_key: int = 15485863,
        greenlist_ratio: float = 0.25,
        bias: float = 2.0,
        seeding_scheme: str = "lefthash",
        context_width: int = 1,
        key_id: str = "default",
        min_tokens: int = DEFAULT_MIN_TOKENS,
    ) -> None:
        if seeding_scheme not in SEEDING_SCHEMES:
            raise ValueError(f"seeding_scheme must be one of {SEEDING_SCHEMES}, not {seeding_scheme!r}")
        if not 0.0 < greenlist_ratio < 1.0:
            raise ValueError(f"greenlist_ratio must lie strictly between 0 and 1, not {greenlist_ratio}")
        if context_width < 1:
            raise ValueError(f"context_width must be at least 1, not {context_width}")
        self.vocab_size = vocab_size
        self.hashing_key = hashing_key
        self.greenlist_ratio = greenlist_ratio
        self.bias = bias
        self.seeding_scheme = seeding_scheme
        self.context_width = context_width
        self.key_id = key_id
        # transformers scores (context_width + 1)-grams for lefthash and context_width-grams for selfhash.
        self.context_needed = context_width if seeding_scheme == "lefthash" else context_width - 1
        self.min_tokens = min_tokens
        # The exact null rate: transformers keeps int(V * ratio) green tokens, slightly under the ratio.
        self._null_rate = int(vocab_size * greenlist_ratio) / vocab_size
        self._processor: Any = None
        self._fixed_table: np.ndarray[Any, np.dtype[np.int64]] | None = None
        # lefthash green lists depend on the previous token only: cache one mask per token, bounded
        # so that a key over a 150k-token vocabulary stays near 150 MB.
        self._mask = lru_cache(maxsize=1024)(self._mask_uncached)
        self._green = lru_cache(maxsize=65536)(self._green_uncached)

    def params(self) -> dict[str, Any]:
        """The parameters transformers' ``WatermarkingConfig`` takes."""
        return {
            "greenlist_ratio": self.greenlist_ratio,
            "bias": self.bias,
            "hashing_key": self.hashing_key,
            "seeding_scheme": self.seeding_scheme,
            "context_width": self.context_width,
        }

    def watermarking_config(self) -> Any:
        """A ``transformers.WatermarkingConfig`` for ``model.generate(watermarking_config=...)``.

        Prefer this over ``logits_processor()``: generate applies it after temperature, top-k and
        top-p, so the bias is not truncated away (transformers #34630).
        """
        require_torch()
        from transformers import WatermarkingConfig

        return WatermarkingConfig(**self.params())

    def logits_processor(self) -> Any:
        """transformers' own ``WatermarkLogitsProcessor`` with this key, for custom sampling loops."""
        if self._processor is None:
            require_torch()
            from transformers import WatermarkLogitsProcessor

            processor = WatermarkLogitsProcessor(vocab_size=self.vocab_size, device="cpu", **self.params())
            if self.seeding_scheme == "lefthash":
                # lefthash never reads the 1M-entry hashing table (8 MB per key); drop it so that
                # scoring thousands of keys, as the calibration checks do, fits in memory.
                processor.fixed_table = processor.fixed_table.new_empty(0)
            self._processor = processor
        return self._processor

    def embed(self, input_ids: Any, scores: Any) -> Any:
        """Bias the green tokens of a batch of next-token scores (``[batch, vocab]`` tensors)."""
        return self.logits_processor()(input_ids, scores)

    def window(self, context: Sequence[int], token: int) -> tuple[int, ...]:
        # Only the tokens that decide the green list count: lefthash seeds on the last context token
        # alone whatever context_width is; selfhash seeds on min_i(key * h(t_i) * h(token)) over the
        # n-gram, so the token that attains the minimum and the token itself decide it. Distinct
        # n-grams sharing that pair are one random draw, and must be scored once (issue 19).
        if self.seeding_scheme == "lefthash":
            return (int(context[-1]), int(token))
        if self.context_width == 1:
            return (int(token),)
        ngram = [int(t) for t in context[len(context) - self.context_width + 1 :]] + [int(token)]
        return (self._seed_token(ngram), int(token))

    def _seed_token(self, ngram: Sequence[int]) -> int:
        # transformers multiplies int64 tensors, which wrap around; the same wrap-around here.
        table = self._table()
        size = len(table)
        last = int(table[ngram[-1] % size]) + 1
        products = [_wrap64(self.hashing_key * (int(table[t % size]) + 1) * last) for t in ngram]
        return ngram[products.index(min(products))]

    def _table(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        if self._fixed_table is None:
            self._fixed_table = self.logits_processor().fixed_table.numpy()
        return self._fixed_table

    def _mask_uncached(self, prev: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
        torch = require_torch()
        green = self.logits_processor()._get_greenlist_ids(torch.tensor([prev], dtype=torch.long))
        mask = np.zeros(self.vocab_size, dtype=bool)
        mask[green.numpy()] = True
        return mask

    def _green_uncached(self, window: tuple[int, ...]) -> bool:
        # selfhash: the green list depends on the candidate token itself, so it is drawn per window;
        # (seed token, token) gives the same minimum as the full n-gram it was taken from.
        torch = require_torch()
        green = self.logits_processor()._get_greenlist_ids(torch.tensor(window, dtype=torch.long))
        return bool((green == window[-1]).any())

    def score_window(self, window: tuple[int, ...]) -> float:
        if self.seeding_scheme == "lefthash":
            return 1.0 if self._mask(window[0])[window[1]] else 0.0
        return 1.0 if self._green(window) else 0.0

    def score_windows(self, found: Sequence[tuple[int, ...]]) -> float:
        if self.seeding_scheme != "lefthash" or not found:
            return float(sum(self.score_window(w) for w in found))
        # Group the windows by previous token so that each green mask is looked up once.
        pairs = np.asarray(found, dtype=np.int64)
        pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
        prevs, starts = np.unique(pairs[:, 0], return_index=True)
        groups = np.split(pairs[:, 1], starts[1:])
        return float(sum(int(self._mask(int(p))[g].sum()) for p, g in zip(prevs, groups, strict=True)))

    def window_signature(self) -> tuple[object, ...]:
        if self.seeding_scheme == "selfhash" and self.context_width > 1:
            # The seed token depends on the key's hashing table, so keys cannot share a tape.
            return (self.name, self.seeding_scheme, self.context_width, self.hashing_key)
        return (self.name, self.seeding_scheme, self.context_width)

    def green_mask(self, context: Sequence[int]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Which next tokens are green after ``context`` (lefthash only: selfhash depends on the token)."""
        if self.seeding_scheme != "lefthash":
            raise ValueError("green_mask needs seeding_scheme='lefthash'")
        return self._mask(int(context[-1])).copy()

    def p_value(self, score: float, n: int) -> float:
        # P(Binomial(n, rate) >= green): exact, where transformers reports the normal tail, which is
        # too small in the far tail (Fernandez et al. 2023, "Three Bricks").
        if n == 0:
            return 1.0
        return float(stats.binom.sf(round(score) - 1, n, self._null_rate))

    def z_score(self, score: float, n: int) -> float | None:
        # transformers' formula, with the nominal ratio, so that the two can be compared digit for digit.
        if n == 0:
            return None
        gamma = self.greenlist_ratio
        return float((score - gamma * n) / np.sqrt(n * gamma * (1 - gamma)))

    def detect(self, token_ids: Sequence[int], *, tape: ScoringTape | None = None, dedup: bool = True) -> Detection:
        """Score generated token ids (prompt and BOS removed); see :func:`detect`."""
        return detect(self, token_ids, tape=tape, dedup=dedup)


def _wrap64(value: int) -> int:
    """``value`` as a signed 64-bit integer after wrap-around, as torch's int64 arithmetic gives it."""
    return (value + 2**63) % 2**64 - 2**63
