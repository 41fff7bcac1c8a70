"""A calibrated linear text model: hashed character and word n-grams, logistic regression, Platt scaling.

Why this shape: it trains in seconds on the shipped corpus, scores tens of
thousands of prompts a second on one core, needs no vocabulary (the hashed
features of ``features.content.hashing`` are stateless), and saves as plain numpy
arrays, so the shipped model loads without unpickling anything. Character n-grams catch
paraphrases and spelling variants that a keyword list misses; word pairs catch
intent ("hidden reasoning", "reward model").

Scores are calibrated probabilities: the margins of grouped out-of-fold models
(each row scored by a model that never saw its pipeline or family of phrasings)
fit a one-dimensional logistic map (Platt scaling) from the raw margin to
P(positive) on the real traffic in the training set, so a score of 0.9 means about nine
in ten such prompts were positive there, for prompts of pipelines the model had not seen.
The calibration (a reliability table) and held-out numbers are in ``bench/RESULTS.md``.
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
from sklearn.linear_model import LogisticRegression

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
#: 3: optional system-turn weights per model. 2: features from ``features.content.hashing`` (format 1 used
#: scikit-learn's HashingVectorizer). Formats 2 and 3 both load.
MODEL_FORMAT = 3
_READABLE_FORMATS = (2, 3)


def prompt_text(system: str, user: str) -> str:
    """The one string a model sees for a (system, user) pair; roles are marked so a scaffold reads differently."""
    if len(user) > HEAD_CHARS + TAIL_CHARS:
        user = f"{user[:HEAD_CHARS]} ... {user[-TAIL_CHARS:]}"
    if len(system) > HEAD_CHARS:
        system = system[:HEAD_CHARS]
    return f"sys: {system}\nuser: {user}" if system else f"user: {user}"


#: How a text model knows a turn's role: ``turns.turn_text`` starts a system turn's text with it.
SYSTEM_TAG = "sys: "


def system_rows(texts: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Which role-tagged turn texts are system turns (they score with a model's system weights)."""
    return np.fromiter((t.startswith(SYSTEM_TAG) for t in texts), dtype=np.bool_, count=len(texts))


@dataclass(frozen=True, slots=True)
class LinearTextModel:
    """One detector's weights over the hashed feature columns, and its Platt calibration.

    ``system_weights`` score system turns, ``weights`` every other turn. They are the shared weights plus
    a system-only part, fitted together (:func:`train_model`): "reason step by step and put the answer in a
    box" is a harness's everyday suffix in a user turn and a distiller's standing order as the system turn,
    and one weight per n-gram cannot tell the two apart.
    """

    name: str
    weights: npt.NDArray[np.float32]
    intercept: float
    platt_slope: float
    platt_offset: float
    system_weights: npt.NDArray[np.float32] | None = None

    def margins(self, features: sp.csr_matrix, system: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.float64]:
        out = np.asarray(features @ self.weights.astype(np.float64), dtype=np.float64) + self.intercept
        if system is not None and self.system_weights is not None and system.any():
            out[system] = features[system] @ self.system_weights.astype(np.float64) + self.intercept
        return out

    def probabilities(
        self, features: sp.csr_matrix, system: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.float64]:
        """Calibrated scores; ``system`` marks the rows that are system turns (None: none are)."""
        out: npt.NDArray[np.float64] = expit(self.platt_slope * self.margins(features, system) + self.platt_offset)
        return out


class ModelStack:
    """Several detectors' models as (n_features, n_models) float64 matrices, one per role: one sparse product
    scores every detector on a batch of turns of one role.

    Stacking once at load time, not per call, is the point: converting each
    model's 393k weights to float64 on every call cost more than the product.
    """

    def __init__(self, models: Sequence[LinearTextModel]) -> None:
        self.names = tuple(m.name for m in models)
        self._weights = np.zeros((N_FEATURES, len(models)), dtype=np.float64)
        for j, model in enumerate(models):
            self._weights[:, j] = model.weights
        self._system_weights = self._weights
        if any(m.system_weights is not None for m in models):
            self._system_weights = self._weights.copy()
            for j, model in enumerate(models):
                if model.system_weights is not None:
                    self._system_weights[:, j] = model.system_weights
        # Platt's slope * (margin + intercept) + offset, with the constant part folded once.
        self._slopes = np.array([m.platt_slope for m in models], dtype=np.float64)
        self._offsets = np.array([m.platt_slope * m.intercept + m.platt_offset for m in models], dtype=np.float64)

    def score_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities of role-tagged turn texts, (len(texts), n_models): system turns with the
        system weights, the rest with the shared ones, featurising a chunk at a time to bound memory."""
        system = system_rows(texts) if self._system_weights is not self._weights else np.zeros(len(texts), bool)
        if not system.any():
            return self._score(texts, self._weights)
        out = np.zeros((len(texts), len(self.names)), dtype=np.float64)
        for mask, weights in ((system, self._system_weights), (~system, self._weights)):
            at = np.flatnonzero(mask)
            if len(at):
                out[at] = self._score([texts[i] for i in at.tolist()], weights)
        return out

    def _score(self, texts: Sequence[str], weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        parts = [self._probabilities(hash_counts(chunk), weights) for chunk in chunks(texts)]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.zeros((0, len(self.names)), dtype=np.float64)

    def probabilities(self, features: HashedCounts | sp.csr_matrix) -> npt.NDArray[np.float64]:
        """Calibrated probabilities of featurised turns that are not system turns."""
        return self._probabilities(features, self._weights)

    def _probabilities(
        self, features: HashedCounts | sp.csr_matrix, weights: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        margins = features.dot(weights) if isinstance(features, HashedCounts) else features @ weights
        out: npt.NDArray[np.float64] = expit(self._slopes * np.asarray(margins) + self._offsets)
        return out


#: Grouped folds whose out-of-fold margins calibrate a model (and which the bench's nested folds reuse).
CALIBRATION_FOLDS = 4
#: L2 strength of the logistic regression (scikit-learn's ``C``, the inverse).
C = 2.0


def train_model(
    name: str,
    features: sp.csr_matrix,
    labels: npt.NDArray[np.int64],
    groups: Sequence[str],
    *,
    system: npt.NDArray[np.bool_] | None = None,
    c: float = C,
    folds: int = CALIBRATION_FOLDS,
    calibrate_on: npt.NDArray[np.bool_] | None = None,
) -> LinearTextModel:
    """Fit on every row, calibrated on out-of-fold margins of models that never saw the row's group.

    Why grouped out-of-fold margins: a detector meets phrasings from pipelines it never saw, and the
    margins of such prompts are lower than those of the phrasings it trained on. Calibrating on margins
    of rows whose whole group (a pipeline, a family of composed phrasings, a conversation) was held out
    of the fit shows Platt scaling that shortfall, so 0.5 sits where unseen prompts of a known kind
    score, not where the training phrasings do. ``calibrate_on`` limits the rows Platt scaling reads
    (the real traffic among them: real pipeline prompts and real user turns), so that the probability is
    one on real traffic's mix, not on the composed phrasings'. ``system`` marks system-turn rows: with
    it the model gets system weights (shared plus a system-only part, :class:`LinearTextModel`).
    """
    augmented = with_system_copy(features, system)
    oof = out_of_fold_margins(augmented, labels, groups, c=c, folds=folds)
    model = _fit(augmented, labels, c, name)
    calib = np.ones(len(labels), dtype=np.bool_) if calibrate_on is None else calibrate_on
    if len(np.unique(labels[calib])) < 2:  # no real positives for this detector: the whole corpus calibrates
        calib = np.ones(len(labels), dtype=np.bool_)
    slope, offset = platt(oof[calib], labels[calib])
    n = features.shape[1]
    shared = model.weights[:n]
    system_weights = None if system is None else (shared + model.weights[n:]).astype(np.float32)
    return LinearTextModel(name, shared, model.intercept, slope, offset, system_weights)


def out_of_fold_margins(
    features: sp.csr_matrix, labels: npt.NDArray[np.int64], groups: Sequence[str], *, c: float, folds: int
) -> npt.NDArray[np.float64]:
    """Each row's margin under a model fitted without the row's fold (whole groups per fold)."""
    fold = grouped_folds(labels, groups, folds)
    oof = np.zeros(len(labels), dtype=np.float64)
    for k in range(folds):
        held = fold == k
        oof[held] = _fit(features[~held], labels[~held], c).margins(features[held])
    return oof


def with_system_copy(features: sp.csr_matrix, system: npt.NDArray[np.bool_] | None) -> sp.csr_matrix:
    """``[X, X * system]``: a system row's features twice, so a weight can be shared or system-only."""
    if system is None:
        return features
    copy = sp.diags(system.astype(np.float64)) @ features
    return sp.hstack([features, copy], format="csr")


def _fit(features: sp.csr_matrix, labels: npt.NDArray[np.int64], c: float, name: str = "") -> LinearTextModel:
    # The dual solver: four times faster than the primal here, where features outnumber rows ten to one.
    lr = LogisticRegression(
        C=c, class_weight="balanced", max_iter=2000, solver="liblinear", dual=True, random_state=0, tol=1e-4
    )
    lr.fit(features, labels)
    return LinearTextModel(name, lr.coef_[0].astype(np.float32), float(lr.intercept_[0]), 1.0, 0.0)


def platt(margins: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> tuple[float, float]:
    """Slope and offset of the logistic map from margin to probability (Platt scaling)."""
    fit = LogisticRegression(C=1e6, max_iter=1000)
    fit.fit(margins.reshape(-1, 1), labels)
    return float(fit.coef_[0][0]), float(fit.intercept_[0])


def grouped_folds(labels: npt.NDArray[np.int64], groups: Sequence[str], folds: int) -> npt.NDArray[np.intp]:
    """A fold per row, whole groups together: positive groups dealt round-robin in hash order, then negative
    groups, so every fold holds positives however few positive groups there are."""
    positive = {g for g, y in zip(groups, labels, strict=True) if y}
    fold_of: dict[str, int] = {}
    for pool in (positive, set(groups) - positive):
        ordered = sorted(pool, key=lambda g: hashlib.sha256(g.encode()).hexdigest())
        fold_of.update({g: (i + len(fold_of)) % folds for i, g in enumerate(ordered)})
    return np.array([fold_of[g] for g in groups], dtype=np.intp)


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
    arrays |= {f"system_{m.name}": m.system_weights.astype(np.float16) for m in models if m.system_weights is not None}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with path.open("wb") as f:
        np.savez_compressed(f, allow_pickle=False, **arrays)


def load_models(path: Path) -> dict[str, LinearTextModel]:
    """Read a file written by :func:`save_models`; a file of another shape is a ConfigError naming it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            weights = {k: data[k].astype(np.float32) for k in data.files if k != "header"}
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: not a content model file ({exc})") from exc
    if header.get("format") not in _READABLE_FORMATS or header.get("featurizer") != FEATURIZER:
        raise ConfigError(
            f"{path}: content model format {header.get('format')} ({header.get('featurizer')}) is not "
            f"{MODEL_FORMAT} ({FEATURIZER}); retrain with scripts/train_content_model.py"
        )
    return {
        name: LinearTextModel(
            name,
            weights[f"weights_{name}"],
            p["intercept"],
            p["platt_slope"],
            p["platt_offset"],
            weights.get(f"system_{name}"),
        )
        for name, p in header["models"].items()
    }
