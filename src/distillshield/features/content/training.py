"""Train the shipped content model from the shipped corpus, and measure it on the held-out split.

The corpus (``data/training/content.jsonl.gz``) is built by
``scripts/build_content_corpus.py`` from public prompt sets; its ``test`` split
holds out whole families of composed phrasings, so held-out numbers measure
phrasings the model never saw. ``scripts/train_content_model.py`` writes
``data/models/content.npz`` with :func:`train_all`; the content-model part of
``bench/bench_detection.py`` reports :func:`evaluate` on the test split.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from distillshield.errors import ConfigError
from distillshield.features.content.hashing import featurize
from distillshield.features.content.model import LinearTextModel, ModelStack, prompt_text, train_model

DETECTORS = ("elicitation", "jailbreak", "grading", "agentic")


def shipped_corpus_path() -> Path:
    return Path(str(files("distillshield.data") / "training" / "content.jsonl.gz"))


@dataclass(frozen=True, slots=True)
class Corpus:
    texts: tuple[str, ...]
    labels: dict[str, npt.NDArray[np.int64]]
    splits: npt.NDArray[np.str_]
    sources: tuple[str, ...]
    groups: tuple[str, ...]

    def subset(self, split: str) -> Corpus:
        keep = np.flatnonzero(self.splits == split)
        return Corpus(
            tuple(self.texts[i] for i in keep),
            {k: v[keep] for k, v in self.labels.items()},
            self.splits[keep],
            tuple(self.sources[i] for i in keep),
            tuple(self.groups[i] for i in keep),
        )


def load_corpus(path: Path | None = None) -> Corpus:
    path = path or shipped_corpus_path()
    texts, splits, sources, groups = [], [], [], []
    labels: dict[str, list[int]] = {d: [] for d in DETECTORS}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                record = json.loads(line)
                texts.append(prompt_text(record["system"], record["user"]))
                for d in DETECTORS:
                    labels[d].append(int(record["labels"][d]))
                splits.append(record["split"])
                sources.append(record["source"])
                groups.append(record["group"] if record["source"].startswith("composed") else texts[-1][:64])
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"{path}:{number}: bad corpus record ({exc})") from exc
    return Corpus(
        tuple(texts), {d: np.array(v) for d, v in labels.items()}, np.array(splits), tuple(sources), tuple(groups)
    )


def train_all(corpus: Corpus, detectors: Sequence[str] = DETECTORS) -> list[LinearTextModel]:
    """One model per detector, on the corpus's train split only."""
    train = corpus.subset("train")
    features = featurize(train.texts)
    return [train_model(d, features, train.labels[d], train.groups) for d in detectors]


def evaluate(models: Sequence[LinearTextModel], corpus: Corpus, threshold: float = 0.5) -> dict[str, dict[str, float]]:
    """ROC AUC, precision, recall, false-positive rate and expected calibration error per detector."""
    probabilities = ModelStack(models).score_texts(corpus.texts)
    report = {}
    for j, model in enumerate(models):
        y = corpus.labels[model.name]
        p = probabilities[:, j]
        hit = p >= threshold
        tp, fp = int((hit & (y == 1)).sum()), int((hit & (y == 0)).sum())
        positives, negatives = int(y.sum()), int((y == 0).sum())
        report[model.name] = {
            "n": float(len(y)),
            "positives": float(positives),
            "auc": float(roc_auc_score(y, p)) if 0 < positives < len(y) else float("nan"),
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / positives if positives else float("nan"),
            "fpr": fp / negatives if negatives else float("nan"),
            "ece": expected_calibration_error(p, y),
        }
    return report


def expected_calibration_error(p: npt.NDArray[np.float64], y: npt.NDArray[np.int64], bins: int = 10) -> float:
    """Mean |observed rate - predicted probability| over equal-width bins, weighted by bin size."""
    edges = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = edges == b
        if mask.any():
            total += mask.sum() * abs(float(y[mask].mean()) - float(p[mask].mean()))
    return total / len(p)
