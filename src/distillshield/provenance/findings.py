"""One audit test's outcome, and how the outcomes of several tests are combined."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    """What one test measured, its p-value, what it assumes and what would falsify it.

    ``status`` is ``"ran"`` or ``"skipped"`` (then ``reason`` says why and there is no p-value).
    A p-value is the probability, under the test's null hypothesis (the suspect did not learn from
    the protected model's marked outputs), of a statistic at least as extreme as the one observed.
    """

    test: str
    status: str
    statistic_name: str = ""
    statistic: float | None = None
    p_value: float | None = None
    assumptions: tuple[str, ...] = ()
    falsified_by: str = ""
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "status": self.status,
            "statistic_name": self.statistic_name,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "assumptions": list(self.assumptions),
            "falsified_by": self.falsified_by,
            "reason": self.reason,
            "details": dict(self.details),
        }


def skipped(test: str, reason: str) -> Finding:
    return Finding(test=test, status="skipped", reason=reason)


def holm(findings: Sequence[Finding]) -> dict[str, float]:
    """Holm-adjusted p-values by test name: valid under any dependence between the tests."""
    ran = sorted((f for f in findings if f.p_value is not None), key=lambda f: f.p_value or 0.0)
    adjusted, running = {}, 0.0
    for rank, finding in enumerate(ran):
        running = max(running, min(1.0, (len(ran) - rank) * (finding.p_value or 0.0)))
        adjusted[finding.test] = running
    return adjusted
