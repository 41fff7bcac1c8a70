"""Ingest on Spark: the same readers and the same validator, run on the executors.

Input paths are listed on the driver and become one Spark task per file; each
task reads its file with :mod:`distillshield.ingest.readers` and validates every
record with :func:`~distillshield.ingest.base.to_row`, exactly as the DuckDB
ingest does, so both engines accept and reject the same records. A Spark table
(or ``parquet.`s3://bucket/logs/```) is validated batch by batch where its
partitions live; its "file" is the table name and partition, its "line" the row
within the partition.

Rejections come back to the driver for quarantine.jsonl. Request ids are then
deduplicated in Spark SQL as the DuckDB store does: the first occurrence (in
file and line order) is kept, later copies with the same content hash are
counted as duplicates, later copies with other content are quarantined.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa

from distillshield.engines.spark import SparkEngine
from distillshield.errors import RecordError
from distillshield.ingest.base import to_row
from distillshield.ingest.litellm import from_litellm
from distillshield.ingest.quarantine import reject_entry, stream_entry
from distillshield.ingest.readers import (
    Format,
    Item,
    Parsed,
    Position,
    _plain_rows,  # the Parquet reader's row normalisation: tables get the same
    read_csv,
    read_jsonl,
    read_parquet,
    sniff,
)
from distillshield.ingest.run import FileStats, IngestStats, expand_inputs
from distillshield.ingest.sparkjson import CHECKED, FALLBACK, LINES, jsonl_outcomes, spark_readable
from distillshield.progress import SILENT, Progress
from distillshield.records import REQUEST_COLUMNS, REQUEST_SCHEMA
from distillshield.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_SOURCE_FILE = list(REQUEST_COLUMNS).index("source_file")
#: What the executors send back: every request column, then the file's index and the outcome: ``row`` (valid),
#: ``reject`` or ``oversize``, with the field and reason of a rejection and the record's raw bytes.
_OUTCOME = [("_file", pa.int64()), ("_kind", pa.string()), ("_field", pa.string()), ("_reason", pa.string())]
_BUILD_SCHEMA = pa.schema([*REQUEST_SCHEMA, *_OUTCOME, ("_raw", pa.binary())])
#: The same with zone-aware timestamps, which Spark reads as UTC instants whatever its session's time zone.
_OUT_SCHEMA = pa.schema(
    [pa.field(f.name, pa.timestamp("us", "UTC")) if pa.types.is_timestamp(f.type) else f for f in _BUILD_SCHEMA]
)
_NO_ROW = (None,) * _SOURCE_FILE

#: The content hash of a validated row, as the DuckDB store computes it: every spec column, provenance excluded.
#: (Each engine writes the JSON its own way; the hash only has to agree with itself within a scan.)
_HASHED = ", ".join(c for c in REQUEST_COLUMNS if c not in {"content_hash", "source_file", "source_line"})
_CLASSIFY = f"""
CREATE OR REPLACE TABLE ingest_status AS
WITH hashed AS (SELECT *, md5(to_json(struct_pack({_HASHED}))) AS row_hash FROM ingested_rows)
SELECT *,
       row_number() OVER w AS k,
       first_value(row_hash) OVER w AS first_hash
FROM hashed
WINDOW w AS (PARTITION BY request_id ORDER BY _file, source_line)
"""
_KEPT = ", ".join("row_hash AS content_hash" if c == "content_hash" else c for c in REQUEST_COLUMNS)
_CONFLICT = "k > 1 AND row_hash <> first_hash"


class Outcomes:
    """Rows and rejections of one input, handed on as Arrow batches of at most ``batch_rows``."""

    def __init__(self, file: int, name: str, batch_rows: int) -> None:
        self.file, self.name, self.batch_rows = file, name, batch_rows
        self.rows: list[tuple[Any, ...]] = []

    def accept(self, row: tuple[Any, ...], line: int, raw: bytes) -> None:
        self.rows.append(row[:_SOURCE_FILE] + (self.name, line, self.file, "row", None, None, raw))

    def reject(self, line: int, field: str | None, reason: str, raw: bytes, kind: str = "reject") -> None:
        self.rows.append(_NO_ROW + (self.name, line, self.file, kind, field, reason, raw))

    def full(self) -> bool:
        return len(self.rows) >= self.batch_rows

    def take(self) -> pa.RecordBatch:
        columns = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(_BUILD_SCHEMA)
        arrays = [pa.array(c, type=f.type) for c, f in zip(columns, _BUILD_SCHEMA, strict=True)]
        self.rows = []
        return pa.RecordBatch.from_arrays(arrays, schema=_BUILD_SCHEMA).cast(_OUT_SCHEMA)


def validate(out: Outcomes, item: Item, litellm: bool) -> None:
    """One record through the one validator, as the DuckDB ingest does it."""
    if not isinstance(item, Parsed):
        out.reject(item.line, item.field, item.reason, item.raw)
        return
    raw = item.raw or orjson.dumps(item.record, default=str)
    try:
        record = from_litellm(item.record) if litellm and isinstance(item.record, dict) else item.record
        row = to_row(record, naive_is_utc=litellm)
    except RecordError as exc:
        out.reject(item.line, exc.location.field, exc.reason, raw)
        return
    out.accept(row, item.line, raw)


class ReadFiles:
    """Executor side for paths: batches of ``(_file, path)`` in, validated rows and rejections out."""

    def __init__(self, fmt: Format, settings: Settings) -> None:
        self.fmt, self.settings = fmt, settings

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for file, path in zip(batch.column("_file").to_pylist(), batch.column("path").to_pylist(), strict=True):
                yield from self.read(int(file), Path(path))

    def read(self, file: int, path: Path) -> Iterator[pa.RecordBatch]:
        out = Outcomes(file, str(path), self.settings.chunk_rows)

        def oversize(line: int, pieces: Iterator[bytes]) -> None:
            reason = f"record longer than max_record_bytes ({self.settings.max_record_bytes} bytes)"
            out.reject(line, None, reason, b"".join(pieces), "oversize")

        try:
            kind = sniff(path, self.fmt)
            if kind == "parquet":
                items: Iterator[Item] = read_parquet(path)
            elif kind == "litellm-csv":
                items = read_csv(path)
            else:
                items = read_jsonl(path, self.settings.max_record_bytes, oversize, Position())
            for item in items:
                validate(out, item, kind.startswith("litellm"))
                if out.full():
                    yield out.take()
        except (OSError, pa.ArrowException) as exc:
            out.reject(0, None, f"cannot read file: {exc}", b"")
        yield out.take()


class ValidateTable:
    """Executor side for a table: its rows as records (nested JSON text decoded, nulls dropped), validated."""

    def __init__(self, table: str, batch_rows: int) -> None:
        self.table, self.batch_rows = table, batch_rows

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        context = TaskContext.get()
        partition = context.partitionId() if context is not None else 0
        out = Outcomes(partition, f"{self.table}[partition {partition}]", self.batch_rows)
        line = 0
        for batch in batches:
            for record in _plain_rows(batch):
                line += 1
                validate(out, Parsed(line, b"", record), False)
                if out.full():
                    yield out.take()
        yield out.take()


def ingest_spark(
    engine: SparkEngine,
    paths: Sequence[str | Path],
    quarantine_path: Path,
    *,
    table: str | None = None,
    fmt: Format = "auto",
    settings: Settings | None = None,
    progress: Progress = SILENT,
) -> IngestStats:
    """Fill the engine's ``requests`` table from ``paths`` (or ``table``); the counting rules of the DuckDB ingest."""
    settings = settings or Settings()
    files = [] if table else expand_inputs(paths)
    task = progress.task("Ingesting logs on Spark", total=None)
    engine.size_partitions(_table_bytes(engine, table) if table else sum(_size(f) for f in files))
    # A view over outcomes already kept (the parsed lines, the Python readers' output): no extra copy.
    ingested = _outcomes(engine, files, table, fmt, settings)
    ingested.createOrReplaceTempView("ingested")
    outcomes = ingested.count()
    engine.spark.sql("SELECT * FROM ingested WHERE _kind = 'row'").createOrReplaceTempView("ingested_rows")
    engine.execute(_CLASSIFY)
    # A view, not a third copy: the kept rows of ingest_status, which stays until the engine closes.
    engine.spark.sql(f"SELECT {_KEPT} FROM ingest_status WHERE k = 1").createOrReplaceTempView("requests")
    engine.size_partitions(engine.table_bytes("ingest_status"))
    write_quarantine(engine, quarantine_path)
    stats = _stats(engine, files, table, outcomes)
    for name in ("ingested_rows", "ingested", LINES, CHECKED, FALLBACK, _PYTHON):
        engine.drop(name)
    task.advance(outcomes)
    task.close()
    return stats


#: The table of what the Python readers read (tables, Parquet, LiteLLM, files Spark's text reader cannot read).
_PYTHON = "_distillshield_python_read"
#: How much larger a file's rows are in Spark's memory than on disk, for sizing ingest's shuffles before the
#: rows exist: gzip JSON Lines inflate about five times, and the parsed columns sit beside the text.
_INFLATION = 12


def _table_bytes(engine: SparkEngine, table: str) -> int:
    """Spark's estimate of a table's size (from its files' sizes for Parquet), inflated as a file's is."""
    stats = engine.spark.sql(f"SELECT * FROM {table}")._jdf.queryExecution().optimizedPlan().stats()
    return int(stats.sizeInBytes()) * _INFLATION


def _size(path: Path) -> int:
    try:
        return path.stat().st_size * _INFLATION
    except OSError:
        return 0


def _outcomes(engine: SparkEngine, files: list[Path], table: str | None, fmt: Format, settings: Settings) -> DataFrame:
    """Every record's outcome: JSON Lines through Spark SQL, other formats and tables through the Python readers."""
    from pyspark.sql.pandas.types import from_arrow_schema

    schema = from_arrow_schema(_OUT_SCHEMA)
    if table is not None:
        validated = engine.spark.sql(f"SELECT * FROM {table}").mapInArrow(
            ValidateTable(table, settings.chunk_rows), schema
        )
        return engine.materialise(_PYTHON, validated)
    by_sql = {i: f for i, f in enumerate(files) if fmt != "litellm" and sniff(f, fmt) == "jsonl" and spark_readable(f)}
    others = [(i, str(f)) for i, f in enumerate(files) if i not in by_sql]
    frames = [jsonl_outcomes(engine, by_sql, settings.max_record_bytes, schema)] if by_sql else []
    if others or not frames:
        listing = engine.spark.createDataFrame(others, "_file BIGINT, path STRING").repartition(
            max(1, len(others)), "_file"
        )
        frames.append(engine.materialise(_PYTHON, listing.mapInArrow(ReadFiles(fmt, settings), schema)))
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    return frame


#: Rejections in file and line order: the readers' and validator's, then request ids that clash. A clashing row
#: read by the SQL path kept no raw bytes; its line is read again (only when there is such a clash).
_REJECTED = f"""
SELECT _file, source_file, source_line, _kind, _field, _reason, _raw FROM ingested WHERE _kind <> 'row'
UNION ALL
SELECT s._file, s.source_file, s.source_line, 'conflict', 'request_id', 'duplicate request_id with different content',
       coalesce(s._raw, {{line}}) FROM ingest_status s {{lines}} WHERE {_CONFLICT}
"""


def write_quarantine(engine: SparkEngine, path: Path) -> None:
    """quarantine.jsonl, written by the executors in file and line order; the driver only joins the parts."""
    reread = engine.spark.catalog.tableExists(LINES) and bool(
        engine.spark.sql(f"SELECT 1 FROM ingest_status WHERE {_CONFLICT} AND _raw IS NULL LIMIT 1").take(1)
    )
    query = _REJECTED.format(
        line="CAST(l.value AS BINARY)" if reread else "CAST(NULL AS BINARY)",
        lines=f"LEFT JOIN {LINES} l ON l._file = s._file AND l.source_line = s.source_line" if reread else "",
    )
    entries = engine.spark.sql(query).mapInArrow(QuarantineEntries(), "_file BIGINT, source_line BIGINT, entry STRING")
    parts = path.with_name(path.name + ".parts")
    shutil.rmtree(parts, ignore_errors=True)
    entries.orderBy("_file", "source_line").select("entry").write.mode("overwrite").text(str(parts))
    pieces = sorted(parts.glob("part-*"))
    if any(p.stat().st_size for p in pieces):
        with path.open("ab") as out:
            for piece in pieces:
                with piece.open("rb") as f:
                    shutil.copyfileobj(f, out)
    shutil.rmtree(parts, ignore_errors=True)


class QuarantineEntries:
    """Executor side of :func:`write_quarantine`: each rejection as its quarantine.jsonl line."""

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = batch.to_pylist()
            entries = [_entry(r).decode("utf-8").rstrip("\n") for r in rows]
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array([r["_file"] for r in rows], pa.int64()),
                    pa.array([r["source_line"] for r in rows], pa.int64()),
                    pa.array(entries, pa.string()),
                ],
                names=["_file", "source_line", "entry"],
            )


def _entry(r: dict[str, Any]) -> bytes:
    raw = r["_raw"] or b""
    if r["_kind"] == "oversize":
        return stream_entry(r["source_file"], r["source_line"], r["_reason"], [raw])
    return reject_entry(r["source_file"], r["source_line"], r["_field"], r["_reason"], raw)


_PER_FILE = """
SELECT _file, any_value(source_file) AS path, count(*) AS read,
       count(CASE WHEN _kind = 'row' THEN 1 END) AS rows
FROM ingested GROUP BY _file
"""
_DEDUP = f"""
SELECT _file, count(CASE WHEN k > 1 AND NOT ({_CONFLICT}) THEN 1 END) AS duplicates,
       count(CASE WHEN {_CONFLICT} THEN 1 END) AS conflicts
FROM ingest_status GROUP BY _file
"""


def _stats(engine: SparkEngine, files: list[Path], table: str | None, outcomes: int) -> IngestStats:
    per = {r["_file"]: r for r in engine.arrow(_PER_FILE).to_pylist()}
    dedup = {r["_file"]: r for r in engine.arrow(_DEDUP).to_pylist()}
    names = {i: str(f) for i, f in enumerate(files)}
    per_file = []
    for file in sorted(set(per) | set(names)):
        p, d = per.get(file, {}), dedup.get(file, {})
        read, rows, conflicts = int(p.get("read", 0)), int(p.get("rows", 0)), int(d.get("conflicts", 0))
        name = names.get(file) or str(p.get("path"))
        per_file.append(FileStats(name, read, rows - conflicts, read - rows + conflicts))
    return IngestStats(
        read=sum(f.read for f in per_file),
        accepted=sum(f.accepted for f in per_file),
        quarantined=sum(f.quarantined for f in per_file),
        duplicates=sum(int(d["duplicates"]) for d in dedup.values()),
        files=len(files) if table is None else len(per_file),
        empty_files=tuple(f.path for f in per_file if f.read == 0),
        per_file=tuple(per_file),
    )
