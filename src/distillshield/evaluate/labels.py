"""labels.csv: the ground truth a benchmark data set ships beside its log.

Columns (the traffic-log spec, "Ground truth for benchmarks"): ``account_id``,
``label`` (``benign`` or ``distiller``), ``campaign_id`` (empty for benign),
``archetype`` (free text). Other columns are allowed and ignored, so a data set
may carry more annotations than the spec asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from distillshield.errors import InputError, Location
from distillshield.report.contract import iter_csv

LABEL_COLUMNS = ("account_id", "label", "campaign_id", "archetype")
BENIGN = "benign"
DISTILLER = "distiller"
LABELS = (BENIGN, DISTILLER)


@dataclass(frozen=True, slots=True)
class LabelRow:
    """The truth about one account."""

    account_id: str
    label: str
    campaign_id: str | None
    archetype: str


def read_labels_csv(path: Path) -> list[LabelRow]:
    """Read and validate labels.csv; raise :class:`InputError` naming the line and field of a bad value."""
    rows: list[LabelRow] = []
    seen: set[str] = set()
    for line, raw in iter_csv(path, LABEL_COLUMNS, exact=False):
        row = _label_row(path, line, raw)
        if row.account_id in seen:
            raise InputError(f"account {row.account_id!r} is labelled twice", Location(path, line, "account_id"))
        seen.add(row.account_id)
        rows.append(row)
    if not rows:
        raise InputError("no account is labelled", Location(path))
    return rows


def _label_row(path: Path, line: int, raw: dict[str, str]) -> LabelRow:
    if not raw["account_id"]:
        raise InputError("account_id is empty", Location(path, line, "account_id"))
    label = raw["label"]
    if label not in LABELS:
        raise InputError(f"{label!r} is not one of {', '.join(LABELS)}", Location(path, line, "label"))
    if label == BENIGN and raw["campaign_id"]:
        # The spec leaves campaign_id empty for benign accounts; a value here means a mislabelled row.
        where = Location(path, line, "campaign_id")
        raise InputError(f"benign account has campaign_id {raw['campaign_id']!r}", where)
    return LabelRow(raw["account_id"], label, raw["campaign_id"] or None, raw["archetype"])
