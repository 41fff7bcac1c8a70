"""The evaluate stage: score a scan directory against a benchmark's ground truth.

Conventions:

* The input is the scan output contract (accounts.csv, campaigns.json) and the
  spec's labels.csv; nothing else of a scan is read, so any tool that writes the
  contract can be scored the same way.
* The primary figures are for the ``distiller`` verdict; ``suspicious``-or-worse
  figures sit beside them. Zero denominators give 0.0 overall and ``None`` per
  archetype, as documented in :mod:`distillshield.evaluate.metrics`.
* Accounts are matched by exact id; labelled accounts the scan missed count as
  predicted benign, and accounts without a label are left out.
"""

from __future__ import annotations

from distillshield.evaluate.labels import LABEL_COLUMNS, LabelRow, read_labels_csv
from distillshield.evaluate.metrics import ArchetypeResult, Confusion, Evaluation, campaign_ari, evaluate, score

__all__ = [
    "ArchetypeResult",
    "Confusion",
    "Evaluation",
    "LABEL_COLUMNS",
    "LabelRow",
    "campaign_ari",
    "evaluate",
    "read_labels_csv",
    "score",
]
