"""The learn stage: analysts' labels fitted into a model that changes the next scan.

Conventions:

* a model is an overlay (:mod:`distillshield.detect.model`): evidence scales per
  family, the two verdict thresholds and the accounts analysts dismissed; scorers and
  rules are never edited;
* candidate models are judged by the engine's own code on evidence gathered once from
  a finished scan (:mod:`distillshield.learn.evidence`), so what is learned is what a
  scan with ``--model`` does;
* labels are hostile input: bad rows are quarantined with file, line and field
  (:mod:`distillshield.learn.labels`); a dismissal that contradicts strong evidence
  needs a second analyst (:mod:`distillshield.learn.run`);
* figures are cross-validated with a campaign never split across folds
  (:mod:`distillshield.learn.fit`).
"""

from __future__ import annotations

from distillshield.learn.evidence import ScanEvidence, load_scan
from distillshield.learn.labels import LabelSet, read_label_files
from distillshield.learn.report import model_yaml, report_markdown
from distillshield.learn.run import LearnOptions, LearnResult, learn

__all__ = [
    "LabelSet",
    "LearnOptions",
    "LearnResult",
    "ScanEvidence",
    "learn",
    "load_scan",
    "model_yaml",
    "read_label_files",
    "report_markdown",
]
