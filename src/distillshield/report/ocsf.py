"""OCSF Detection Finding records (class 2004, schema 1.3.0) for campaigns and flagged accounts, as JSON Lines.

A pure function of a scan directory's ``accounts.csv`` and ``campaigns.json``, so
``scan --ocsf`` and ``watch --ocsf`` write the same records for the same verdicts. One
finding per campaign and per ``suspicious`` or ``distiller`` account; the evidence
(the campaign's evidence object, the account's reasons) is kept under ``evidences``.

Attribute names and enumerations from the OCSF schema browser, schema.ocsf.io, class
Detection Finding (``class_uid`` 2004, category Findings 2): ``activity_id`` 1 Create, so
``type_uid`` = 2004 * 100 + 1; ``severity_id`` 1 Informational .. 5 Critical; ``status_id`` 1
New; ``finding_info`` (``uid``, ``title``, ``desc``, ``types``, ``first_seen_time``,
``last_seen_time``); ``metadata.product`` and ``metadata.version``; times in epoch milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from distillshield import __version__
from distillshield.report.contract import AccountRow, CampaignRow, read_accounts_csv, read_campaigns_json

OCSF_VERSION = "1.3.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2004, 2, 1
SEVERITIES = ((0.9, 5, "Critical"), (0.75, 4, "High"), (0.5, 3, "Medium"), (0.25, 2, "Low"), (0.0, 1, "Informational"))


def _ms(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def _severity(risk: float) -> tuple[int, str]:
    return next((uid, name) for floor, uid, name in SEVERITIES if risk >= floor)


def _base(uid: str, title: str, desc: str, risk: float, now: datetime) -> dict[str, Any]:
    severity_id, severity = _severity(risk)
    return {
        "activity_id": ACTIVITY_CREATE, "activity_name": "Create",
        "category_uid": CATEGORY_UID, "category_name": "Findings",
        "class_uid": CLASS_UID, "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE, "type_name": "Detection Finding: Create",
        "severity_id": severity_id, "severity": severity,
        "status_id": 1, "status": "New",
        "time": _ms(now),
        "message": desc,
        "risk_score": round(risk * 100),
        "confidence_score": round(risk * 100),
        "metadata": {"version": OCSF_VERSION,
                     "product": {"name": "distillshield", "vendor_name": "distillshield", "version": __version__}},
        "finding_info": {"uid": uid, "title": title, "desc": desc, "types": ["Model distillation"],
                         "created_time": _ms(now)},
    }  # fmt: skip


def campaign_finding(campaign: CampaignRow, now: datetime) -> dict[str, Any]:
    desc = f"{len(campaign.accounts)} linked accounts made {campaign.requests} requests judged a distillation campaign"
    finding = _base(f"distillshield:campaign:{campaign.campaign_id}", f"Distillation campaign {campaign.campaign_id}",
                    desc, campaign.risk, now)  # fmt: skip
    finding["finding_info"] |= {"first_seen_time": _ms(campaign.first_seen), "last_seen_time": _ms(campaign.last_seen)}
    finding["resources"] = [{"uid": a, "type": "account"} for a in campaign.accounts]
    finding["evidences"] = [{"data": campaign.evidence}]
    return finding


def account_finding(row: AccountRow, now: datetime) -> dict[str, Any]:
    desc = f"account {row.account_id} judged {row.verdict}: {row.reasons}"
    finding = _base(f"distillshield:account:{row.account_id}", f"{row.verdict.capitalize()} account {row.account_id}",
                    desc, row.risk, now)  # fmt: skip
    finding["resources"] = [{"uid": row.account_id, "type": "account"}]
    finding["evidences"] = [{"data": {"verdict": row.verdict, "reasons": row.reasons,
                                      "campaign_id": row.campaign_id}}]  # fmt: skip
    return finding


def ocsf_findings(out_dir: Path, now: datetime | None = None) -> list[dict[str, Any]]:
    """Findings for the campaigns and the flagged accounts of the scan outputs in ``out_dir``."""
    now = now or datetime.now(UTC)
    campaigns = read_campaigns_json(out_dir / "campaigns.json")
    accounts = [r for r in read_accounts_csv(out_dir / "accounts.csv") if r.verdict != "benign"]
    return [campaign_finding(c, now) for c in campaigns] + [account_finding(a, now) for a in accounts]


def write_ocsf(out_dir: Path, path: Path) -> int:
    """Write the findings of ``out_dir`` to ``path`` as JSON Lines (replaced whole); returns how many."""
    findings = ocsf_findings(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b"".join(orjson.dumps(f, default=str) + b"\n" for f in findings))
    tmp.replace(path)
    return len(findings)
