"""Score a scan directory against a benchmark's labels.csv.

The primary prediction is the ``distiller`` verdict: an account is predicted
positive iff its verdict is ``distiller``. ``suspicious``-or-worse is reported
beside it, since a watch list catches more at the cost of more false alarms.

Accounts are matched by exact id. A labelled account the scan did not report
counts as predicted benign and is listed as ``missing``; an account the scan
reported but the labels do not know is listed as ``unlabelled`` and left out of
every number.

Zero division: every ratio whose denominator is zero is 0.0 (precision with no
predicted positive, recall with no distiller, FPR with no benign account, F1
when precision and recall are both 0), so the overall figures are always
numbers. Per archetype, recall is ``None`` for an archetype with no distiller
and FPR ``None`` for one with no benign account: those rates do not apply.

Campaign grouping is scored with the adjusted Rand index over all labelled
accounts: the true cluster of a distiller is its campaign_id (a singleton when
it has none), each benign account is a singleton, and the predicted cluster is
the account's campaign_id in accounts.csv, or a singleton when empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillshield.errors import InputError, Location
from distillshield.evaluate.labels import DISTILLER, LabelRow, read_labels_csv
from distillshield.report.contract import AccountRow, CampaignRow, read_accounts_csv, read_campaigns_json

#: Verdicts that put an account at least on the watch list.
SUSPICIOUS_OR_WORSE = frozenset({"suspicious", "distiller"})
#: Archetypes are listed distiller first: their recall is what a benchmark is usually read for.
_LABEL_ORDER = {"distiller": 0, "mixed": 1, "benign": 2}


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


@dataclass(frozen=True, slots=True)
class Confusion:
    """Confusion counts of one binary prediction, with the rates derived from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @classmethod
    def of(cls, pairs: Iterable[tuple[bool, bool]]) -> Confusion:
        """Count ``(actual, predicted)`` pairs."""
        cells = {(True, True): 0, (False, True): 0, (True, False): 0, (False, False): 0}
        for pair in pairs:
            cells[pair] += 1
        return cls(cells[True, True], cells[False, True], cells[True, False], cells[False, False])

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        return self.fp + self.tn

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.positives)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def fpr(self) -> float:
        return _ratio(self.fp, self.negatives)

    def to_dict(self) -> dict[str, int | float]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "false_positive_rate": self.fpr,
        }


@dataclass(frozen=True, slots=True)
class ArchetypeResult:
    """How the scan did on the accounts of one archetype."""

    archetype: str
    #: ``benign``, ``distiller``, or ``mixed`` when the archetype carries both labels.
    label: str
    accounts: int
    #: Predicted positive iff verdict == "distiller".
    confusion: Confusion
    #: Predicted positive iff verdict is "suspicious" or "distiller".
    suspicious_or_worse: Confusion

    @property
    def recall(self) -> float | None:
        return _recall_if_any(self.confusion)

    @property
    def fpr(self) -> float | None:
        return _fpr_if_any(self.confusion)

    @property
    def suspicious_or_worse_recall(self) -> float | None:
        return _recall_if_any(self.suspicious_or_worse)

    @property
    def suspicious_or_worse_fpr(self) -> float | None:
        return _fpr_if_any(self.suspicious_or_worse)

    def to_dict(self) -> dict[str, Any]:
        c = self.confusion
        return {
            "archetype": self.archetype,
            "label": self.label,
            "accounts": self.accounts,
            "tp": c.tp,
            "fp": c.fp,
            "fn": c.fn,
            "tn": c.tn,
            "recall": self.recall,
            "false_positive_rate": self.fpr,
            "suspicious_or_worse": {
                "recall": self.suspicious_or_worse_recall,
                "false_positive_rate": self.suspicious_or_worse_fpr,
            },
        }


def _recall_if_any(confusion: Confusion) -> float | None:
    return confusion.recall if confusion.positives else None


def _fpr_if_any(confusion: Confusion) -> float | None:
    return confusion.fpr if confusion.negatives else None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every figure of one scan scored against one labels file."""

    #: Over all labelled accounts; predicted positive iff verdict == "distiller".
    overall: Confusion
    #: Over all labelled accounts; predicted positive iff verdict is "suspicious" or "distiller".
    suspicious_or_worse: Confusion
    archetypes: tuple[ArchetypeResult, ...]
    #: Adjusted Rand index of the campaign grouping over all labelled accounts.
    ari: float
    true_campaigns: int
    predicted_campaigns: int
    #: Labelled accounts absent from accounts.csv (scored as predicted benign).
    missing: tuple[str, ...]
    #: Accounts in accounts.csv absent from the labels (left out of every figure).
    unlabelled: tuple[str, ...]

    @property
    def labelled(self) -> int:
        return self.overall.positives + self.overall.negatives

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values; ``None`` marks a rate that does not apply."""
        return {
            "accounts": {
                "labelled": self.labelled,
                "distiller": self.overall.positives,
                "benign": self.overall.negatives,
                "missing": len(self.missing),
                "unlabelled": len(self.unlabelled),
            },
            "overall": self.overall.to_dict(),
            "suspicious_or_worse": self.suspicious_or_worse.to_dict(),
            "archetypes": [a.to_dict() for a in self.archetypes],
            "campaigns": {"true": self.true_campaigns, "predicted": self.predicted_campaigns, "ari": self.ari},
            "missing": list(self.missing),
            "unlabelled": list(self.unlabelled),
        }


def evaluate(labels_csv: Path, scan_dir: Path) -> Evaluation:
    """Score the scan in ``scan_dir`` (accounts.csv, campaigns.json) against ``labels_csv``."""
    labels = read_labels_csv(labels_csv)
    accounts_csv = scan_dir / "accounts.csv"
    accounts = read_accounts_csv(accounts_csv)
    campaigns = read_campaigns_json(scan_dir / "campaigns.json")
    _check_campaign_ids(accounts, campaigns, accounts_csv)
    return score(labels, {row.account_id: row for row in accounts}, predicted_campaigns=len(campaigns))


def _check_campaign_ids(accounts: Sequence[AccountRow], campaigns: Sequence[CampaignRow], path: Path) -> None:
    """accounts.csv may only name campaigns that campaigns.json describes; else the directory is inconsistent."""
    known = {c.campaign_id for c in campaigns}
    for row in accounts:
        if row.campaign_id is not None and row.campaign_id not in known:
            reason = f"account {row.account_id!r} names campaign {row.campaign_id!r}, which campaigns.json lacks"
            raise InputError(reason, Location(path, 0, "campaign_id"))


def score(labels: Sequence[LabelRow], predicted: Mapping[str, AccountRow], *, predicted_campaigns: int) -> Evaluation:
    """The evaluation of ``predicted`` (scan rows by account id) against ``labels``; no file access."""
    verdicts = {row.account_id: _verdict(predicted.get(row.account_id)) for row in labels}
    labelled = {row.account_id for row in labels}
    return Evaluation(
        overall=_confusion(labels, verdicts, {"distiller"}),
        suspicious_or_worse=_confusion(labels, verdicts, SUSPICIOUS_OR_WORSE),
        archetypes=_archetypes(labels, verdicts),
        ari=campaign_ari(labels, predicted),
        true_campaigns=len({row.campaign_id for row in labels if row.label == DISTILLER and row.campaign_id}),
        predicted_campaigns=predicted_campaigns,
        missing=tuple(sorted(labelled - predicted.keys())),
        unlabelled=tuple(sorted(predicted.keys() - labelled)),
    )


def _verdict(row: AccountRow | None) -> str:
    return row.verdict if row is not None else "benign"  # an account the scan never saw was not flagged


def _confusion(labels: Iterable[LabelRow], verdicts: Mapping[str, str], positive: Iterable[str]) -> Confusion:
    hits = frozenset(positive)
    return Confusion.of((row.label == DISTILLER, verdicts[row.account_id] in hits) for row in labels)


def _archetypes(labels: Sequence[LabelRow], verdicts: Mapping[str, str]) -> tuple[ArchetypeResult, ...]:
    groups: dict[str, list[LabelRow]] = defaultdict(list)
    for row in labels:
        groups[row.archetype].append(row)
    results = [_archetype(name, rows, verdicts) for name, rows in groups.items()]
    return tuple(sorted(results, key=lambda r: (_LABEL_ORDER[r.label], r.archetype)))


def _archetype(name: str, rows: list[LabelRow], verdicts: Mapping[str, str]) -> ArchetypeResult:
    kinds = {row.label for row in rows}
    return ArchetypeResult(
        archetype=name,
        label=kinds.pop() if len(kinds) == 1 else "mixed",
        accounts=len(rows),
        confusion=_confusion(rows, verdicts, {"distiller"}),
        suspicious_or_worse=_confusion(rows, verdicts, SUSPICIOUS_OR_WORSE),
    )


def campaign_ari(labels: Sequence[LabelRow], predicted: Mapping[str, AccountRow]) -> float:
    """Adjusted Rand index between the true and the predicted campaigns of the labelled accounts."""
    # Imported here: scikit-learn takes about a second to import, and every CLI command imports this module.
    from sklearn.metrics import adjusted_rand_score

    # The prefixes keep a singleton named after an account apart from a campaign that shares its name.
    truth = [_cluster(row.campaign_id if row.label == DISTILLER else None, row.account_id) for row in labels]
    guess = [_cluster(_campaign_of(predicted.get(row.account_id)), row.account_id) for row in labels]
    return float(adjusted_rand_score(_codes(truth), _codes(guess)))


def _codes(clusters: list[str]) -> list[int]:
    """Small integers in place of cluster names: scikit-learn sorts integer labels far faster than strings."""
    index: dict[str, int] = {}
    return [index.setdefault(name, len(index)) for name in clusters]


def _campaign_of(row: AccountRow | None) -> str | None:
    return row.campaign_id if row is not None else None


def _cluster(campaign_id: str | None, account_id: str) -> str:
    return f"campaign:{campaign_id}" if campaign_id else f"account:{account_id}"
