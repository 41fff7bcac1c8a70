"""What the console reads from a scan: the contract files once, the DuckDB file per request.

The scan database is opened read-only, so a scan, an evidence pack or a second
console may read it at the same time. DuckDB connections are not shared across
threads; each request takes its own cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from distillshield.errors import Location, UnreadableFileError
from distillshield.report.contract import AccountRow, CampaignRow, read_accounts_csv, read_campaigns_json

#: Columns of an account's recent requests shown on its page.
REQUEST_COLUMNS = ("ts", "model", "ip", "user_prompt", "prompt_tokens", "completion_tokens", "reasoning_tokens")


@dataclass(frozen=True, slots=True)
class Scan:
    """A scan directory's verdicts and campaigns, and its database."""

    scan_dir: Path
    db_path: Path
    accounts: dict[str, AccountRow]
    campaigns: dict[str, CampaignRow]
    connection: duckdb.DuckDBPyConnection

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.cursor() as cur:
            result = cur.execute(query, params)
            columns = [d[0] for d in result.description]
            return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def open_scan(db_path: Path, scan_dir: Path | None = None) -> Scan:
    """Load ``scan_dir`` (default: the database's folder) and open ``db_path`` read-only."""
    scan_dir = scan_dir or db_path.parent
    if not db_path.exists():
        raise UnreadableFileError("no scan database here", Location(db_path))
    accounts = {row.account_id: row for row in read_accounts_csv(scan_dir / "accounts.csv")}
    campaigns = {row.campaign_id: row for row in read_campaigns_json(scan_dir / "campaigns.json")}
    try:
        connection = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        raise UnreadableFileError(f"cannot open the scan database: {exc}", Location(db_path)) from exc
    return Scan(scan_dir, db_path, accounts, campaigns, connection)


def sample_prompts(scan: Scan, accounts: list[str], limit: int = 10) -> list[dict[str, Any]]:
    """The most repeated user prompts of ``accounts``, with how many requests and accounts sent each."""
    return scan.rows(
        "SELECT user_prompt, count(*) AS requests, count(DISTINCT account_id) AS accounts FROM requests "
        f"WHERE list_contains($ids, account_id) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(limit)}",
        {"ids": accounts},
    )


def account_features(scan: Scan, account_id: str) -> dict[str, Any] | None:
    rows = scan.rows("SELECT * FROM account_features WHERE account_id = $id", {"id": account_id})
    return rows[0] if rows else None


def recent_requests(scan: Scan, account_id: str, limit: int = 20) -> list[dict[str, Any]]:
    columns = ", ".join(REQUEST_COLUMNS)
    return scan.rows(
        f"SELECT {columns} FROM requests WHERE account_id = $id ORDER BY ts DESC LIMIT {int(limit)}", {"id": account_id}
    )
