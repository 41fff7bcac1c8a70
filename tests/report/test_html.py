"""report.html: renders from a scan directory, escapes user data, and needs no network."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from distillshield.report import html, render_report
from distillshield.report.html import split_reasons
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
