"""Seed the gateway with what a batch scan already knows: risky accounts and known campaigns.

A scan output directory (see docs/output.md) gives each account's risk and
campaign in ``accounts.csv`` and each campaign's risk in ``campaigns.json``.
Members of a known campaign start at the campaign's risk (or their own, if
higher). When the directory still holds ``scan.duckdb``, the payment
fingerprints of campaign members are read too, so that a *new* account paying
with a known campaign's card joins that campaign on its first request.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from distillshield.csvcells import unescape_cell
from distillshield.errors import InputError, Location


@dataclass(frozen=True, slots=True)
class Seed:
    accounts: dict[str, tuple[float, str | None]]  # account -> (risk, campaign id)
    campaigns: dict[str, float]  # campaign id -> risk
    fingerprints: dict[str, str]  # payment fingerprint -> campaign id

    def __len__(self) -> int:
        return len(self.accounts)


def load_seed(scan_dir: Path, *, min_risk: float = 0.0) -> Seed:
    """Accounts with risk above ``min_risk`` or in a campaign, the campaigns, and their cards."""
    campaigns = _campaigns(scan_dir / "campaigns.json")
    accounts = _accounts(scan_dir / "accounts.csv", campaigns, min_risk)
    members = {a: c for a, (_, c) in accounts.items() if c}
    fingerprints = _fingerprints(scan_dir / "scan.duckdb", members) if (scan_dir / "scan.duckdb").exists() else {}
    return Seed(accounts, campaigns, fingerprints)


def _campaigns(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("missing: is this a scan output directory?", Location(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", Location(path, exc.lineno)) from exc
    if not isinstance(data, list):
        raise InputError("must be a JSON array of campaigns", Location(path))
    out = {}
    for campaign in data:
        if not isinstance(campaign, dict) or "campaign_id" not in campaign or "risk" not in campaign:
            raise InputError("every campaign needs campaign_id and risk", Location(path, 0, "campaign_id"))
        out[str(campaign["campaign_id"])] = float(campaign["risk"])
    return out


def _accounts(path: Path, campaigns: dict[str, float], min_risk: float) -> dict[str, tuple[float, str | None]]:
    out: dict[str, tuple[float, str | None]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                account, campaign = unescape_cell(row.get("account_id") or ""), row.get("campaign_id") or None
                risk = _risk(row.get("risk"), Location(path, line, "risk"))
                if not account:
                    raise InputError("account_id is empty", Location(path, line, "account_id"))
                if campaign is not None:
                    risk = max(risk, campaigns.get(campaign, 0.0))
                if risk > min_risk or campaign:
                    out[account] = (risk, campaign)
    except FileNotFoundError as exc:
        raise InputError("missing: is this a scan output directory?", Location(path)) from exc
    return out


def _risk(value: str | None, where: Location) -> float:
    try:
        risk = float(value or "")
    except ValueError as exc:
        raise InputError(f"risk must be a number, not {value!r}", where) from exc
    if not 0.0 <= risk <= 1.0:
        raise InputError(f"risk must be in [0, 1], not {risk}", where)
    return risk


def _fingerprints(db: Path, members: dict[str, str]) -> dict[str, str]:
    if not members:
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT account_id, payment_fingerprint FROM requests WHERE payment_fingerprint IS NOT NULL"
        ).fetchall()
    except duckdb.Error:
        return {}  # an older or partial database: seeding works without the cards
    finally:
        con.close()
    return {str(fp): members[str(a)] for a, fp in rows if str(a) in members}
