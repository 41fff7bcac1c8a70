"""What the export needs from a scan directory: its campaigns, and per campaign the raw facts
(identifiers, networks, templates) read from the scan's DuckDB database.

Raw values live only in these records, inside the exporting process; the export turns them
into pseudonyms before any STIX object is built.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from distillshield.errors import InputError, Location, UnreadableFileError

CAMPAIGN_KEYS = ("campaign_id", "accounts", "risk", "first_seen", "last_seen", "requests", "evidence")


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    campaign_id: str
    accounts: tuple[str, ...]
    risk: float
    first_seen: datetime
    last_seen: datetime
    requests: int
    evidence: dict[str, Any]
    identifiers: tuple[tuple[str, str], ...]  # (kind, raw value), accounts included
    networks: tuple[str, ...]  # IPv4 /24s, most shared first
    templates: tuple[tuple[str, str, str, int], ...]  # (kind, template_key, normalised sample, accounts)


def read_campaigns(path: Path) -> list[dict[str, Any]]:
    """campaigns.json as a list of dicts, each checked for the contract's keys."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnreadableFileError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", Location(path)) from exc
    if not isinstance(data, list):
        raise InputError("expected a JSON array of campaigns", Location(path, 1))
    for i, item in enumerate(data):
        missing = [k for k in CAMPAIGN_KEYS if not isinstance(item, dict) or k not in item]
        if missing:
            raise InputError(f"campaign #{i + 1} lacks {', '.join(missing)}", Location(path, 0, missing[0]))
    return data


def campaign_facts(scan_dir: Path, db_path: Path | None = None, max_networks: int = 50) -> list[CampaignFacts]:
    """Every campaign of a scan with the facts the export shares (in pseudonymised form)."""
    campaigns = read_campaigns(scan_dir / "campaigns.json")
    db = db_path or scan_dir / "scan.duckdb"
    if not db.exists():
        raise UnreadableFileError("scan database not found (scan writes it unless --db points elsewhere)", Location(db))
    con = _connect(db)
    try:
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        return [_facts(con, tables, c, max_networks) for c in campaigns]
    finally:
        con.close()


def _facts(con: duckdb.DuckDBPyConnection, tables: set[str], c: dict[str, Any], max_networks: int) -> CampaignFacts:
    accounts = tuple(sorted(str(a) for a in c["accounts"]))
    con.register("members", pa.table({"account_id": list(accounts)}))
    try:
        identifiers = [("account_id", a) for a in accounts] + _identifiers(con)
        networks = _networks(con, len(accounts), max_networks)
        templates = _templates(con) if {"templates", "account_templates"} <= tables else []
    finally:
        con.unregister("members")
    return CampaignFacts(
        str(c["campaign_id"]),
        accounts,
        float(c["risk"]),
        _moment(c["first_seen"]),
        _moment(c["last_seen"]),
        int(c["requests"]),
        dict(c.get("evidence") or {}),
        tuple(identifiers),
        tuple(networks),
        tuple(templates),
    )


def _identifiers(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute("""
        WITH r AS (SELECT q.* FROM requests q JOIN members USING (account_id))
        SELECT DISTINCT 'api_key_id', api_key_id FROM r WHERE api_key_id IS NOT NULL
        UNION SELECT DISTINCT 'payment_fingerprint', payment_fingerprint FROM r WHERE payment_fingerprint IS NOT NULL
        UNION SELECT DISTINCT 'email', json_extract_string(extra, '$.email') FROM r
              WHERE json_extract_string(extra, '$.email') IS NOT NULL
        ORDER BY 1, 2
    """).fetchall()
    return [(str(k), str(v)) for k, v in rows]


def _networks(con: duckdb.DuckDBPyConnection, n_accounts: int, limit: int) -> list[str]:
    rows = con.execute(
        """
        WITH r AS (
          SELECT account_id, regexp_extract(ip, '^([0-9]+\\.[0-9]+\\.[0-9]+)\\.[0-9]+$', 1) AS net
          FROM requests JOIN members USING (account_id) WHERE ip IS NOT NULL AND NOT contains(ip, ':')
        )
        SELECT net || '.0/24', count(DISTINCT account_id) AS n_acc, count(*) AS n
        FROM r WHERE net <> '' GROUP BY net HAVING count(DISTINCT account_id) >= $min_acc
        ORDER BY n_acc DESC, n DESC, 1 LIMIT $limit
        """,
        {"min_acc": min(2, n_accounts), "limit": limit},
    ).fetchall()
    return [str(r[0]) for r in rows]


def _templates(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    rows = con.execute("""
        SELECT t.kind, t.template_key, t.sample, t.n_accounts FROM templates t
        WHERE (t.kind, t.template_key) IN (
          SELECT kind, template_key FROM account_templates JOIN members USING (account_id))
        ORDER BY t.n_accounts DESC, t.kind, t.template_key
    """).fetchall()
    return [(str(k), str(t), str(s), int(n)) for k, t, s, n in rows]


def _moment(value: object) -> datetime:
    text = str(value).replace("Z", "+00:00")
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:  # locked by a running scan, or not a DuckDB file
        raise UnreadableFileError(f"cannot open the scan database: {exc}", Location(db)) from exc
