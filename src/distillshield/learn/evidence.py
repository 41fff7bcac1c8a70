"""The evidence of one finished scan, gathered again so that candidate models can be judged on it.

``scan`` keeps its database (``OUT/scan.duckdb``) with the ``account_features``
table. ``learn`` opens it read-only, reloads the features and gathers every
account's signals and the communities linking them once
(:func:`~distillshield.detect.engine.gather`); each candidate model is then judged
on that in well under a second (:func:`~distillshield.detect.engine.judge`), with
the same code a scan runs. Partner intelligence (``scan --intel``) is not gathered
again: a model learned on a scan with it sees that scan without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from distillshield.db import query_arrow
from distillshield.detect.engine import ExternalEvidence, Gathered, gather, judge
from distillshield.detect.model import SHIPPED, DetectionModel
from distillshield.detect.rules import load_rules
from distillshield.detect.scorers.base import AccountScorer
from distillshield.engines import DuckDBEngine
from distillshield.errors import InputError, Location
from distillshield.features.frame import AccountFrame
from distillshield.orgs import KnownOrganisations
from distillshield.pipeline import account_facts, content_fields, with_known_organisations
from distillshield.progress import SILENT, Progress
from distillshield.registry import build_registry
from distillshield.settings import Settings

#: Verdicts as numbers, for comparing them in bulk.
BENIGN, SUSPICIOUS, DISTILLER = 0, 1, 2


@dataclass(frozen=True, slots=True)
class ScanEvidence:
    """One scan's gathered evidence, ready to be judged under any model."""

    scan_dir: Path
    gathered: Gathered
    scorers: tuple[AccountScorer, ...]
    settings: Settings

    @property
    def account_ids(self) -> tuple[str, ...]:
        return self.gathered.frame.account_ids

    def judge(self, model: DetectionModel = SHIPPED) -> Outcome:
        settings = model.settings(self.settings)
        judged = judge(self.gathered, self.scorers, settings, model)
        codes = np.where(
            judged.risk >= settings.distiller_threshold,
            DISTILLER,
            np.where(judged.risk >= settings.suspicious_threshold, SUSPICIOUS, BENIGN),
        )
        campaign = [judged.campaign_of.get(i) for i in range(len(codes))]
        return Outcome(judged.risk, judged.own_risk, codes.astype(np.int8), campaign)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Per account (frame order): risk, own risk, verdict code and campaign under one model."""

    risk: npt.NDArray[np.float64]
    own_risk: npt.NDArray[np.float64]
    verdict: npt.NDArray[np.int8]
    campaign: list[str | None]


def load_scan(scan_dir: Path, known: KnownOrganisations | None = None, progress: Progress = SILENT) -> ScanEvidence:
    """Gather the evidence of the scan in ``scan_dir`` (its scan.duckdb and run.json)."""
    database = scan_dir / "scan.duckdb"
    if not database.is_file():
        raise InputError("no scan.duckdb here: give the OUT directory of a finished DuckDB scan", Location(scan_dir))
    settings = scan_settings(scan_dir / "run.json")
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise InputError(f"cannot open the scan database: {exc}", Location(database)) from exc
    try:
        engine = DuckDBEngine(con)
        frame = _frame(engine, database)
        registry = build_registry()
        rules = load_rules(content_fields=content_fields(registry))
        scorers = registry.instances("scorers")
        external = None
        if known:
            external = with_known_organisations(ExternalEvidence(), known, account_facts(engine, known))
        gathered = gather(engine, frame, scorers, registry.instances("linkers"), settings, progress, rules, external)
    finally:
        con.close()
    return ScanEvidence(scan_dir, gathered, tuple(scorers), settings)


def _frame(engine: DuckDBEngine, database: Path) -> AccountFrame:
    try:
        table = query_arrow(engine, "SELECT * FROM account_features ORDER BY account_id")
    except duckdb.Error as exc:
        raise InputError(f"the scan database has no account features: {exc}", Location(database)) from exc
    return AccountFrame.from_arrow(table)


def scan_settings(run_json: Path) -> Settings:
    """The settings the scan ran with (run.json), each checked against its declared type; defaults otherwise."""
    if not run_json.is_file():
        return Settings()
    try:
        recorded = json.loads(run_json.read_text(encoding="utf-8")).get("settings", {})
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        raise InputError(f"run.json is not readable JSON: {exc}", Location(run_json)) from exc
    if not isinstance(recorded, dict):
        raise InputError("run.json settings must be an object", Location(run_json, 0, "settings"))
    base, changes = Settings(), {}
    for f in fields(Settings):
        value: Any = recorded.get(f.name)
        default = getattr(base, f.name)
        if value is None:
            continue
        if isinstance(default, float) and isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not type(default):
            raise InputError(
                f"{f.name} must be a {type(default).__name__}", Location(run_json, 0, f"settings.{f.name}")
            )
        changes[f.name] = value
    return Settings(**changes)
