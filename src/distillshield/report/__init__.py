"""The report stage: the scan output contract and the HTML report drawn from it.

Conventions:

* :mod:`~distillshield.report.contract` owns every file a scan writes for
  others to read (accounts.csv, campaigns.json, timeline.csv, run.json): one
  writer and one validating reader per file, so the format lives in one place.
* Writers order their rows deterministically (riskiest first) and replace files
  atomically; readers raise :class:`~distillshield.errors.InputError` naming the
  file, line and field of a bad value.
* :func:`render_report` is a pure function of a scan directory's files and
  writes one self-contained page: no network, every user string escaped.
"""

from __future__ import annotations

from distillshield.report.contract import (
    ACCOUNTS_COLUMNS,
    TIMELINE_COLUMNS,
    AccountRow,
    CampaignRow,
    TimelineRow,
    read_accounts_csv,
    read_campaigns_json,
    read_run_json,
    read_timeline_csv,
    write_accounts_csv,
    write_campaigns_json,
    write_timeline_csv,
)
from distillshield.report.html import render_report

__all__ = [
    "ACCOUNTS_COLUMNS",
    "AccountRow",
    "CampaignRow",
    "TIMELINE_COLUMNS",
    "TimelineRow",
    "read_accounts_csv",
    "read_campaigns_json",
    "read_run_json",
    "read_timeline_csv",
    "render_report",
    "write_accounts_csv",
    "write_campaigns_json",
    "write_timeline_csv",
]
