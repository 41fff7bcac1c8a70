"""Run every provenance test that applies to a suspect and write one report (JSON + HTML).

The tests are independent pieces of evidence with their own p-values; the report combines them
with Holm's step-down correction, which stays valid however the tests depend on each other. A
test whose inputs are missing is listed as skipped with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from distillshield import __version__
from distillshield.provenance.canary import recall_test
from distillshield.provenance.client import ChatModel
from distillshield.provenance.findings import Finding, holm, skipped
from distillshield.provenance.fingerprint import fingerprint_test
from distillshield.provenance.identity import identity_test
from distillshield.provenance.plan import AuditPlan
from distillshield.provenance.radioactivity import TopOne, black_box, open_weights


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """How hard to query: the budget is fixed before the first query so that p-values stay valid."""

    queries: int = 100
    max_tokens: int = 200
    temperature: float = 1.0
    alpha: float = 1e-3
    protected: ChatModel | None = None
    references: Sequence[ChatModel] = ()
    top_one: TopOne | None = None
    watermarked_texts: Sequence[Sequence[int]] = ()
    #: Random keys that score the same outputs, to measure the radioactivity tests' null (0: none).
    decoys: int = 0


@dataclass(frozen=True, slots=True)
class AuditReport:
    suspect: str
    alpha: float
    findings: tuple[Finding, ...]
    adjusted: dict[str, float] = field(default_factory=dict)
    created: str = ""

    @property
    def combined_p(self) -> float:
        return min(self.adjusted.values(), default=1.0)

    @property
    def verdict(self) -> str:
        if not self.adjusted:
            return "no test could run"
        if self.combined_p < self.alpha:
            return "evidence that the suspect learned from the protected model"
        return "no significant evidence"

    def to_dict(self) -> dict[str, Any]:
        return {
            "suspect": self.suspect,
            "created": self.created,
            "distillshield": __version__,
            "alpha": self.alpha,
            "verdict": self.verdict,
            "combined": {"method": "holm", "p_value": self.combined_p},
            "tests": [{**f.to_dict(), "p_value_holm": self.adjusted.get(f.test)} for f in self.findings],
        }


def run_audit(plan: AuditPlan, suspect: ChatModel, *, name: str, options: AuditOptions | None = None) -> AuditReport:
    """Run the radioactivity, canary, identity and fingerprint tests that ``plan`` and ``options`` allow."""
    options = options or AuditOptions()
    schemes = plan.keyring.schemes
    prompts = plan.prompts[: options.queries]
    findings = [
        black_box(
            suspect,
            schemes,
            plan.tokenize,
            prompts,
            max_tokens=options.max_tokens,
            temperature=options.temperature,
            decoys=options.decoys,
        ),
        _open_weights(plan, options),
        _canaries(plan, suspect),
        identity_test(suspect, plan.identity_names, base_rate=plan.identity_base_rate)
        if plan.identity_names
        else skipped("identity.probes", "the key file names no protected identity (audit.identity.names)"),
        fingerprint_test(suspect, options.protected, references=options.references)
        if options.protected is not None
        else skipped("fingerprint.behaviour", "no protected model endpoint was given (--protected)"),
    ]
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return AuditReport(name, options.alpha, tuple(findings), holm(findings), created)


def _open_weights(plan: AuditPlan, options: AuditOptions) -> Finding:
    if options.top_one is None or not options.watermarked_texts:
        reason = "needs the suspect's weights and watermarked texts (--weights, --texts)"
        return skipped("radioactivity.open_weights", reason)
    return open_weights(options.top_one, plan.keyring.schemes, options.watermarked_texts, decoys=options.decoys)


def _canaries(plan: AuditPlan, suspect: ChatModel) -> Finding:
    if plan.canaries is None or not plan.canaries.campaigns:
        return skipped("canary.recall", "the key file plants no canaries (audit.canaries)")
    c = plan.canaries
    return recall_test(suspect, c.book, c.campaigns, per_campaign=c.per_campaign)


def write_report(report: AuditReport, out: Path) -> tuple[Path, Path]:
    """Write ``audit.json`` and a self-contained ``audit.html`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    data = report.to_dict()
    json_path, html_path = out / "audit.json", out / "audit.html"
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["p"] = format_p
    html_path.write_text(env.from_string(TEMPLATE).render(r=data), encoding="utf-8")
    return json_path, html_path


def format_p(p: float | None) -> str:
    """A p-value for people: three significant digits, and what an underflow to 0 means."""
    if p is None:
        return "n/a"
    return "< 1e-300" if p == 0 else f"{p:.3g}"


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>distillshield audit: {{ r.suspect }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}
.skipped{color:#888}.verdict{font-size:1.2rem;font-weight:bold}
</style></head><body>
<h1>Provenance audit</h1>
<p>Suspect: <code>{{ r.suspect }}</code><br>Run: {{ r.created }} with distillshield {{ r.distillshield }}</p>
<p class="verdict">{{ r.verdict }}</p>
<p>Combined p-value (Holm over {{ r.tests | selectattr('status', 'equalto', 'ran') | list | length }} tests run):
 {{ r.combined.p_value | p }} at alpha = {{ r.alpha }}</p>
<table><tr><th>test</th><th>statistic</th><th>p-value</th><th>Holm</th><th>assumptions</th>
<th>would falsify it</th></tr>
{% for t in r.tests %}
{% if t.status == 'ran' %}
<tr><td>{{ t.test }}</td>
<td>{{ t.statistic_name }}: {{ '%.4g' % t.statistic if t.statistic is not none else 'n/a' }}</td>
<td>{{ t.p_value | p }}</td><td>{{ t.p_value_holm | p }}</td>
<td><ul>{% for a in t.assumptions %}<li>{{ a }}</li>{% endfor %}</ul></td><td>{{ t.falsified_by }}</td></tr>
{% else %}
<tr class="skipped"><td>{{ t.test }}</td><td colspan="5">skipped: {{ t.reason }}</td></tr>
{% endif %}
{% endfor %}
</table>
<h2>Details</h2>
{% for t in r.tests if t.status == 'ran' %}<h3>{{ t.test }}</h3>
<pre>{{ t.details | tojson(indent=2) }}</pre>{% endfor %}
</body></html>
"""
