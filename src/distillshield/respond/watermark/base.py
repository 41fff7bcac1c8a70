"""What every watermark scheme shares: the detection result, the scoring tape and the torch import."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

#: Texts shorter than this many distinct scored windows are reported but never flagged (see ``Detection``).
DEFAULT_MIN_TOKENS = 16

INSTALL_HINT = "watermarking needs torch and transformers: pip install 'distillshield[provenance]'"


def require_torch() -> Any:
    """Import torch lazily so that the default install works without it."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - the provenance extra is installed in CI
        raise ImportError(INSTALL_HINT) from exc
    return torch


@dataclass(frozen=True, slots=True)
class Detection:
    """The outcome of scoring one text (or one corpus) against one key.

    ``p_value`` is exact (binomial or gamma tail) under the null hypothesis that the text was
    produced without knowledge of the key; ``z`` is the one-proportion z-score where the scheme
    has one (kept for comparison with other tools, never for decisions).
    """

    scheme: str
    key_id: str
    tokens_read: int
    tokens_scored: int
    score: float
    p_value: float
    z: float | None = None
    min_tokens: int = DEFAULT_MIN_TOKENS

    @property
    def long_enough(self) -> bool:
        """Whether enough distinct windows were scored for a verdict."""
        return self.tokens_scored >= self.min_tokens

    def significant(self, alpha: float) -> bool:
        """Flag only texts that are long enough and whose p-value is below ``alpha``."""
        return self.long_enough and self.p_value < alpha

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "key_id": self.key_id,
            "tokens_read": self.tokens_read,
            "tokens_scored": self.tokens_scored,
            "score": self.score,
            "z": self.z,
            "p_value": self.p_value,
            "min_tokens": self.min_tokens,
            "long_enough": self.long_enough,
        }


@dataclass(slots=True)
class ScoringTape:
    """Windows already scored, so that each (window, token) tuple counts once across a whole corpus.

    Repeated tuples are not independent draws; scoring them again would make the p-value too small
    on repetitive text. Windows that occur in the audit's own prompts are excluded up front, since a
    model that merely copies a watermarked prompt is not evidence of training on watermarked text.
    """

    seen: set[tuple[int, ...]] = field(default_factory=set)

    def claim(self, window: tuple[int, ...]) -> bool:
        """True the first time a window is seen, False afterwards."""
        if window in self.seen:
            return False
        self.seen.add(window)
        return True


class WatermarkScheme(Protocol):
    """A keyed watermark: ``embed`` changes next-token scores, ``detect`` tests a token sequence."""

    name: ClassVar[str]
    key_id: str
    vocab_size: int
    #: How many preceding tokens a token needs before it can be scored.
    context_needed: int
    min_tokens: int

    def params(self) -> dict[str, Any]:
        """The key and parameters, as a key file's ``params`` holds them."""
        ...

    def window(self, context: Sequence[int], token: int) -> tuple[int, ...]:
        """The tuple that decides ``token``'s score after ``context``: the unit of deduplication."""
        ...

    def score_window(self, window: tuple[int, ...]) -> float:
        """The per-token score of one window (a green indicator, or -log(1 - r))."""
        ...

    def score_windows(self, found: Sequence[tuple[int, ...]]) -> float:
        """The summed score of many windows (vectorised where the scheme allows)."""
        ...

    def window_signature(self) -> tuple[object, ...]:
        """Schemes with equal signatures cut a text into the same windows (so may share a tape)."""
        ...

    def p_value(self, score: float, n: int) -> float:
        """The exact tail probability of a total ``score`` over ``n`` distinct windows under the null."""
        ...

    def z_score(self, score: float, n: int) -> float | None:
        """A z-score for comparison with other tools, where the scheme has one."""
        ...


def windows(scheme: WatermarkScheme, token_ids: Sequence[int]) -> Iterable[tuple[int, ...]]:
    """Every scoreable window of a sequence, in order, repeats included."""
    width = scheme.context_needed
    for i in range(width, len(token_ids)):
        yield scheme.window(token_ids[max(0, i - width) : i], token_ids[i])


def detect(
    scheme: WatermarkScheme,
    token_ids: Sequence[int],
    *,
    tape: ScoringTape | None = None,
    dedup: bool = True,
) -> Detection:
    """Score ``token_ids`` (the generated text only, prompt removed) against ``scheme``'s key."""
    tape = tape if tape is not None else ScoringTape()
    found = [w for w in windows(scheme, token_ids) if not dedup or tape.claim(w)]
    n, score = len(found), scheme.score_windows(found)
    return Detection(
        scheme=scheme.name,
        key_id=scheme.key_id,
        tokens_read=len(token_ids),
        tokens_scored=n,
        score=score,
        p_value=scheme.p_value(score, n),
        z=scheme.z_score(score, n),
        min_tokens=scheme.min_tokens,
    )


def exclude_prompt(scheme: WatermarkScheme, tape: ScoringTape, prompt_ids: Sequence[int]) -> None:
    """Mark every window of a prompt as seen so that copying the prompt scores nothing."""
    for window in windows(scheme, prompt_ids):
        tape.seen.add(window)


def bonferroni(p_values: Sequence[float]) -> float:
    """The smallest p-value corrected for the number of keys tried (key rotation)."""
    return min(1.0, len(p_values) * min(p_values)) if p_values else 1.0
