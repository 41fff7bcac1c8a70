"""The main job, ``scan``: ingest logs, compute features, detect, write the contract outputs.

The CLI only parses arguments and calls :func:`run_scan`; tests and the
benchmark call it directly. Each stage's time is recorded in ``run.json``.
"""

from __future__ import annotations

import json
import platform
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from distillshield import __version__
from distillshield.db import open_database, query_arrow, registered
from distillshield.detect import DetectionResult, ExternalEvidence, detect
from distillshield.detect.link import pairs_from_groups
from distillshield.detect.model import SHIPPED, DetectionModel
from distillshield.detect.rules import Rule, load_rules
from distillshield.engines import Connection, DuckDBEngine, SqlEngine
from distillshield.engines.spark import SparkOptions
from distillshield.errors import ConfigError
from distillshield.features import compute_features
from distillshield.ingest import IngestStats, expand_inputs, ingest_paths
from distillshield.ingest.mapping import FieldMapping
from distillshield.ingest.readers import Format
from distillshield.orgs import AccountFacts, KnownOrganisations
from distillshield.private import writes_private
from distillshield.progress import SILENT, Progress
from distillshield.records import Signal
from distillshield.registry import Registry, build_registry
from distillshield.report import render_report, write_accounts_csv, write_campaigns_json, write_timeline_csv
from distillshield.settings import Settings


@dataclass
class ScanResult:
    out_dir: Path
    ingest: IngestStats
    detection: DetectionResult
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        verdicts = [v.verdict for v in self.detection.verdicts]
        return {
            "read": self.ingest.read,
            "accepted": self.ingest.accepted,
            "quarantined": self.ingest.quarantined,
            "duplicates": self.ingest.duplicates,
            "accounts": len(verdicts),
            "campaigns": len(self.detection.campaigns),
            "suspicious": verdicts.count("suspicious"),
            "distiller": verdicts.count("distiller"),
        }


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[stage] = round(time.perf_counter() - start, 3)


@writes_private
def run_scan(
    inputs: Sequence[str | Path],
    out_dir: Path,
    *,
    db_path: Path | None = None,
    fmt: Format = "auto",
    settings: Settings | None = None,
    registry: Registry | None = None,
    progress: Progress = SILENT,
    html: bool = True,
    rules: Sequence[Rule] | None = None,
    intel: IntelSource | None = None,
    spark: SparkOptions | None = None,
    known: KnownOrganisations | None = None,
    mapping: FieldMapping | None = None,
    model: DetectionModel | None = None,
) -> ScanResult:
    """Scan ``inputs`` into ``out_dir``; see the scan output contract in docs/output.md.

    With ``spark``, the SQL runs on Apache Spark instead of DuckDB (see docs/spark.md). With ``model``
    (``distillshield learn``), its weights and thresholds replace the shipped ones and its hash is recorded.
    """
    if spark is not None and mapping is not None:
        raise ConfigError("--mapping runs on the DuckDB engine only; scan without --engine spark to map a log")
    if spark is not None and intel is not None:
        raise ConfigError("--intel runs on the DuckDB engine only; scan without --engine spark to match intelligence")
    settings = settings or Settings()
    if model is not None:
        settings = model.settings(settings)
    registry = registry or build_registry()
    if rules is None:
        rules = load_rules(content_fields=content_fields(registry))
    out_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    files = [] if spark is not None and spark.table else expand_inputs(inputs)
    con = _open_engine(out_dir, db_path, settings, spark)
    try:
        with _timed(timings, "ingest"):
            stats = _ingest(con, files, out_dir / "quarantine.jsonl", fmt, settings, progress, spark, mapping)
        with _timed(timings, "features"):
            frame = compute_features(con, registry.instances("content"), settings, progress)
        with _timed(timings, "detect"):
            external = intel_evidence(con.con, intel, out_dir) if intel and isinstance(con, DuckDBEngine) else None
            if known:
                external = with_known_organisations(external or ExternalEvidence(), known, account_facts(con, known))
            scorers, linkers = registry.instances("scorers"), registry.instances("linkers")
            detection = detect(con, frame, scorers, linkers, settings, progress, rules, external, model or SHIPPED)
        result = ScanResult(out_dir, stats, detection, timings)
        with _timed(timings, "write"):
            write_outputs(con, result)
    finally:
        con.close()
    write_run_json(result, files, settings, started, con.name, model)
    if html:
        with _timed(timings, "report"):
            render_report(out_dir)
        write_run_json(result, files, settings, started, con.name, model)
    return result


def _open_engine(out_dir: Path, db_path: Path | None, settings: Settings, spark: SparkOptions | None) -> SqlEngine:
    if spark is None:
        return DuckDBEngine(open_database(db_path or out_dir / "scan.duckdb", settings))
    # Imported here: pyspark is an optional extra that DuckDB scans never load.
    from distillshield.engines.spark import SparkEngine

    return SparkEngine.start(spark)


def _ingest(
    con: SqlEngine,
    files: list[Path],
    quarantine: Path,
    fmt: Format,
    settings: Settings,
    progress: Progress,
    spark: SparkOptions | None,
    mapping: FieldMapping | None = None,
) -> IngestStats:
    if isinstance(con, DuckDBEngine):
        return ingest_paths(files, con.con, quarantine, fmt=fmt, settings=settings, progress=progress, mapping=mapping)
    from distillshield.engines.spark import SparkEngine
    from distillshield.ingest.spark import ingest_spark

    if not isinstance(con, SparkEngine) or spark is None:
        raise TypeError(f"no ingest for the {con.name} engine")
    return ingest_spark(con, files, quarantine, table=spark.table, fmt=fmt, settings=settings, progress=progress)


@dataclass(frozen=True, slots=True)
class IntelSource:
    """Partner intelligence to match during a scan: a store or folder of bundles, and the consortium keys."""

    directory: Path
    keyring: Path


#: Weight of a strong (identifier) and a weak (template signature) match to a partner's campaign.
INTEL_WEIGHTS = (0.9, 0.5)


def intel_evidence(con: duckdb.DuckDBPyConnection, source: IntelSource, out_dir: Path) -> ExternalEvidence:
    """Match partner intelligence against the log: signals for matched accounts, links within each campaign.

    The matches (sightings to share back, and the account links, which stay in house) go to
    ``intel-matches.json``.
    """
    # Imported here: the STIX libraries cost a second of start-up that scans without --intel need not pay.
    from distillshield.intel import load_keyring, match_intel, write_matches

    # A cursor of its own: the matcher streams results that must not hold up the scan's connection.
    cursor = con.cursor()
    try:
        result = match_intel(cursor, source.directory, load_keyring(source.keyring))
    finally:
        cursor.close()
    write_matches(result, out_dir / "intel-matches.json")
    signals: dict[str, list[Signal]] = defaultdict(list)
    for link in result.links:
        weight = INTEL_WEIGHTS[0] if link.strong else INTEL_WEIGHTS[1]
        detail = f"partner intelligence ({link.tlp or 'no TLP'}) matched {', '.join(link.kinds)}"
        signals[link.account_id].append(
            Signal("intel.match", "partner_campaign", link.campaign_name, weight, False, detail, family="intel")
        )
    links = [pairs_from_groups("intel", 1.0, result.campaign_accounts())]
    return ExternalEvidence(signals, links)


#: What matching accounts to organisations reads off the log: distinct domains, cards and addresses.
_FACTS_SQL = """
SELECT account_id, list(DISTINCT email_domain) AS domains, list(DISTINCT payment_fingerprint) AS cards,
       list(DISTINCT ip) AS ips
FROM requests GROUP BY account_id
"""


def account_facts(con: Connection, known: KnownOrganisations) -> dict[str, AccountFacts]:
    """Per account, the domains, cards and IPs the known-organisations file can match on (read only when
    the file lists any: matching by account id alone needs nothing from the log)."""
    if not any(o.domains or o.cards or o.networks for o in known.organisations):
        return {}
    rows = query_arrow(con, _FACTS_SQL).to_pylist()
    return {
        str(r["account_id"]): AccountFacts(_texts(r["domains"], lower=True), _texts(r["cards"]), _texts(r["ips"]))
        for r in rows
    }


def _texts(values: list[object] | None, *, lower: bool = False) -> frozenset[str]:
    return frozenset(str(v).lower() if lower else str(v) for v in values or [] if v is not None)


def with_known_organisations(
    external: ExternalEvidence, known: KnownOrganisations, facts: dict[str, AccountFacts]
) -> ExternalEvidence:
    """``external`` plus what the known-organisations file says about the accounts of the log."""
    members = known.members(facts)
    for org in known.organisations:
        members.update({a: org for a in org.accounts if a not in members})
    return replace(
        external,
        units={a: org.name for a, org in members.items()},
        protected=frozenset(a for a, org in members.items() if org.protected),
        confirmed={a: c.risk for a, c in known.confirmed.items()},
    )


def content_fields(registry: Registry) -> list[str]:
    """Rules may filter on every content detector's score, by the detector's name."""
    return [cls.name for _, cls in registry.classes("content")]


def write_outputs(con: Connection, result: ScanResult) -> None:
    """accounts.csv, campaigns.json and the timeline behind the report's plot."""
    write_accounts_csv(result.detection.verdicts, result.out_dir / "accounts.csv")
    write_campaigns_json(result.detection.campaigns, result.out_dir / "campaigns.json")
    write_timeline_csv(_timeline(con, result.detection), result.out_dir / "timeline.csv")


def _timeline(con: Connection, detection: DetectionResult) -> list[tuple[str, str, int]]:
    """Requests per day per campaign, with flagged-but-unlinked accounts and everything else pooled."""
    groups = [
        (v.account_id, v.campaign_id or ("flagged" if v.verdict != "benign" else "other")) for v in detection.verdicts
    ]
    table = pa.table({"account_id": [a for a, _ in groups], "grp": [g for _, g in groups]})
    with registered(con, "account_groups", table):
        rows = query_arrow(
            con,
            """
            SELECT strftime(CAST(r.ts AS DATE), '%Y-%m-%d') AS day, g.grp, count(*) AS n
            FROM requests r JOIN account_groups g USING (account_id) GROUP BY 1, 2 ORDER BY 1, 2
            """,
        ).to_pylist()
    return [(str(r["day"]), str(r["grp"]), int(r["n"])) for r in rows]


def write_run_json(
    result: ScanResult,
    files: Sequence[Path],
    settings: Settings,
    started: datetime,
    engine: str = "duckdb",
    model: DetectionModel | None = None,
) -> None:
    """Inputs, counts, versions and timings: what an auditor needs to reproduce the run."""
    run: dict[str, Any] = {
        "engine": engine,
        "distillshield": __version__,
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "finished_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "inputs": [{"path": str(f), "bytes": _size(f)} for f in files],
        "counts": result.counts,
        "timings_s": result.timings_s,
        "settings": asdict(settings),
        "versions": {"python": platform.python_version(), "duckdb": duckdb.__version__, **_engine_versions(engine)},
    }
    if model is not None:
        run["model"] = {"sha256": model.digest}
    (result.out_dir / "run.json").write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")


def _engine_versions(engine: str) -> dict[str, str]:
    if engine != "spark":
        return {}
    import pyspark

    return {"pyspark": pyspark.__version__}


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
