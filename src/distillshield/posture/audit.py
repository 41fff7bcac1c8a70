"""Score a deployment against a baseline: one finding per control, and a weighted score out of 100."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from distillshield.posture.baseline import Baseline, Control, Outcome
from distillshield.posture.config import Deployment


@dataclass(frozen=True, slots=True)
class Finding:
    control: Control
    outcome: Outcome
    #: The config line the finding is about; 0 when the field is not in the file.
    line: int

    def to_dict(self) -> dict[str, Any]:
        c, o = self.control, self.outcome
        return {
            "id": c.id,
            "title": c.title,
            "weight": c.weight,
            "passed": o.passed,
            "found": o.found,
            "expected": o.expected,
            "field": o.path,
            "line": self.line or None,
            "cites": list(c.cites),
            "remedy": c.remedy,
        }


@dataclass(frozen=True, slots=True)
class Scorecard:
    baseline: Baseline
    deployment: Deployment
    findings: tuple[Finding, ...]

    @property
    def score(self) -> float:
        """Share of the baseline's weight that passes, out of 100."""
        total = sum(f.control.weight for f in self.findings)
        passed = sum(f.control.weight for f in self.findings if f.outcome.passed)
        return round(100 * passed / total, 1) if total else 100.0

    @property
    def failed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.outcome.passed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": str(self.deployment.path),
            "provider": self.deployment.provider,
            "baseline": self.baseline.name,
            "score": self.score,
            "passed": len(self.findings) - len(self.failed),
            "failed": len(self.failed),
            "controls": [f.to_dict() for f in self.findings],
        }


def audit(deployment: Deployment, baseline: Baseline) -> Scorecard:
    """Run every control of ``baseline`` on ``deployment``."""
    findings = []
    for control in baseline.controls:
        outcome = control.check.evaluate(deployment)
        findings.append(Finding(control, outcome, deployment.lines.get(outcome.path, 0)))
    return Scorecard(baseline, deployment, tuple(findings))
