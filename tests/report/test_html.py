"""report.html: renders from a scan directory, escapes user data, and needs no network."""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from distillshield.cli.main import app as cli
from distillshield.report import html, render_report
from distillshield.report.html import split_reasons
from tests.conftest import SmallScan
from tests.report.scan_files import HOSTILE_ID, campaign, run_json, verdict, write_scan_dir

HOSTILE_REASON = '<img src=x onerror="alert(1)">'
EVIDENCE: dict[str, object] = {
    "links": {"payment": {"pairs": 6, "top_keys": ["card-7f3a"]}, HOSTILE_REASON: {"pairs": 1}},
    "signals": [{"source": "engine", "name": "template_share", "value": 0.92, "weight": 0.8, "observed": False}],
    "models": ["model-large"],
}


@pytest.fixture
def scan_dir(tmp_path: Path) -> Path:
    members = [f"acct-{i:02d}" for i in range(30)]
    verdicts = [verdict(a, 0.9, "distiller", "C0001") for a in members]
    verdicts += [verdict(HOSTILE_ID, 0.85, "distiller", "C0002"), verdict("solo", 0.6, "suspicious")]
    verdicts += [verdict(f"user-{i:02d}", i / 100, "benign") for i in range(40)]
    campaigns = [campaign("C0001", members, 0.93, EVIDENCE), campaign("C0002", [HOSTILE_ID], 0.81)]
    timeline = [(f"2026-03-0{d}", g, 10 * d) for d in range(1, 6) for g in ("C0001", "C0002", "flagged", "other")]
    return write_scan_dir(tmp_path / "scan", verdicts, campaigns, timeline, run_json())


def test_report_lists_campaigns_and_summary(scan_dir: Path) -> None:
    page = render_report(scan_dir).read_text(encoding="utf-8")
    assert render_report(scan_dir) == scan_dir / "report.html"
    for text in ("C0001", "C0002", "template_share", "card-7f3a", "1,000", "990", "3.125 s", "5.0 MiB"):
        assert text in page
    assert "and 6 more" in page  # 30 members, 24 listed


def test_user_data_is_escaped(scan_dir: Path) -> None:
    page = render_report(scan_dir).read_text(encoding="utf-8")
    assert HOSTILE_ID not in page
    assert "&lt;script&gt;alert(&#39;acct&#39;)&lt;/script&gt;" in page
    assert HOSTILE_REASON not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_report_is_self_contained(scan_dir: Path) -> None:
    page = render_report(scan_dir).read_text(encoding="utf-8")
    assert page.count(get_plotlyjs()) == 1  # the bundle inline, once, though there are two plots
    # The bundle's own strings name URLs it never loads for these plots (map tiles); check the page around it.
    markup = page.replace(get_plotlyjs(), "")
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", markup, re.IGNORECASE)
    assert not re.search(r"<link\b|@import", markup, re.IGNORECASE)
    assert page.count('class="plotly-graph-div"') == 2
    assert "Content-Security-Policy" in page


def test_top_accounts_table_stops_at_fifty(scan_dir: Path) -> None:
    page = render_report(scan_dir).read_text(encoding="utf-8")
    assert page.count('<td class="account">') == 50
    assert "The 50 highest-risk of 72 accounts" in page


def test_rendering_is_deterministic(scan_dir: Path) -> None:
    first = render_report(scan_dir).read_bytes()
    assert render_report(scan_dir).read_bytes() == first


def test_report_without_campaigns_timeline_or_run(tmp_path: Path) -> None:
    scan = write_scan_dir(tmp_path / "scan", [verdict("a", 0.1), verdict("b", 0.2)])
    page = render_report(scan).read_text(encoding="utf-8")
    assert "No campaigns were linked in this scan." in page
    assert "No distillation activity detected." in page
    assert "No timeline in this scan directory." in page
    assert page.count(get_plotlyjs()) == 1  # the risk plot still carries the bundle


def test_report_with_zero_campaigns_but_a_timeline(tmp_path: Path) -> None:
    verdicts = [verdict("a", 0.1), verdict("b", 0.7, "suspicious")]
    timeline = [("2026-03-01", "other", 5), ("2026-03-01", "flagged", 2)]
    scan = write_scan_dir(tmp_path / "scan", verdicts, [], timeline, run_json())
    page = render_report(scan).read_text(encoding="utf-8")
    assert "No campaigns were linked in this scan." in page
    assert "1 account on the watch list" in page
    assert 'id="figure-timeline"' in page


def test_empty_scan_renders(tmp_path: Path) -> None:
    page = render_report(write_scan_dir(tmp_path / "scan", [])).read_text(encoding="utf-8")
    assert "No accounts in this scan." in page
    assert get_plotlyjs()[:200] not in page  # no plot, so no bundle either


def test_reasons_split_outside_parentheses_only() -> None:
    assert doctest.testmod(html, raise_on_error=False).failed == 0
    assert split_reasons("a=1 (x; y); b=2; c=3 (z)") == ["a=1 (x; y)", "b=2", "c=3 (z)"]
    assert split_reasons("no signal fired") == ["no signal fired"]
    assert split_reasons("") == []


def test_campaigns_beyond_the_cap_are_counted(scan_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html, "CAMPAIGNS_SHOWN", 1)
    page = render_report(scan_dir).read_text(encoding="utf-8")
    assert page.count('<article class="campaign') == 1
    assert "and 1 more, lower-risk campaigns" in page


# --- the campaign document ------------------------------------------------------------------------

DOCUMENT_EVIDENCE: dict[str, object] = {
    "links": {"payment": {"pairs": 3, "top_keys": ["card-9b1e"]}, "template": {"pairs": 3, "top_keys": ["t1"]}},
    "signals": [
        {"source": "engine", "name": "elicitation_request_share", "value": 0.95, "weight": 0.9, "observed": False,
         "detail": "share of the group's requests the elicitation detector flags"},
        {"source": "engine", "name": "fresh_member_share", "value": 0.5, "weight": 0.1, "observed": True,
         "detail": "share of members whose first request came within 48 h of sign-up"},
    ],
    "completion_tokens": 1000,
    "reasoning_tokens": 5000,
    "models": ["atlas-3"],
}  # fmt: skip


def test_campaign_document_sections(tmp_path: Path) -> None:
    members = ["a1", "a2", "a3"]
    scan = write_scan_dir(
        tmp_path / "scan",
        [verdict(a, 0.95, "distiller", "C0009") for a in members],
        [campaign("C0009", members, 0.97, DOCUMENT_EVIDENCE)],
        None,
        run_json(),
    )
    page = render_report(scan).read_text(encoding="utf-8")
    summary = html.campaign_summary(html.load_scan(scan).campaigns[0], "distiller")
    assert summary.startswith("Campaign C0009: 3 accounts sent 1,234 requests between 02 March 2026 08:00 and")
    assert "tied together by shared payment instruments and a shared prompt template" in summary
    assert "95% of their requests asked for hidden or reformatted reasoning" in summary
    assert summary.endswith("at risk 0.97: a distillation campaign.")
    assert summary.replace("&", "&amp;") in page
    observations = page[page.index('<ul class="observations">') : page.index('<ul class="inferences">')]
    inferences = page[page.index('<ul class="inferences">') : page.index('<ol class="actions">')]
    assert "card-9b1e" in observations and "50% of the accounts made their first request" in observations
    assert "95% of their requests asked" in inferences and "card-9b1e" not in inferences
    actions = page[page.index('<ol class="actions">') :]
    for text in ("evidence pack SCAN_DIR --campaign C0009", "Act on all 3 accounts together", "card-9b1e",
                 "Serve reasoning summaries", "stronger verification"):  # fmt: skip
        assert text in actions
    assert "Reasoning traces" in page and "5.0 reasoning tokens per answer token" in page
    assert "need the scan database" in page  # no scan.duckdb beside these hand-made files


def test_campaign_figures_from_the_scan_database(small_scan: SmallScan, tmp_path: Path) -> None:
    scan = _copy_scan(small_scan, tmp_path)
    page = render_report(scan, small_scan.result.out_dir / "scan.duckdb").read_text(encoding="utf-8")
    campaigns = html.load_scan(scan).campaigns
    assert page.count('class="link-graph"') == len(campaigns) == page.count('class="cohort-timeline"')
    assert page.count('class="edge ') > 0 and "need the scan database" not in page
    assert page.count(get_plotlyjs()) == 1


needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None or shutil.which("pdftoppm") is None,
    reason="needs chromium and poppler-utils: apt-get install -y chromium poppler-utils",
)


@needs_chromium
def test_pdf_renders_and_holds_every_campaign_summary(small_scan: SmallScan, tmp_path: Path) -> None:
    scan = _copy_scan(small_scan, tmp_path)
    result = CliRunner().invoke(
        cli, ["report", str(scan), "--pdf", "--db", str(small_scan.result.out_dir / "scan.duckdb")]
    )
    assert result.exit_code == 0, result.output
    pdf = scan / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2 and all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 2000 for p in pages)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    loaded = html.load_scan(scan)
    assert loaded.campaigns
    for row in loaded.campaigns:
        # the scan's thresholds, from run.json
        level = "distiller" if row.risk >= 0.8 else "suspicious" if row.risk >= 0.5 else "benign"
        summary = html.campaign_summary(row, level)
        assert " ".join(summary.split()) in flat, row.campaign_id
    artifacts = os.environ.get("DISTILLSHIELD_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy2(pdf, Path(artifacts) / "report.pdf")
        shutil.copy2(pages[0], Path(artifacts) / "report-page-1.png")


def test_pdf_without_a_browser_is_a_clear_error(tmp_path: Path) -> None:
    scan = write_scan_dir(tmp_path / "scan", [verdict("a", 0.1)])
    result = CliRunner().invoke(cli, ["report", str(scan), "--pdf", "--browser", "no-such-chromium"])
    assert result.exit_code == 2 and "no-such-chromium" in result.stderr
    assert (scan / "report.html").exists() and not (scan / "report.pdf").exists()


def _copy_scan(small_scan: SmallScan, tmp_path: Path) -> Path:
    """The small scan's contract files in a directory of this test's own (the database stays where it is)."""
    target = tmp_path / "scan"
    target.mkdir()
    for name in ("accounts.csv", "campaigns.json", "run.json", "timeline.csv"):
        shutil.copy2(small_scan.result.out_dir / name, target / name)
    return target
