"""Ingest files into the requests table: read, validate, quarantine, store, count.

The invariant every caller relies on: ``read == accepted + quarantined``. A
blank line is not a record; an unreadable file, a corrupt Parquet file or the
partial tail of a truncated gzip stream each count as one record read and
quarantined, so the quarantine file always accounts for everything rejected.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from distillshield.errors import InputError, Location, RecordError
from distillshield.ingest.base import to_row
from distillshield.ingest.litellm import from_litellm
from distillshield.ingest.quarantine import QuarantineWriter
from distillshield.ingest.readers import Format, Item, Parsed, Position, read_csv, read_jsonl, read_parquet, sniff
from distillshield.ingest.store import RequestStore
from distillshield.progress import SILENT, Progress, Task
from distillshield.records import REQUEST_COLUMNS
from distillshield.settings import Settings

_SOURCE_FILE = list(REQUEST_COLUMNS).index("source_file")


@dataclass(frozen=True, slots=True)
class FileStats:
    path: str
    read: int
    accepted: int
    quarantined: int


@dataclass(frozen=True, slots=True)
class IngestStats:
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    files: int = 0
    empty_files: tuple[str, ...] = ()
    per_file: tuple[FileStats, ...] = field(default_factory=tuple)


def expand_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given, directories walked recursively (sorted), globs expanded; unmatched paths are errors."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if not p.is_dir() and not p.name.startswith("."))
        elif path.exists() or path.is_symlink():
            found.append(path)
        elif matches := sorted(glob.glob(str(given), recursive=True)):
            found += [Path(m) for m in matches if not Path(m).is_dir()]
        else:
            raise InputError("no such file, directory or glob match", Location(path))
    return found


class _FileIngest:
    """The state of ingesting one file: its batch, counters and quarantine."""

    def __init__(self, path: Path, store: RequestStore, quarantine: QuarantineWriter, settings: Settings) -> None:
        self.path, self.name, self.store, self.quarantine = path, str(path), store, quarantine
        self.settings = settings
        self.read = self.accepted = self.rejected = self.duplicates = 0
        self.rows: list[tuple[Any, ...]] = []
        self.raws: list[tuple[int, bytes]] = []

    def reject(self, line: int, field: str | None, reason: str, raw: bytes) -> None:
        self.read += 1
        self.rejected += 1
        self.quarantine.reject(self.name, line, field, reason, raw)

    def oversize(self, line: int, pieces: Iterator[bytes]) -> None:
        self.read += 1
        self.rejected += 1
        reason = f"record longer than max_record_bytes ({self.settings.max_record_bytes} bytes)"
        self.quarantine.reject_stream(self.name, line, reason, pieces)

    def take(self, item: Item, litellm: bool) -> None:
        if not isinstance(item, Parsed):
            self.reject(item.line, item.field, item.reason, item.raw)
            return
        try:
            record = from_litellm(item.record) if litellm and isinstance(item.record, dict) else item.record
            row = to_row(record, naive_is_utc=litellm)
        except RecordError as exc:
            self.reject(item.line, exc.location.field, exc.reason, item.raw or orjson.dumps(item.record, default=str))
            return
        self.read += 1
        self.rows.append(row[:_SOURCE_FILE] + (self.name, item.line))
        self.raws.append((item.line, item.raw or orjson.dumps(item.record, default=str)))
        if len(self.rows) >= self.settings.chunk_rows:
            self.flush()

    def flush(self) -> None:
        inserted, duplicates, conflicts = self.store.write(self.rows)
        self.accepted += inserted + duplicates
        self.duplicates += duplicates
        for pos in conflicts:
            line, raw = self.raws[pos]
            self.rejected += 1
            self.quarantine.reject(self.name, line, "request_id", "duplicate request_id with different content", raw)
        self.rows, self.raws = [], []


def _items(path: Path, fmt: Format, state: _FileIngest, position: Position) -> tuple[Iterator[Item], bool]:
    kind = sniff(path, fmt)
    if kind == "parquet":
        return read_parquet(path), False
    if kind == "litellm-csv":
        return read_csv(path), True
    return read_jsonl(path, state.settings.max_record_bytes, state.oversize, position), kind == "litellm-jsonl"


def ingest_file(
    path: Path, fmt: Format, store: RequestStore, quarantine: QuarantineWriter, settings: Settings, task: Task
) -> FileStats:
    state = _FileIngest(path, store, quarantine, settings)
    position, done = Position(), 0
    try:
        items, litellm = _items(path, fmt, state, position)
        for n, item in enumerate(items, start=1):
            state.take(item, litellm)
            if n % 5000 == 0:
                task.advance(position.tell() - done)
                done = position.tell()
    except (OSError, pa.ArrowException) as exc:
        state.reject(0, None, f"cannot read file: {exc}", b"")
    state.flush()
    task.advance(max(0, _size(path) - done))
    return FileStats(state.name, state.read, state.accepted, state.rejected)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def ingest_paths(
    paths: Sequence[str | Path],
    con: duckdb.DuckDBPyConnection,
    quarantine_path: Path,
    *,
    fmt: Format = "auto",
    settings: Settings | None = None,
    progress: Progress = SILENT,
) -> IngestStats:
    """Read every input into ``con``'s requests table; see the module docstring for the counting rules."""
    settings = settings or Settings()
    files = expand_inputs(paths)
    store = RequestStore(con)
    task = progress.task("Ingesting logs", total=sum(_size(f) for f in files) or None)
    per_file = []
    with QuarantineWriter(quarantine_path) as quarantine:
        per_file = [ingest_file(f, fmt, store, quarantine, settings, task) for f in files]
    task.close()
    store_duplicates = store.duplicates
    return IngestStats(
        read=sum(f.read for f in per_file),
        accepted=sum(f.accepted for f in per_file),
        quarantined=sum(f.quarantined for f in per_file),
        duplicates=store_duplicates,
        files=len(files),
        empty_files=tuple(f.path for f in per_file if f.read == 0),
        per_file=tuple(per_file),
    )
