"""Fit family scales and verdict thresholds to labels, on the exact engine, with cross-validation.

**The model** (:class:`Params`): one evidence scale per family and the two verdict
thresholds (:mod:`distillshield.detect.model`). Scales are bounded below by
``SCALE_GRID[0] > 0``, so the model stays monotone: more evidence never lowers a risk.

**The objective** on a set of labelled accounts, class-balanced (each class weighs 1 in
total, each account equally within it)::

    errors  = FP@distiller + FN@distiller + 0.5 * (FP@suspicious-or-worse + FN@suspicious-or-worse)
    cost    = errors + lam * (sum_f |log2 scale_f| + |logit(T_s) - logit(0.5)| + |logit(T_d) - logit(0.8)|)

The penalty (L1 in log and logit space, towards the shipped weights) is the
regularisation: with few labels the model stays where it was shipped, and only
moves that fix several labels are worth their cost. **No labelled account may get
worse:** a candidate that judges any labelled distiller lower than the shipped model
did (at either verdict level), or any labelled benign account higher, is refused. So
a model never buys a lower false-positive rate with campaigns, nor recall with
customers: on the labels it learns from, it can only be a Pareto improvement.

**The search** is a steepest descent over fixed grids, one coordinate per step, evaluated by the engine's own
:func:`~distillshield.detect.engine.judge` on each scan. Why not ``scipy.optimize``:
verdicts are step functions of the weights (a risk crosses a threshold or it does
not) and the corroboration cap holds risks flat over wide ranges, so the objective
is piecewise constant with plateaus; gradient and line-search methods (L-BFGS-B,
Powell) stop on the first plateau, while a grid per coordinate steps across them.
Every candidate is judged by the same code a scan runs, so what is learned is what
``scan --model`` will do, with no surrogate to drift from it.

**Cross-validation**: with labels from several scans, leave one scan out (fit on the
others' labels, judge the held-out scan's: the next-scan case ``learn`` exists for);
within one scan, scikit-learn's ``StratifiedGroupKFold``, where accounts of one
campaign (or one community) stay in one fold, since they share their evidence.
Each fold's model is fitted without its labels and judged on them. The penalty
weight ``lam`` is chosen by the pooled held-out errors, then the final model is
fitted on every label. Recall comes first here too: a penalty whose fold models
lost held-out distillers is chosen only if every penalty's did.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import StratifiedGroupKFold

from distillshield.detect.model import DetectionModel
from distillshield.learn.evidence import BENIGN, DISTILLER, Outcome, ScanEvidence
from distillshield.records import FAMILIES
from distillshield.settings import Settings

SCALE_GRID = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0)
SUSPICIOUS_GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
DISTILLER_GRID = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
LAMBDAS = (0.003, 0.02, 0.1)
MAX_STEPS = 6
#: Weight of the watch-list level (suspicious or worse) against the distiller level.
WATCH_WEIGHT = 0.5
#: Cost added to a candidate that judges a labelled account worse than the shipped model did.
WORSE = 10.0


@dataclass(frozen=True, slots=True)
class Params:
    """Scales per family (FAMILIES order) and the two thresholds."""

    scales: tuple[float, ...]
    suspicious: float
    distiller: float

    @classmethod
    def shipped(cls, settings: Settings) -> Params:
        return cls(tuple(1.0 for _ in FAMILIES), settings.suspicious_threshold, settings.distiller_threshold)

    def model(self, dismissed: dict[str, float] | None = None, digest: str = "") -> DetectionModel:
        return DetectionModel(
            {f: s for f, s in zip(FAMILIES, self.scales, strict=True) if s != 1.0},
            self.suspicious,
            self.distiller,
            dismissed or {},
            digest,
        )

    def penalty(self, base: Params) -> float:
        moved = sum(abs(math.log2(s)) for s in self.scales)
        return (
            moved
            + abs(_logit(self.suspicious) - _logit(base.suspicious))
            + abs(_logit(self.distiller) - _logit(base.distiller))
        )

    def with_coordinate(self, k: int, value: float) -> Params:
        if k < len(self.scales):
            return replace(self, scales=(*self.scales[:k], value, *self.scales[k + 1 :]))
        return replace(self, suspicious=value) if k == len(self.scales) else replace(self, distiller=value)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True, slots=True)
class Item:
    """One labelled account of one scan."""

    scan: int
    index: int
    distiller: bool
    group: str


@dataclass(frozen=True, slots=True)
class Rates:
    """Verdicts of labelled accounts against their labels, at both verdict levels."""

    benign: int
    distillers: int
    fp: int  # benign judged distiller
    tp: int  # distillers judged distiller
    fp_watch: int  # benign judged suspicious or worse
    tp_watch: int  # distillers judged suspicious or worse

    @property
    def fpr(self) -> float:
        return self.fp / self.benign if self.benign else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.distillers if self.distillers else 0.0

    @property
    def fpr_watch(self) -> float:
        return self.fp_watch / self.benign if self.benign else 0.0

    @property
    def recall_watch(self) -> float:
        return self.tp_watch / self.distillers if self.distillers else 0.0

    def __add__(self, other: Rates) -> Rates:
        return Rates(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, int, int, int, int, int]:
        return (self.benign, self.distillers, self.fp, self.tp, self.fp_watch, self.tp_watch)


class Judge:
    """Verdicts of every scan under a candidate, each candidate judged once (searches share them)."""

    def __init__(self, scans: Sequence[ScanEvidence]) -> None:
        self.scans = scans
        self._seen: dict[Params, list[npt.NDArray[np.int8]]] = {}

    def verdicts(self, params: Params) -> list[npt.NDArray[np.int8]]:
        if params not in self._seen:
            self._seen[params] = [scan.judge(params.model()).verdict for scan in self.scans]
        return self._seen[params]

    @property
    def judged(self) -> int:
        return len(self._seen)


def _codes(verdicts: list[npt.NDArray[np.int8]], items: Sequence[Item]) -> npt.NDArray[np.int8]:
    return np.array([verdicts[it.scan][it.index] for it in items], dtype=np.int8)


def _worse(codes: npt.NDArray[np.int8], floor: npt.NDArray[np.int8], items: Sequence[Item]) -> bool:
    """Whether any labelled distiller is judged lower, or any labelled benign account higher, than ``floor``."""
    y = np.array([it.distiller for it in items], dtype=bool)
    return bool(np.any(y & (codes < floor)) or np.any(~y & (codes > floor)))


def rates(verdicts: list[npt.NDArray[np.int8]], items: Sequence[Item]) -> Rates:
    v = _codes(verdicts, items)
    y = np.array([it.distiller for it in items], dtype=bool)
    return Rates(
        int((~y).sum()),
        int(y.sum()),
        int(((v == DISTILLER) & ~y).sum()),
        int(((v == DISTILLER) & y).sum()),
        int(((v != BENIGN) & ~y).sum()),
        int(((v != BENIGN) & y).sum()),
    )


def errors(r: Rates) -> float:
    """Class-balanced errors at both levels (see the module docstring)."""
    b, d = max(r.benign, 1), max(r.distillers, 1)
    at_distiller = r.fp / b + (r.distillers - r.tp) / d
    at_watch = r.fp_watch / b + (r.distillers - r.tp_watch) / d
    return at_distiller + WATCH_WEIGHT * at_watch


@dataclass(frozen=True, slots=True)
class Search:
    judge: Judge
    base: Params
    coordinates: tuple[int, ...]

    def cost(self, params: Params, items: Sequence[Item], lam: float, floor: npt.NDArray[np.int8]) -> float:
        verdicts = self.judge.verdicts(params)
        worse = _worse(_codes(verdicts, items), floor, items)
        return errors(rates(verdicts, items)) + (WORSE if worse else 0.0) + lam * params.penalty(self.base)

    def fit(self, items: Sequence[Item], lam: float) -> Params:
        """Steepest descent from the shipped model over the grids (see the module docstring for why a grid).

        Each step judges every single-coordinate move and takes the cheapest, the smaller move on a tie, so
        the result does not depend on the order of the coordinates: where a threshold and a family scale
        fix the same labels, the one that moves less is taken.
        """
        floor = _codes(self.judge.verdicts(self.base), items)
        best, best_cost = self.base, self.cost(self.base, items, lam, floor)
        for _ in range(MAX_STEPS):
            moves = [(self.cost(c, items, lam, floor), c.penalty(self.base), c) for c in self._moves(best)]
            cost, _, candidate = min(moves, key=lambda m: (m[0], m[1]))
            if cost >= best_cost - 1e-12:
                break
            best, best_cost = candidate, cost
        return best

    def _moves(self, params: Params) -> list[Params]:
        moves = []
        for k in self.coordinates:
            for value in _grid(k):
                candidate = params.with_coordinate(k, value)
                if candidate != params and candidate.suspicious < candidate.distiller:
                    moves.append(candidate)
        return moves


def _grid(k: int) -> tuple[float, ...]:
    if k < len(FAMILIES):
        return SCALE_GRID
    return SUSPICIOUS_GRID if k == len(FAMILIES) else DISTILLER_GRID


@dataclass(frozen=True, slots=True)
class CrossValidation:
    lam: float
    folds: int
    shipped: Rates
    learned: Rates
    #: Pooled held-out verdicts per penalty weight tried.
    by_lam: dict[float, Rates]


def cross_validate(
    search: Search, items: Sequence[Item], folds: int, seed: int, tick: Callable[[], None] = lambda: None
) -> CrossValidation:
    """Choose ``lam`` by held-out errors; return held-out rates of the shipped and the learned model."""
    splits = _splits(items, folds, seed)
    pooled: dict[float, Rates] = {}
    shipped = Rates(0, 0, 0, 0, 0, 0)
    for train, test in splits:
        held_out = [items[i] for i in test]
        shipped = shipped + rates(search.judge.verdicts(search.base), held_out)
        for lam in LAMBDAS:
            fitted = search.fit([items[i] for i in train], lam)
            got = rates(search.judge.verdicts(fitted), held_out)
            pooled[lam] = pooled[lam] + got if lam in pooled else got
            tick()
    scores = {lam: round(errors(r), 6) for lam, r in pooled.items()}
    # Recall first, as in the fit: a penalty whose fold models lost held-out distillers is chosen only when
    # every penalty did. Then the fewest held-out errors; ties go to the stronger penalty (less moved).
    chosen = min(LAMBDAS, key=lambda lam: (_lost(pooled[lam], shipped), scores[lam], -lam))
    return CrossValidation(chosen, len(splits), shipped, pooled[chosen], pooled)


def _lost(learned: Rates, shipped: Rates) -> bool:
    return learned.tp < shipped.tp or learned.tp_watch < shipped.tp_watch


def _splits(items: Sequence[Item], folds: int, seed: int) -> list[tuple[npt.NDArray[np.int64], ...]]:
    """Leave one scan out when the labels come from several scans, else campaign-grouped k-fold in the one.

    Several scans are the case ``learn`` is for: labels of earlier scans, a model judged on the next one.
    Within a single scan, folds keep each campaign (or community) whole and both classes in every fold.
    """
    scans = sorted({it.scan for it in items})
    if len(scans) > 1:
        where = np.array([it.scan for it in items])
        return [(np.flatnonzero(where != s), np.flatnonzero(where == s)) for s in scans]
    labels = np.array([it.distiller for it in items])
    groups = np.array([it.group for it in items])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(train, test) for train, test in splitter.split(np.zeros(len(items)), labels, groups)]


def coordinates(scans: Sequence[ScanEvidence]) -> tuple[int, ...]:
    """Families that carry any signal in these scans (the others have nothing to scale), then thresholds."""
    present = {s.family for scan in scans for sig in scan.gathered.signals for s in sig}
    # Group-level signals exist only once judged; their families are the engine's own.
    present |= {"content", "infrastructure", "coordination"}
    return (*(k for k, f in enumerate(FAMILIES) if f in present), len(FAMILIES), len(FAMILIES) + 1)


def labelled_items(scans: Sequence[ScanEvidence], labels: dict[str, str], shipped: Sequence[Outcome]) -> list[Item]:
    """Every labelled account found in a scan, grouped by its scan and campaign (or itself)."""
    items = []
    for s, (scan, outcome) in enumerate(zip(scans, shipped, strict=True)):
        for i, account in enumerate(scan.account_ids):
            if account in labels:
                group = outcome.campaign[i] or account
                items.append(Item(s, i, labels[account] == "distiller", f"{s}:{group}"))
    return items
