"""What ``learn`` writes: the model file (YAML) and a Markdown report of what moved and by how much."""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from distillshield.detect.model import MODEL_VERSION
from distillshield.learn.fit import Rates, errors
from distillshield.learn.run import LearnResult
from distillshield.records import FAMILIES

HEADER = "# distillshield learned model: load with `distillshield scan --model FILE` (docs/learn.md)\n"


def model_yaml(result: LearnResult) -> str:
    """The model file: scales that moved, both thresholds, dismissed accounts and how it was fitted."""
    p = result.params
    document: dict[str, Any] = {
        "version": MODEL_VERSION,
        "families": {f: s for f, s in zip(FAMILIES, p.scales, strict=True) if s != 1.0},
        "thresholds": {"suspicious": p.suspicious, "distiller": p.distiller},
        "dismissed": [{"account": a, "risk": r} for a, r in result.dismissed.items()],
        "fit": {
            "scans": [str(d) for d in result.scan_dirs],
            "labels": {"benign": result.train_learned.benign, "distiller": result.train_learned.distillers},
            "penalty": result.cv.lam,
            "folds": result.cv.folds,
            "cross_validated": {"shipped": _figures(result.cv.shipped), "learned": _figures(result.cv.learned)},
            "held_back_contradictions": sum(1 for c in result.contradictions if c.held_back),
        },
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _figures(r: Rates) -> dict[str, float]:
    return {
        "fpr": round(r.fpr, 4),
        "recall": round(r.recall, 4),
        "fpr_watch": round(r.fpr_watch, 4),
        "recall_watch": round(r.recall_watch, 4),
    }


def report_markdown(result: LearnResult, limit: int = 50) -> str:
    """The report: moves, cross-validated and training figures, contradictions, quarantine, changes."""
    parts = [
        "# What the labels changed\n",
        _moves(result),
        _figures_table(result),
        _contradictions(result, limit),
        _quarantine(result, limit),
        _changes(result, limit),
    ]
    return "\n".join(parts)


def _moves(result: LearnResult) -> str:
    lines = ["## Weights and thresholds\n", "| parameter | shipped | learned | moved |", "|---|---|---|---|"]
    for family, before, after in zip(FAMILIES, result.base.scales, result.params.scales, strict=True):
        lines.append(f"| {family} evidence scale | {before:g} | {after:g} | {_moved(before, after, 'x')} |")
    for name, before, after in (
        ("suspicious threshold", result.base.suspicious, result.params.suspicious),
        ("distiller threshold", result.base.distiller, result.params.distiller),
    ):
        lines.append(f"| {name} | {before:g} | {after:g} | {_moved(before, after, '+')} |")
    lines.append(
        f"\nPenalty weight {result.cv.lam:g} chosen by {result.cv.folds}-fold cross-validation; "
        f"{result.candidates_judged} candidate models judged; {len(result.dismissed)} dismissed accounts remembered.\n"
    )
    lines += [
        "| penalty | held-out errors | FPR | recall | FPR watch | recall watch |",
        "|---|---|---|---|---|---|",
    ]
    for lam, r in sorted(result.cv.by_lam.items()):
        lines.append(
            f"| {lam:g} | {errors(r):.4f} | {r.fpr:.4f} | {r.recall:.4f} | {r.fpr_watch:.4f} | {r.recall_watch:.4f} |"
        )
    return "\n".join(lines) + "\n"


def _moved(before: float, after: float, kind: str) -> str:
    if before == after:
        return "—"
    return f"×{after / before:.2f}" if kind == "x" else f"{after - before:+.2f}"


def _figures_table(result: LearnResult) -> str:
    rows = [
        ("cross-validated (held out), shipped", result.cv.shipped),
        ("cross-validated (held out), learned", result.cv.learned),
        ("all labels, shipped", result.train_shipped),
        ("all labels, learned (without memory)", result.train_learned),
    ]
    lines = [
        "## Verdicts against the labels\n",
        "FPR: benign accounts judged `distiller`; watch: `suspicious` or worse.\n",
        "| model | benign | distillers | FPR | recall | FPR watch | recall watch |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r.benign} | {r.distillers} | {r.fpr:.4f} | {r.recall:.4f} | "
            f"{r.fpr_watch:.4f} | {r.recall_watch:.4f} |"
        )
    return "\n".join(lines) + "\n"


def _contradictions(result: LearnResult, limit: int) -> str:
    found = result.contradictions
    lines = ["## Labels that contradict strong evidence\n"]
    if not found:
        return "\n".join([*lines, "None.\n"])
    held = sum(1 for c in found if c.held_back)
    lines.append(
        f"{len(found)} labels go against the evidence; {held} dismissals by a single analyst are held back "
        "(left out of the fit and the dismissed memory) until a second analyst agrees.\n"
    )
    by_campaign = Counter((c.campaign_id or "—", ", ".join(c.analysts)) for c in found)
    lines += ["| campaign | analysts | labels |", "|---|---|---|"]
    lines += [f"| {campaign} | {who} | {n} |" for (campaign, who), n in sorted(by_campaign.items())]
    lines += [
        "",
        "| account | label | analysts | scan verdict | risk | campaign | held back |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in found[:limit]:
        lines.append(
            f"| {_cell(c.account_id)} | {c.label} | {_cell(', '.join(c.analysts))} | {c.verdict} | {c.risk:.3f} | "
            f"{c.campaign_id or ''} | {'yes' if c.held_back else 'no'} |"
        )
    if len(found) > limit:
        lines.append(f"\n… and {len(found) - limit} more.")
    return "\n".join(lines) + "\n"


def _quarantine(result: LearnResult, limit: int) -> str:
    rows = result.labels.quarantined
    conflicting = result.labels.conflicting()
    lines = ["## Labels not used\n"]
    lines.append(
        f"{len(rows)} rows quarantined, {len(conflicting)} accounts with conflicting labels, "
        f"{result.unmatched} labelled accounts not found in the scans.\n"
    )
    lines += [f"- {_cell(str(q.where))}: {_cell(q.reason)}" for q in rows[:limit]]
    lines += [f"- {_cell(a)}: confirmed by one analyst, dismissed by another" for a in conflicting[:limit]]
    return "\n".join(lines) + "\n"


def _changes(result: LearnResult, limit: int) -> str:
    changes = result.changes
    moves = Counter((c.before, c.after) for c in changes)
    lines = [
        f"## Verdict changes on the last scan ({result.scan_dirs[-1]})\n",
        "| before | after | accounts |",
        "|---|---|---|",
    ]
    lines += [f"| {before} | {after} | {n} |" for (before, after), n in sorted(moves.items())]
    lines += ["", "| account | label | before | after | risk before | risk after |", "|---|---|---|---|---|---|"]
    for c in changes[:limit]:
        lines.append(
            f"| {_cell(c.account_id)} | {c.label or ''} | {c.before} | {c.after} | "
            f"{c.risk_before:.3f} | {c.risk_after:.3f} |"
        )
    if len(changes) > limit:
        lines.append(f"\n… and {len(changes) - limit} more.")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Untrusted text (account ids, analyst names) made safe for one Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")[:120]
