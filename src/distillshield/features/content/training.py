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
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.metrics import roc_auc_score

from distillshield.errors import ConfigError
from distillshield.features.content.hashing import featurize
from distillshield.features.content.model import LinearTextModel, ModelStack, train_model
from distillshield.features.content.turns import turn_text

DETECTORS = ("elicitation", "jailbreak", "grading", "agentic", "generation")


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
    """The shipped corpus as turn rows: what the detectors score (one role-tagged turn each).

    A positive record contributes the turn(s) holding its ask (``ask_in``: ``system``, ``user`` or
    ``both``), once in its own role and once in the other, so an ask is learned wherever a client puts it;
    the other turn of a positive record is a plain question and is left out. A negative record
    contributes each non-empty turn as a negative.
    """
    path = path or shipped_corpus_path()
    rows: list[tuple[str, dict[str, int], str, str, str]] = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                record = json.loads(line)
                labels = {d: int(record["labels"].get(d, 0)) for d in DETECTORS}
                source, split = str(record["source"]), str(record["split"])
                group = str(record["group"]) if source.startswith("composed") else ""
                for text in record_turn_texts(record["system"], record["user"], any(labels.values()), record):
                    rows.append((text, labels, split, source, group or text[:64]))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(f"{path}:{number}: bad corpus record ({exc})") from exc
    return corpus_of(rows)


def record_turn_texts(system: str, user: str, positive: bool, record: dict[str, object] | None = None) -> list[str]:
    """The role-tagged turn texts one labelled (system, user) record trains on (see :func:`load_corpus`)."""
    if not positive:
        return [turn_text(role, t) for role, t in (("system", system), ("user", user)) if t.strip()]
    ask_in = str((record or {}).get("ask_in") or ("system" if system.strip() and not user.strip() else "user"))
    labels = (record or {}).get("labels")
    elicit = isinstance(labels, dict) and bool(labels.get("elicitation"))
    asks = [(r, t) for r, t in (("system", system), ("user", user)) if ask_in in (r, "both") and t.strip()]
    return [turn_text(copy, t) for r, t in asks for copy in copy_roles(r, elicit)]


def copy_roles(role: str, elicitation: bool) -> tuple[str, ...]:
    """The roles a training ask is shown in: both, except a system-turn reasoning style stays a system turn.

    Why the exception: "think step by step and justify your steps" as an operator's system turn is how
    Orca-style and reasoning-distillation pipelines harvest traces, while the same words from a user are a
    student's or a benchmark harness's everyday ask (the corpus's benign twins), which must stay benign.
    """
    return ("system",) if role == "system" and elicitation else ("system", "user")


def corpus_of(rows: Sequence[tuple[str, dict[str, int], str, str, str]]) -> Corpus:
    """A corpus from (turn text, labels, split, source, group) rows."""
    return Corpus(
        tuple(r[0] for r in rows),
        {d: np.array([r[1].get(d, 0) for r in rows], dtype=np.int64) for d in DETECTORS},
        np.array([r[2] for r in rows]),
        tuple(r[3] for r in rows),
        tuple(r[4] for r in rows),
    )


def concat(*parts: Corpus) -> Corpus:
    return Corpus(
        tuple(t for p in parts for t in p.texts),
        {d: np.concatenate([p.labels[d] for p in parts]) for d in DETECTORS},
        np.concatenate([p.splits for p in parts]),
        tuple(s for p in parts for s in p.sources),
        tuple(g for p in parts for g in p.groups),
    )


def train_all(corpus: Corpus, detectors: Sequence[str] = DETECTORS) -> list[LinearTextModel]:
    """One model per detector, on the corpus's train split only."""
    train = corpus.subset("train")
    features = featurize(train.texts)
    return [train_model(d, features, train.labels[d], train.groups) for d in detectors]


def train_rows(
    corpus: Corpus, features: sp.csr_matrix, rows: npt.NDArray[np.intp], detectors: Sequence[str]
) -> list[LinearTextModel]:
    """One model per detector on the given rows of an already featurised corpus (the bench's folds)."""
    groups = [corpus.groups[i] for i in rows]
    return [train_model(d, features[rows], corpus.labels[d][rows], groups) for d in detectors]


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


def shipped_training_corpus(external: Path | None) -> tuple[Corpus, str]:
    """What the shipped model trains on, and a digest of it: the shipped corpus, plus the real sets when
    ``external`` holds them (``features.content.real``; held-out ShareGPT conversations excluded)."""
    from distillshield.features.content import real  # build time only: reads the shared external data

    parts = [load_corpus()]
    if external is not None and (external / real.REAL_DIR).is_dir():
        parts += [real.attack_corpus(external), real.sharegpt_corpus(external).subset("train")]
    corpus = concat(*parts) if len(parts) > 1 else parts[0]
    digest = hashlib.sha256()
    for text, split in zip(corpus.texts, corpus.splits, strict=True):
        digest.update(f"{split}\0{text}\0".encode())
    for d in DETECTORS:
        digest.update(corpus.labels[d].tobytes())
    return corpus, digest.hexdigest()
