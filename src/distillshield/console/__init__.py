"""The analyst console: a server-rendered web UI over one scan, for reviewing and deciding campaigns.

Like the gateway, a shell over the stages: it reads a scan directory and its
DuckDB file (read-only), keeps analyst actions in its own SQLite file, and
exports them as a labels.csv that the evaluate stage (and detector calibration)
reads. Every route needs an analyst token (:mod:`~distillshield.console.auth`).
"""

from __future__ import annotations

from distillshield.console.app import ConsoleConfig, create_app, default_actions_path
from distillshield.console.auth import Users, add_user, load_users
from distillshield.console.scan import Scan, open_scan
from distillshield.console.store import ACTIONS, Action, ActionStore

__all__ = [
    "ACTIONS",
    "Action",
    "ActionStore",
    "ConsoleConfig",
    "Scan",
    "Users",
    "add_user",
    "create_app",
    "default_actions_path",
    "load_users",
    "open_scan",
]
