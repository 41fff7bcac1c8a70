"""Posture check: audit a provider's deployment settings against a published, cited baseline.

Conventions:

* A deployment config and a baseline are both YAML read into frozen dataclasses;
  every mistake in either is an :class:`~distillshield.errors.InputError` naming
  the file, the line and the dotted field.
* Every control of a baseline cites the guidance it rests on; the shipped
  baseline cites the 2026 reports and advisories summarised in ``docs/posture.md``.
* A field missing from the config is "not set" and fails its control: the
  audit never assumes a safe default on the provider's behalf.
"""

from __future__ import annotations

from distillshield.posture.audit import Finding, Scorecard, audit
from distillshield.posture.baseline import CHECK_TYPES, Baseline, Control, Outcome, default_baseline_path, load_baseline
from distillshield.posture.config import Deployment, Tier, load_deployment

__all__ = [
    "Baseline",
    "CHECK_TYPES",
    "Control",
    "Deployment",
    "Finding",
    "Outcome",
    "Scorecard",
    "Tier",
    "audit",
    "default_baseline_path",
    "load_baseline",
    "load_deployment",
]
