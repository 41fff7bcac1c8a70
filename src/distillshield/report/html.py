"""report.html: one self-contained page drawn from the files of a scan directory.

:func:`render_report` reads only the scan directory, so a report can be
re-rendered later, or from a directory another tool wrote to the same contract.
accounts.csv and campaigns.json are required; run.json and timeline.csv are
used when present. Account, verdict and campaign figures come from the contract
files themselves, so the page agrees with them even when run.json is missing.

Each campaign reads as a document: a plain-language summary, its targeted
capabilities, observations kept apart from inferences, and recommended actions,
all generated from campaigns.json alone. The account-link graph and the hourly
timeline per sign-up cohort need the scan database (scan.duckdb beside the
files, or the one passed in) and are left out, with a note, without it.
:func:`render_pdf` prints a script-free variant of the page with headless
Chromium.

Everything read from the directory is untrusted text (account ids come straight
from the provider's customers): the template autoescapes every value, and only
the plot fragments, which plotly builds with its own JSON escaping, are marked
safe.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from distillshield.errors import ConfigError, PluginError
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
from distillshield.report.figures import (
    cohort_hours,
    cohort_timeline_svg,
    link_edges,
    link_graph_svg,
    risk_figure,
    timeline_figure,
    to_fragments,
)

REPORT_NAME = "report.html"
DOCUMENT_NAME = "report-print.html"
PDF_NAME = "report.pdf"
DATABASE_NAME = "scan.duckdb"
#: Campaigns, riskiest first, that get the link graph and hourly timeline drawn from the scan database.
FIGURE_CAMPAIGNS = 20
#: Browsers tried, in order, to print the PDF; ``$DISTILLSHIELD_CHROMIUM`` overrides them.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_S = 120
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
    #: Campaign id -> (link graph SVG, hourly cohort timeline SVG), for those the scan database could draw.
    figures: dict[str, tuple[str, str]] | None = None


def load_scan(scan_dir: Path, db_path: Path | None = None) -> ScanFiles:
    """Read and validate the scan directory's files; optional ones missing read as None.

    The campaign figures come from the scan database (``db_path``, default
    ``scan_dir/scan.duckdb``) when it exists; without it the report says so.
    """
    run_path, timeline_path = scan_dir / "run.json", scan_dir / "timeline.csv"
    campaigns = read_campaigns_json(scan_dir / "campaigns.json")
    ordered = sorted(campaigns, key=lambda c: (-c.risk, c.campaign_id))
    return ScanFiles(
        accounts=read_accounts_csv(scan_dir / "accounts.csv"),
        # Our writer already orders them; a file from elsewhere may not, and the page promises riskiest first.
        campaigns=ordered,
        run=read_run_json(run_path) if run_path.exists() else None,
        timeline=read_timeline_csv(timeline_path) if timeline_path.exists() else None,
        figures=campaign_figures(db_path or scan_dir / DATABASE_NAME, ordered[:FIGURE_CAMPAIGNS]),
    )


def campaign_figures(db_path: Path, campaigns: list[CampaignRow]) -> dict[str, tuple[str, str]] | None:
    """Link graph and hourly timeline SVGs per campaign, or None when there is no readable scan database."""
    if not db_path.exists() or not campaigns:
        return None
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            return {
                c.campaign_id: (
                    link_graph_svg(c.accounts, link_edges(con, c.accounts)),
                    cohort_timeline_svg(cohort_hours(con, c.accounts)),
                )
                for c in campaigns
            }
    except duckdb.Error:  # another tool's layout, or a database still held by a writer: report without figures
        return None


def render_report(scan_dir: Path, db_path: Path | None = None) -> Path:
    """Write ``scan_dir/report.html`` from the files in ``scan_dir`` and return its path."""
    page = render_html(load_scan(scan_dir, db_path))
    target = scan_dir / REPORT_NAME
    target.write_text(page, encoding="utf-8")
    return target


def render_html(scan: ScanFiles, *, printable: bool = False) -> str:
    """The report page for already loaded scan files; ``printable`` leaves out the interactive plots."""
    context = report_context(scan)
    if printable:
        context["plots"] = {}
    return _template().render(**context, printable=printable)


def render_pdf(scan_dir: Path, db_path: Path | None = None, browser: str | None = None) -> Path:
    """Write ``scan_dir/report.pdf`` (through headless Chromium) and the print page it comes from."""
    document = scan_dir / DOCUMENT_NAME
    document.write_text(render_html(load_scan(scan_dir, db_path), printable=True), encoding="utf-8")
    target = scan_dir / PDF_NAME
    print_to_pdf(document, target, find_browser(browser))
    return target


def find_browser(explicit: str | None = None) -> str:
    """The Chromium executable to print with: ``explicit``, ``$DISTILLSHIELD_CHROMIUM``, or one on PATH."""
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise ConfigError(f"--browser {explicit}: no such executable")
        return found
    for name in (os.environ.get("DISTILLSHIELD_CHROMIUM"), *CHROMIUM_NAMES):
        found = shutil.which(name) if name else None
        if found:
            return found
    raise ConfigError("printing the PDF needs Chromium: install it (apt-get install chromium) or pass --browser PATH")


def print_to_pdf(page: Path, target: Path, browser: str) -> None:
    """Print a local HTML page to PDF with headless Chromium, offline and with a throwaway profile."""
    with tempfile.TemporaryDirectory(prefix="distillshield-pdf-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",  # Chromium's sandbox needs privileges containers and CI runners rarely grant
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target.resolve()}",
            page.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PluginError(f"{browser} could not print {page}: {exc}") from exc
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise PluginError(f"{browser} could not print {page} (exit {done.returncode}): {' / '.join(tail)}")


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
    figures = scan.figures or {}
    return {
        "run": run,
        "inputs": _inputs(run),
        "summary": _summary(scan),
        "timings": _timings(run),
        "campaigns": [
            _campaign_view(c, thresholds, figures.get(c.campaign_id)) for c in scan.campaigns[:CAMPAIGNS_SHOWN]
        ],
        "figures_drawn": scan.figures is not None,
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


def _campaign_view(
    campaign: CampaignRow, thresholds: tuple[float, float], figures: tuple[str, str] | None = None
) -> dict[str, Any]:
    level = _level(campaign.risk, thresholds)
    signals = [s for s in campaign.evidence.get("signals", []) if isinstance(s, dict)]
    return {
        "id": campaign.campaign_id,
        "risk": campaign.risk,
        "level": level,
        "first_seen": campaign.first_seen,
        "last_seen": campaign.last_seen,
        "active": _format_duration(campaign.last_seen - campaign.first_seen),
        "requests": campaign.requests,
        "accounts": campaign.accounts[:CAMPAIGN_ACCOUNTS_SHOWN],
        "accounts_total": len(campaign.accounts),
        "accounts_more": max(0, len(campaign.accounts) - CAMPAIGN_ACCOUNTS_SHOWN),
        "evidence": view(campaign.evidence),
        "summary": campaign_summary(campaign, level),
        "capabilities": targeted_capabilities(campaign),
        "observations": _observations(campaign, signals),
        "inferences": [_signal_sentence(s) for s in signals if not s.get("observed", True)],
        "actions": recommended_actions(campaign, level),
        # Built by figures with every data string escaped.
        "graph": Markup(figures[0]) if figures else None,
        "hourly": Markup(figures[1]) if figures else None,
    }


# --- the campaign in words ----------------------------------------------------------------------
# Sentences are generated from campaigns.json only, so the document says nothing the evidence does not hold.

#: How each link kind of campaigns.json evidence reads in a sentence.
LINK_PHRASES = {
    "payment": "shared payment instruments",
    "network": "shared IPv4 /24 networks",
    "template": "a shared prompt template",
    "creation_burst": "accounts created in the same sign-up burst",
    "email_domain": "a shared e-mail domain",
}
#: Share signals that say which capability a campaign harvests.
CAPABILITY_SIGNALS = {
    "elicitation_request_share": "Reasoning traces: requests asking for hidden or reformatted chain of thought",
    "agentic_request_share": "Agentic tool use: requests built as tool-calling scaffolds",
    "jailbreak_request_share": "Guardrail bypass: requests wrapped in jailbreak role-play",
}
#: A capability is listed when at least this share of the campaign's requests shows it.
CAPABILITY_SHARE = 0.2


def campaign_summary(campaign: CampaignRow, level: str) -> str:
    """A plain-language paragraph: who, when, how much, what links them, what they asked for, the verdict."""
    days = (campaign.last_seen - campaign.first_seen).total_seconds() / 86_400
    n = len(campaign.accounts)
    text = [
        f"Campaign {campaign.campaign_id}: {n:,} account{'s' if n != 1 else ''} sent {campaign.requests:,} requests "
        f"between {campaign.first_seen:%d %B %Y %H:%M} and {campaign.last_seen:%d %B %Y %H:%M} UTC "
        f"({days:.1f} days)."
    ]
    links = [LINK_PHRASES.get(k, k.replace("_", " ")) for k in _mapping(campaign.evidence.get("links"))]
    if links:
        text.append(f"They are tied together by {_join(links)}.")
    shares = [_signal_sentence(s) for s in campaign.evidence.get("signals", []) if _is_share(s)]
    text += [share[0].upper() + share[1:] + "." for share in shares]
    volume = _volume(campaign.evidence)
    if volume:
        text.append(volume)
    verdict = {"distiller": "a distillation campaign", "suspicious": "suspicious", "benign": "likely benign"}[level]
    text.append(f"distillshield judges the group as a whole at risk {campaign.risk:.2f}: {verdict}.")
    return " ".join(text)


def targeted_capabilities(campaign: CampaignRow) -> list[str]:
    """What the campaign's requests aim at, from the content detectors' shares and the models used."""
    found = []
    for signal in campaign.evidence.get("signals", []):
        if isinstance(signal, dict) and signal.get("name") in CAPABILITY_SIGNALS:
            value = signal.get("value")
            if isinstance(value, int | float) and value >= CAPABILITY_SHARE:
                found.append(f"{CAPABILITY_SIGNALS[signal['name']]} ({value:.0%} of requests)")
    reasoning, completion = campaign.evidence.get("reasoning_tokens"), campaign.evidence.get("completion_tokens")
    if isinstance(reasoning, int) and isinstance(completion, int) and completion and reasoning > completion:
        found.append(f"Long reasoning outputs: {reasoning / completion:.1f} reasoning tokens per answer token")
    models = campaign.evidence.get("models")
    if isinstance(models, list) and models:
        found.append("Models queried: " + ", ".join(str(m) for m in models))
    return found


def recommended_actions(campaign: CampaignRow, level: str) -> list[str]:
    """What to do next, from the verdict and the kinds of evidence; the first step is always keeping the evidence."""
    cid, links = campaign.campaign_id, _mapping(campaign.evidence.get("links"))
    actions = [
        f"Preserve the evidence before acting: distillshield evidence pack SCAN_DIR --campaign {cid} --out {cid}.zip"
    ]
    if level == "distiller":
        actions.append(
            f"Act on all {len(campaign.accounts):,} accounts together, as one operator: banning them one at a time "
            "lets a pool replace each banned account."
        )
    else:
        actions.append("Review the accounts in the analyst console before acting; keep them on the watch list.")
    for kind, verb in (
        ("payment", "Block or review the shared payment instruments"),
        ("network", "Rate-limit or watch the shared networks"),
    ):
        keys = _mapping(links.get(kind)).get("top_keys")
        if isinstance(keys, list) and keys:
            actions.append(f"{verb}: {', '.join(str(k) for k in keys[:5])}.")
    if "template" in links:
        actions.append(
            "Add the shared prompt template to the gateway's content rules so new accounts using it are throttled."
        )
    if "creation_burst" in links or any(
        isinstance(s, dict) and s.get("name") == "fresh_member_share" for s in campaign.evidence.get("signals", [])
    ):
        actions.append("Require stronger verification for new accounts from the same sign-up paths.")
    if any(c.startswith("Reasoning traces") for c in targeted_capabilities(campaign)):
        actions.append("Serve reasoning summaries, not raw reasoning, to these accounts and their networks.")
    if level == "distiller":
        actions.append("Share the campaign's indicators with partner providers.")
    return actions


def _observations(campaign: CampaignRow, signals: list[dict[str, Any]]) -> list[str]:
    """Facts read off the log: shared keys, volumes, and the signals marked observed."""
    facts = []
    for kind, detail in _mapping(campaign.evidence.get("links")).items():
        detail = _mapping(detail)
        pairs, keys = detail.get("pairs"), detail.get("top_keys")
        text = (
            f"{LINK_PHRASES.get(kind, kind)}: {pairs:,} linked account pairs"
            if isinstance(pairs, int)
            else LINK_PHRASES.get(kind, kind)
        )
        if isinstance(keys, list) and keys:
            text += f" (e.g. {', '.join(str(k) for k in keys[:3])})"
        facts.append(text)
    facts += [_signal_sentence(s) for s in signals if s.get("observed", True)]
    volume = _volume(campaign.evidence)
    if volume:
        facts.append(volume.rstrip("."))
    return facts


#: Share signals in words; ``{share}`` is the value as a percentage.
SHARE_PHRASES = {
    "elicitation_request_share": "{share} of their requests asked for hidden or reformatted reasoning",
    "jailbreak_request_share": "{share} of their requests were wrapped in jailbreak role-play",
    "agentic_request_share": "{share} of their requests were agentic tool-use scaffolds",
    "fresh_member_share": "{share} of the accounts made their first request within 48 hours of signing up",
    "members_flagged_share": "{share} of the accounts look suspicious on their own evidence",
}
#: ``members_<family>`` (detect.engine.member_family_signals): the share of members with strong evidence of one family.
MEMBER_FAMILY_PHRASE = "{share} of the accounts have strong {family} evidence of their own"


def _signal_sentence(signal: dict[str, Any]) -> str:
    value, detail = signal.get("value"), str(signal.get("detail") or signal.get("name", "signal"))
    name = str(signal.get("name", ""))
    if isinstance(value, int | float) and name.startswith("members_") and not name.endswith("_share"):
        return MEMBER_FAMILY_PHRASE.format(share=f"{value:.0%}", family=name.removeprefix("members_"))
    if isinstance(value, int | float) and _is_share(signal):
        phrase = SHARE_PHRASES.get(name, "{share}: " + detail)
        return phrase.format(share=f"{value:.0%}")
    shown = f"{value:,}" if isinstance(value, int) else format_value(value)
    return f"{detail}: {shown}"


def format_value(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _is_share(signal: object) -> bool:
    name = str(signal.get("name", "")) if isinstance(signal, dict) else ""
    return name.endswith("_share") or name.startswith("members_")


def _volume(evidence: dict[str, Any]) -> str:
    parts = [(evidence.get(k), k.replace("_", " ")) for k in ("prompt_tokens", "completion_tokens", "reasoning_tokens")]
    shown = [f"{n:,} {what}" for n, what in parts if isinstance(n, int)]
    return f"They consumed {_join(shown)}." if shown else ""


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
