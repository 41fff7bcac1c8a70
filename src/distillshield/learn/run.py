"""``learn``: labels and scans in, a model (weights, thresholds, dismissed accounts) and its report out.

Guard rails, in the order they apply:

1. labels are hostile input: bad rows are quarantined with file, line and field;
   accounts that analysts disagree on are left out;
2. a dismissal that contradicts strong evidence (the account was judged ``distiller``,
   which takes corroborated evidence) is **held back** from the fit and from the
   dismissed memory unless at least two analysts dismissed it, or the run is told to
   accept contradictions; either way the report lists it. One analyst cannot
   whitelist a campaign by dismissing its members;
3. too few labels of either class (after matching them to the scans) is an error;
4. recall is a constraint of the fit (:mod:`distillshield.learn.fit`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from distillshield.errors import ConfigError
from distillshield.evaluate.labels import BENIGN, DISTILLER
from distillshield.learn.evidence import SUSPICIOUS, Outcome, ScanEvidence
from distillshield.learn.fit import (
    LAMBDAS,
    CrossValidation,
    Item,
    Judge,
    Params,
    Rates,
    Search,
    coordinates,
    cross_validate,
    labelled_items,
    rates,
)
from distillshield.learn.labels import LabelSet
from distillshield.progress import SILENT, Progress

VERDICT_NAMES = ("benign", "suspicious", "distiller")


@dataclass(frozen=True, slots=True)
class Contradiction:
    """A label that goes against strong evidence in a scan."""

    account_id: str
    label: str
    analysts: tuple[str, ...]
    verdict: str
    risk: float
    campaign_id: str | None
    #: Left out of the fit and the dismissed memory.
    held_back: bool


@dataclass(frozen=True, slots=True)
class VerdictChange:
    account_id: str
    label: str | None
    before: str
    after: str
    risk_before: float
    risk_after: float


@dataclass(frozen=True, slots=True)
class LearnOptions:
    min_labels: int = 10
    folds: int = 3
    seed: int = 0
    accept_contradictions: bool = False


@dataclass(frozen=True, slots=True)
class LearnResult:
    labels: LabelSet
    base: Params
    params: Params
    cv: CrossValidation
    #: All labels used, judged by the shipped model and by the learned one (without its dismissed memory).
    train_shipped: Rates
    train_learned: Rates
    contradictions: tuple[Contradiction, ...]
    dismissed: dict[str, float]
    #: Verdict changes on the last scan (the learned model with its memory against the shipped one).
    changes: tuple[VerdictChange, ...]
    unmatched: int
    candidates_judged: int
    scan_dirs: tuple[Path, ...]


def learn(
    labels: LabelSet, scans: Sequence[ScanEvidence], options: LearnOptions, progress: Progress = SILENT
) -> LearnResult:
    """Fit a model to ``labels`` on the evidence of ``scans`` (see the module docstring)."""
    if not scans:
        raise ConfigError("learn needs at least one scan (--scan DIR)")
    base = Params.shipped(scans[0].settings)
    judge = Judge(scans)
    shipped = [scan.judge(base.model()) for scan in scans]
    decided = labels.decided()
    contradictions = find_contradictions(labels, scans, shipped, options.accept_contradictions)
    for c in contradictions:
        if c.held_back:
            decided.pop(c.account_id, None)
    items = labelled_items(scans, decided, shipped)
    _check_counts(items, options.min_labels)
    search = Search(judge, base, coordinates(scans))
    task = progress.task("Fitting to labels", total=options.folds * len(LAMBDAS) + 1)
    cv = cross_validate(search, items, options.folds, options.seed, task.advance)
    params = search.fit(items, cv.lam)
    task.advance()
    task.close()
    dismissed = remembered(scans, shipped, decided, params)
    matched = {scans[it.scan].account_ids[it.index] for it in items}
    return LearnResult(
        labels,
        base,
        params,
        cv,
        rates(judge.verdicts(base), items),
        rates(judge.verdicts(params), items),
        contradictions,
        dismissed,
        verdict_changes(scans[-1], shipped[-1], params, dismissed, decided),
        len(set(decided) - matched),
        judge.judged,
        tuple(scan.scan_dir for scan in scans),
    )


def _check_counts(items: Sequence[Item], least: int) -> None:
    distillers = sum(1 for it in items if it.distiller)
    benign = len(items) - distillers
    if min(benign, distillers) < least:
        raise ConfigError(
            f"learn needs at least {least} labelled accounts of each class found in the scans; found {benign} "
            f"benign and {distillers} distiller (--min-labels sets the floor)"
        )


def find_contradictions(
    labels: LabelSet, scans: Sequence[ScanEvidence], shipped: Sequence[Outcome], accept: bool
) -> tuple[Contradiction, ...]:
    """Dismissals of accounts judged distiller, and confirmations of accounts with no evidence at all."""
    decided = labels.decided()
    found: dict[str, Contradiction] = {}
    for scan, outcome in zip(scans, shipped, strict=True):
        for i, account in enumerate(scan.account_ids):
            label = decided.get(account)
            verdict = VERDICT_NAMES[int(outcome.verdict[i])]
            against = (label == BENIGN and verdict == "distiller") or (label == DISTILLER and outcome.risk[i] <= 0.0)
            if not against or account in found:
                continue
            analysts = tuple(sorted(labels.analysts(account)))
            held = label == BENIGN and len(analysts) < 2 and not accept
            found[account] = Contradiction(
                account, label or "", analysts, verdict, float(outcome.risk[i]), outcome.campaign[i], held
            )
    return tuple(sorted(found.values(), key=lambda c: (c.campaign_id or "~", c.account_id)))


def remembered(
    scans: Sequence[ScanEvidence], shipped: Sequence[Outcome], decided: dict[str, str], params: Params
) -> dict[str, float]:
    """Benign-labelled accounts that the shipped or the learned model flags, with their own risk under the
    learned model: a scan with the model keeps them benign while their own risk stays at or under it."""
    memory: dict[str, float] = {}
    for scan, before in zip(scans, shipped, strict=True):
        after = scan.judge(params.model())
        for i, account in enumerate(scan.account_ids):
            flagged = before.verdict[i] >= SUSPICIOUS or after.verdict[i] >= SUSPICIOUS
            if decided.get(account) == BENIGN and flagged:
                # Rounded up: a risk written rounded down would read as risen on the very next scan.
                memory[account] = math.ceil(float(after.own_risk[i]) * 10_000) / 10_000
    return dict(sorted(memory.items()))


def verdict_changes(
    scan: ScanEvidence, shipped: Outcome, params: Params, dismissed: dict[str, float], decided: dict[str, str]
) -> tuple[VerdictChange, ...]:
    after = scan.judge(params.model(dismissed))
    changes = []
    for i, account in enumerate(scan.account_ids):
        if after.verdict[i] != shipped.verdict[i]:
            changes.append(
                VerdictChange(
                    account,
                    decided.get(account),
                    VERDICT_NAMES[int(shipped.verdict[i])],
                    VERDICT_NAMES[int(after.verdict[i])],
                    round(float(shipped.risk[i]), 4),
                    round(float(after.risk[i]), 4),
                )
            )
    return tuple(sorted(changes, key=lambda c: (c.after, -c.risk_before, c.account_id)))
