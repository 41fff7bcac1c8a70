"""report.html: one self-contained page drawn from the files of a scan directory.

:func:`render_report` reads only the scan directory, so a report can be
re-rendered later, or from a directory another tool wrote to the same contract.
accounts.csv and campaigns.json are required; run.json and timeline.csv are
used when present. Account, verdict and campaign figures come from the contract
files themselves, so the page agrees with them even when run.json is missing.

Everything read from the directory is untrusted text (account ids come straight
from the provider's customers): the template autoescapes every value, and only
the plot fragments, which plotly builds with its own JSON escaping, are marked
safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from distillshield.report.contract import (
    AccountRow,
    CampaignRow,
    TimelineRow,
    normalise_run,
    read_accounts_csv,
    read_campaigns_json,
    read_run_json,
    read_timeline_csv,
)
from distillshield.report.evidence import view
from distillshield.report.figures import risk_figure, timeline_figure, to_fragments

REPORT_NAME = "report.html"
TOP_ACCOUNTS = 50
#: Campaigns drawn in full, riskiest first; the rest are only counted (campaigns.json has them all).
CAMPAIGNS_SHOWN = 100
#: Accounts listed under each campaign before the rest are only counted.
CAMPAIGN_ACCOUNTS_SHOWN = 24
#: Thresholds used to colour risks when run.json does not record the scan's own.
DEFAULT_THRESHOLDS = (0.5, 0.8)


@dataclass(frozen=True, slots=True)
class ScanFiles:
    """Everything the report reads from a scan directory."""

    accounts: list[AccountRow]
    campaigns: list[CampaignRow]
    run: dict[str, Any] | None
    timeline: list[TimelineRow] | None


def load_scan(scan_dir: Path) -> ScanFiles:
    """Read and validate the scan directory's files; optional ones missing read as None."""
    run_path, timeline_path = scan_dir / "run.json", scan_dir / "timeline.csv"
    campaigns = read_campaigns_json(scan_dir / "campaigns.json")
    return ScanFiles(
        accounts=read_accounts_csv(scan_dir / "accounts.csv"),
        # Our writer already orders them; a file from elsewhere may not, and the page promises riskiest first.
        campaigns=sorted(campaigns, key=lambda c: (-c.risk, c.campaign_id)),
        run=read_run_json(run_path) if run_path.exists() else None,
        timeline=read_timeline_csv(timeline_path) if timeline_path.exists() else None,
    )


def render_report(scan_dir: Path) -> Path:
    """Write ``scan_dir/report.html`` from the files in ``scan_dir`` and return its path."""
    page = render_html(load_scan(scan_dir))
    target = scan_dir / REPORT_NAME
    target.write_text(page, encoding="utf-8")
    return target


def render_html(scan: ScanFiles) -> str:
    """The report page for already loaded scan files."""
    return _template().render(**report_context(scan))


def _template() -> Template:
    env = Environment(
        loader=PackageLoader("distillshield.report", "templates"),
        autoescape=True,  # every account id, reason and evidence value is user data
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _format_count
    env.filters["risk"] = lambda value: f"{value:.4f}"
    env.filters["moment"] = _format_moment
    env.filters["seconds"] = _format_seconds
    env.filters["bytes"] = _format_bytes
    return env.get_template("report.html.j2")


def report_context(scan: ScanFiles) -> dict[str, Any]:
    """The template's variables: plain values and display trees, nothing pre-escaped but the plots."""
    run = scan.run or normalise_run({})
    thresholds = _thresholds(run)
    return {
        "run": run,
        "inputs": _inputs(run),
        "summary": _summary(scan),
        "timings": _timings(run),
        "campaigns": [_campaign_view(c, thresholds) for c in scan.campaigns[:CAMPAIGNS_SHOWN]],
        "campaigns_total": len(scan.campaigns),
        "top_accounts": _top_accounts(scan.accounts, thresholds),
        "accounts_total": len(scan.accounts),
        "plots": _plots(scan),
        "settings": view(run["settings"]),
        "versions": view(run["versions"]),
        "thresholds": thresholds,
    }


def _summary(scan: ScanFiles) -> dict[str, int | None]:
    counts = scan.run["counts"] if scan.run else {}
    verdicts = [row.verdict for row in scan.accounts]
    return {
        "read": counts.get("read"),
        "accepted": counts.get("accepted"),
        "quarantined": counts.get("quarantined"),
        "duplicates": counts.get("duplicates"),
        "accounts": len(verdicts),
        "suspicious": verdicts.count("suspicious"),
        "distiller": verdicts.count("distiller"),
        "campaigns": len(scan.campaigns),
    }


def _inputs(run: dict[str, Any]) -> list[tuple[str, int | None]]:
    """(path, bytes) per input file; entries of another shape are shown as text."""
    rows: list[tuple[str, int | None]] = []
    for item in run["inputs"]:
        entry = item if isinstance(item, dict) else {"path": item}
        size = entry.get("bytes")
        rows.append((str(entry.get("path", "")), size if isinstance(size, int) else None))
    return rows


def _timings(run: dict[str, Any]) -> list[tuple[str, float]]:
    timings = run["timings_s"]
    return [(str(stage), float(s)) for stage, s in timings.items() if isinstance(s, int | float)]


def _thresholds(run: dict[str, Any]) -> tuple[float, float]:
    settings = run["settings"]
    suspicious = settings.get("suspicious_threshold", DEFAULT_THRESHOLDS[0])
    distiller = settings.get("distiller_threshold", DEFAULT_THRESHOLDS[1])
    if isinstance(suspicious, int | float) and isinstance(distiller, int | float):
        return float(suspicious), float(distiller)
    return DEFAULT_THRESHOLDS


def _level(risk: float, thresholds: tuple[float, float]) -> str:
    """CSS class for a risk: the verdict the scan's thresholds give it."""
    return "distiller" if risk >= thresholds[1] else "suspicious" if risk >= thresholds[0] else "benign"


def _campaign_view(campaign: CampaignRow, thresholds: tuple[float, float]) -> dict[str, Any]:
    return {
        "id": campaign.campaign_id,
        "risk": campaign.risk,
        "level": _level(campaign.risk, thresholds),
        "first_seen": campaign.first_seen,
        "last_seen": campaign.last_seen,
        "active": _format_duration(campaign.last_seen - campaign.first_seen),
        "requests": campaign.requests,
        "accounts": campaign.accounts[:CAMPAIGN_ACCOUNTS_SHOWN],
        "accounts_total": len(campaign.accounts),
        "accounts_more": max(0, len(campaign.accounts) - CAMPAIGN_ACCOUNTS_SHOWN),
        "evidence": view(campaign.evidence),
    }


def _top_accounts(accounts: list[AccountRow], thresholds: tuple[float, float]) -> list[dict[str, Any]]:
    ranked = sorted(accounts, key=lambda row: (-row.risk, row.account_id))[:TOP_ACCOUNTS]
    return [
        {
            "id": row.account_id,
            "risk": row.risk,
            "level": _level(row.risk, thresholds),
            "verdict": row.verdict,
            "campaign": row.campaign_id,
            "reasons": split_reasons(row.reasons),
        }
        for row in ranked
    ]


def split_reasons(reasons: str) -> list[str]:
    """The ``; ``-joined reasons of accounts.csv, one per item; a ``;`` inside parentheses stays put.

    >>> split_reasons("burst=3.2 (per minute; peak); cot_share=0.9")
    ['burst=3.2 (per minute; peak)', 'cot_share=0.9']
    """
    parts, depth, start = [], 0, 0
    for i, char in enumerate(reasons):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0 and reasons[i + 1 : i + 2] == " ":
            parts.append(reasons[start:i])
            start = i + 2
    parts.append(reasons[start:])
    return [part for part in parts if part.strip()]


def _plots(scan: ScanFiles) -> dict[str, Markup]:
    figures = {}
    if scan.timeline:
        figures["timeline"] = timeline_figure(scan.timeline, [c.campaign_id for c in scan.campaigns])
    if scan.accounts:
        figures["risk"] = risk_figure(scan.accounts)
    # plotly escapes "<", ">" and "/" inside its JSON, so the fragments are safe to embed as they are.
    return {name: Markup(html) for name, html in to_fragments(figures).items()}


def _format_count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "—"


def _format_moment(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value) if value else "—"


def _format_seconds(value: float) -> str:
    return f"{value:,.1f} s" if value >= 10 else f"{value:.3f} s"


def _format_duration(span: timedelta) -> str:
    seconds = span.total_seconds()
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            amount = f"{seconds / size:.1f}".removesuffix(".0")
            return f"{amount} {unit}" if amount == "1" else f"{amount} {unit}s"
    return f"{seconds:.0f} seconds"


def _format_bytes(value: object) -> str:
    if not isinstance(value, int):
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:,.0f} B" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GiB"
