"""A calibrated linear text model: hashed character and word n-grams, logistic regression, Platt scaling.

Why this shape: it trains in seconds on the shipped corpus, scores tens of
thousands of prompts a second on one core, needs no vocabulary (the hashed
features of ``features.content.hashing`` are stateless), and saves as plain numpy
arrays, so the shipped model loads without unpickling anything. Character n-grams catch
paraphrases and spelling variants that a keyword list misses; word pairs catch
intent ("hidden reasoning", "reward model").

Scores are calibrated probabilities: out-of-group margins (each row scored by a
fit that never saw its source, see :func:`train_model`) fit a one-dimensional
logistic map (Platt scaling) from the raw margin to P(positive), so a score of 0.9
means about nine in ten prompts from sources the model had not seen were positive.
The calibration and held-out numbers are in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import expit

from distillshield.errors import ConfigError
from distillshield.features.content.hashing import (
    CHAR_FEATURES,
    FEATURIZER,
    N_FEATURES,
    WORD_FEATURES,
    HashedCounts,
    chunks,
    hash_counts,
)

#: Long prompts are scored on their head and tail, where wrappers and asks sit; the middle is payload.
HEAD_CHARS, TAIL_CHARS = 2000, 1000
#: 2: features from ``features.content.hashing`` (format 1 used scikit-learn's HashingVectorizer).
MODEL_FORMAT = 2


def prompt_text(system: str, user: str) -> str:
    """The one string a model sees for a (system, user) pair; roles are marked so a scaffold reads differently."""
    if len(user) > HEAD_CHARS + TAIL_CHARS:
        user = f"{user[:HEAD_CHARS]} ... {user[-TAIL_CHARS:]}"
    if len(system) > HEAD_CHARS:
        system = system[:HEAD_CHARS]
    return f"sys: {system}\nuser: {user}" if system else f"user: {user}"


@dataclass(frozen=True, slots=True)
class LinearTextModel:
    """One detector's weights over the hashed feature columns, and its Platt calibration."""

    name: str
    weights: npt.NDArray[np.float32]
    intercept: float
    platt_slope: float
    platt_offset: float

    def margins(self, features: sp.csr_matrix) -> npt.NDArray[np.float64]:
        return np.asarray(features @ self.weights.astype(np.float64), dtype=np.float64) + self.intercept

    def probabilities(self, features: sp.csr_matrix) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = expit(self.platt_slope * self.margins(features) + self.platt_offset)
        return out


class ModelStack:
    """Several detectors' models as one (n_features, n_models) float64 matrix: one sparse product scores all.

    Stacking once at load time, not per call, is the point: converting each
    model's 393k weights to float64 on every call cost more than the product.
    """

    def __init__(self, models: Sequence[LinearTextModel]) -> None:
        self.names = tuple(m.name for m in models)
        self._weights = np.zeros((N_FEATURES, len(models)), dtype=np.float64)
        for j, model in enumerate(models):
            self._weights[:, j] = model.weights
        # Platt's slope * (margin + intercept) + offset, with the constant part folded once.
        self._slopes = np.array([m.platt_slope for m in models], dtype=np.float64)
        self._offsets = np.array([m.platt_slope * m.intercept + m.platt_offset for m in models], dtype=np.float64)

    def score_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, (len(texts), n_models), featurising a chunk at a time to bound memory."""
        parts = [self.probabilities(hash_counts(chunk)) for chunk in chunks(texts)]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.zeros((0, len(self.names)), dtype=np.float64)

    def probabilities(self, features: HashedCounts | sp.csr_matrix) -> npt.NDArray[np.float64]:
        margins = features.dot(self._weights) if isinstance(features, HashedCounts) else features @ self._weights
        out: npt.NDArray[np.float64] = expit(self._slopes * np.asarray(margins) + self._offsets)
        return out


#: Folds of the out-of-group margins that Platt scaling is fitted on (see :func:`train_model`).
CALIBRATION_FOLDS = 4


def train_model(
    name: str,
    features: sp.csr_matrix,
    labels: npt.NDArray[np.int64],
    groups: Sequence[str],
    *,
    c: float = 2.0,
    folds: int = CALIBRATION_FOLDS,
) -> LinearTextModel:
    """Fit on every row; calibrate on margins each row got from a fit that never saw its group.

    A group is a whole source of phrasings: a real pipeline, a composed family, a ShareGPT
    conversation. The rows are split into ``folds`` sets of whole groups; each set is scored by a
    model fitted on the others, and Platt scaling is fitted on those out-of-group margins. So the
    calibration answers "how likely is a prompt from a pipeline the model has never seen to be an
    ask, given this margin", which is the question traffic asks. Calibrating on rows of groups the
    fit had seen (or on a held-back quarter of templates whose siblings it had seen) made the
    model sure of its own corpus and shy of everything new: unseen pipelines scored 0.1-0.5 while
    nine in ten of them were asks (the reliability table in ``bench/RESULTS.md``).
    """
    fold_of = _calibration_folds(labels, groups, folds)
    out_of_group = np.zeros(len(labels), dtype=np.float64)
    for k in range(folds):
        held = fold_of == k
        rest = ~held
        if not held.any():
            continue
        if not 0 < int(labels[rest].sum()) < int(rest.sum()):
            # A margin of 0 for the fold's rows would pull the calibration toward "unsure" for no reason.
            raise ValueError(
                f"{name}: calibration fold {k} leaves no asks or no negatives to fit on; give the "
                f"{folds} folds more groups of each class (now {len(set(groups))} groups)"
            )
        out_of_group[held] = _fit(name, features[rest], labels[rest], c).margins(features[held])
    fitted = _fit(name, features, labels, c)
    # Imported here: scikit-learn costs a second of start-up, and a scan only scores with the shipped weights.
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=1e6, max_iter=1000)
    platt.fit(out_of_group.reshape(-1, 1), labels)
    return LinearTextModel(name, fitted.weights, fitted.intercept, float(platt.coef_[0][0]), float(platt.intercept_[0]))


def _fit(name: str, features: sp.csr_matrix, labels: npt.NDArray[np.int64], c: float) -> LinearTextModel:
    """The uncalibrated logistic fit (balanced classes: asks are a minority of every detector's rows)."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=0)
    lr.fit(features, labels)
    return LinearTextModel(name, lr.coef_[0].astype(np.float32), float(lr.intercept_[0]), 1.0, 0.0)


def _calibration_folds(labels: npt.NDArray[np.int64], groups: Sequence[str], folds: int) -> npt.NDArray[np.int64]:
    """Each row's fold: groups dealt round-robin in hash order, positive groups and negative groups
    separately, so every fold holds asks however few positive groups there are."""
    positive = {g for g, y in zip(groups, labels, strict=True) if y}
    fold: dict[str, int] = {}
    for pool in (sorted(positive), sorted(set(groups) - positive)):
        ordered = sorted(pool, key=lambda g: hashlib.sha256(g.encode()).hexdigest())
        fold.update((g, i % folds) for i, g in enumerate(ordered))
    return np.array([fold[g] for g in groups], dtype=np.int64)


def save_models(models: Sequence[LinearTextModel], path: Path, provenance: dict[str, object]) -> None:
    """One ``.npz``: float16 weights per model (ample for a linear margin) and a JSON header."""
    header = {
        "format": MODEL_FORMAT,
        "featurizer": FEATURIZER,
        "char_features": CHAR_FEATURES,
        "word_features": WORD_FEATURES,
        "models": {
            m.name: {"intercept": m.intercept, "platt_slope": m.platt_slope, "platt_offset": m.platt_offset}
            for m in models
        },
        **provenance,
    }
    arrays: dict[str, npt.NDArray[np.generic]] = {f"weights_{m.name}": m.weights.astype(np.float16) for m in models}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with path.open("wb") as f:
        np.savez_compressed(f, allow_pickle=False, **arrays)


def load_models(path: Path) -> dict[str, LinearTextModel]:
    """Read a file written by :func:`save_models`; a file of another shape is a ConfigError naming it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            weights = {k.removeprefix("weights_"): data[k].astype(np.float32) for k in data.files if k != "header"}
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: not a content model file ({exc})") from exc
    if header.get("format") != MODEL_FORMAT or header.get("featurizer") != FEATURIZER:
        raise ConfigError(
            f"{path}: content model format {header.get('format')} ({header.get('featurizer')}) is not "
            f"{MODEL_FORMAT} ({FEATURIZER}); retrain with scripts/train_content_model.py"
        )
    return {
        name: LinearTextModel(name, weights[name], p["intercept"], p["platt_slope"], p["platt_offset"])
        for name, p in header["models"].items()
    }
