"""The provenance stage: prove, with p-values that hold up, that a suspect model learned from the protected one.

Conventions:

* Every test returns a :class:`Finding`: its statistic, an exact or conservative p-value under a
  stated null hypothesis ("the suspect did not learn from the protected model's marked
  outputs"), the assumptions that p-value needs, and what would falsify it.
* Query budgets are fixed before the first query; p-values are never computed on a budget
  chosen by looking at them.
* The watermark schemes themselves live in :mod:`distillshield.respond.watermark`, next to
  the gateway that embeds them; this stage only detects.
* :mod:`distillshield.provenance.testbed` (needs ``distillshield[provenance]``) holds the tiny
  models and loopback server the tests and benchmarks use; it is not imported here.
"""

from __future__ import annotations

from distillshield.provenance.audit import AuditOptions, AuditReport, run_audit, write_report
from distillshield.provenance.canary import Canary, CanaryBook, plant, recall_test
from distillshield.provenance.client import ChatClient, ChatModel
from distillshield.provenance.findings import Finding, holm, skipped
from distillshield.provenance.fingerprint import fingerprint_test, similarity
from distillshield.provenance.identity import identity_test
from distillshield.provenance.plan import AuditPlan, CanaryPlan, load_plan, read_prompts
from distillshield.provenance.radioactivity import black_box, open_weights

__all__ = [
    "AuditOptions",
    "AuditPlan",
    "AuditReport",
    "Canary",
    "CanaryBook",
    "CanaryPlan",
    "ChatClient",
    "ChatModel",
    "Finding",
    "black_box",
    "fingerprint_test",
    "holm",
    "identity_test",
    "load_plan",
    "open_weights",
    "plant",
    "read_prompts",
    "recall_test",
    "run_audit",
    "similarity",
    "skipped",
    "write_report",
]
