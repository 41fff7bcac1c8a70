"""Analyst actions, kept append-only in SQLite with who and when, and exported as labels.

An action is ``confirm`` (the account is a distiller), ``dismiss`` (a false
positive: the account is benign) or ``note`` (a remark that changes no label).
The latest confirm or dismiss of an account is its label; :func:`ActionStore.labels`
writes them in the shape of a benchmark's labels.csv
(``account_id,label,campaign_id,archetype``), so detectors can be calibrated and
evaluated on the analysts' judgements.

SQLite, not the scan's DuckDB file: the scan database stays read-only and may be
opened by other tools while the console runs, and SQLite handles the many small
writes of a web app from several threads.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from distillshield.csvcells import safe_row
from distillshield.evaluate.labels import BENIGN, DISTILLER, LABEL_COLUMNS

Kind = Literal["confirm", "dismiss", "note"]
ACTIONS: tuple[str, ...] = get_args(Kind)
#: The label each deciding action gives an account.
LABELS = {"confirm": DISTILLER, "dismiss": BENIGN}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS analyst_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  analyst TEXT NOT NULL,
  account_id TEXT NOT NULL,
  campaign_id TEXT,
  action TEXT NOT NULL CHECK (action IN ('confirm', 'dismiss', 'note')),
  note TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True, slots=True)
class Action:
    id: int
    at: str
    analyst: str
    account_id: str
    campaign_id: str | None
    action: str
    note: str


class ActionStore:
    """The analyst_actions table of one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per call: the app serves requests from a thread pool.
        with closing(sqlite3.connect(self.path, timeout=10)) as con, con:
            yield con

    def record(self, analyst: str, account_id: str, campaign_id: str | None, action: str, note: str = "") -> Action:
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        with self._connect() as con:
            cursor = con.execute(
                "INSERT INTO analyst_actions (at, analyst, account_id, campaign_id, action, note) VALUES (?,?,?,?,?,?)",
                (at, analyst, account_id, campaign_id, action, note),
            )
            row_id = int(cursor.lastrowid or 0)
        return Action(row_id, at, analyst, account_id, campaign_id, action, note)

    def history(self, account_id: str | None = None) -> list[Action]:
        """Every action, newest first; only ``account_id``'s when given."""
        query = "SELECT id, at, analyst, account_id, campaign_id, action, note FROM analyst_actions"
        params: tuple[str, ...] = ()
        if account_id is not None:
            query, params = query + " WHERE account_id = ?", (account_id,)
        with self._connect() as con:
            return [Action(*row) for row in con.execute(query + " ORDER BY id DESC", params)]

    def decisions(self) -> dict[str, Action]:
        """The latest confirm or dismiss per account."""
        latest: dict[str, Action] = {}
        for action in reversed(self.history()):
            if action.action in LABELS:
                latest[action.account_id] = action
        return latest

    def labels_csv(self) -> str:
        """labels.csv of every decided account: label from the latest decision, archetype naming who decided."""
        handle = io.StringIO()
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(LABEL_COLUMNS)
        for account_id, action in sorted(self.decisions().items()):
            label = LABELS[action.action]
            campaign = (action.campaign_id or "") if label == DISTILLER else ""
            writer.writerow(safe_row((account_id, label, campaign, f"analyst-{action.action}:{action.analyst}")))
        return handle.getvalue()
