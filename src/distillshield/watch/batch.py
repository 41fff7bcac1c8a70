"""A batch of raw lines from a source, and committing it: rows, quarantine and checkpoint in one transaction.

Lines are validated with ingest's own gate (:func:`~distillshield.ingest.base.to_row`)
and written by its :class:`~distillshield.ingest.store.RequestStore`, which also
deduplicates by request_id: the second guard against counting a line twice
(after a log was copied or compressed under another name, say).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import orjson

from distillshield.errors import RecordError
from distillshield.ingest.base import to_row
from distillshield.ingest.mapping import Mapper
from distillshield.ingest.store import RequestStore
from distillshield.records import REQUEST_COLUMNS
from distillshield.watch.checkpoint import add_meta

_SOURCE_FILE = list(REQUEST_COLUMNS).index("source_file")


@dataclass(frozen=True, slots=True)
class Entry:
    """One raw record: where it came from (file or stream) and its 1-based line or entry number."""

    origin: str
    line: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class Reject:
    """A record rejected before parsing (oversized, or the broken tail of a gzip stream)."""

    origin: str
    line: int
    field: str | None
    reason: str
    raw: bytes


@dataclass
class Batch:
    """Records to commit together with ``save``, the checkpoint that covers exactly them."""

    entries: list[Entry]
    save: Callable[[duckdb.DuckDBPyConnection], None]
    rejects: list[Reject] = field(default_factory=list)
    #: Run once the transaction is committed (a stream consumer group acknowledges its entries).
    after_commit: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class Committed:
    read: int
    inserted: int
    duplicates: int
    quarantined: int


def parse(entry: Entry, mapper: Mapper | None = None) -> list[tuple[Any, ...] | Reject]:
    """The requests rows in ``entry`` (one, or with a mapping every record it maps to), or why each is rejected
    (named like scan names it)."""
    try:
        record = orjson.loads(entry.raw)
    except orjson.JSONDecodeError as exc:
        try:
            entry.raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return [Reject(entry.origin, entry.line, None, f"not valid UTF-8 at byte {bad.start}", entry.raw)]
        return [Reject(entry.origin, entry.line, None, f"invalid JSON: {exc}", entry.raw)]
    records = [record] if mapper is None else mapper.map(record)
    return [_row(entry, r) for r in records]


def _row(entry: Entry, record: Any) -> tuple[Any, ...] | Reject:
    try:
        if isinstance(record, RecordError):
            raise record
        row = to_row(record)
    except RecordError as exc:
        return Reject(entry.origin, entry.line, exc.location.field, exc.reason, entry.raw)
    return row[:_SOURCE_FILE] + (entry.origin, entry.line)


def commit(
    con: duckdb.DuckDBPyConnection, store: RequestStore, batch: Batch, mapper: Mapper | None = None
) -> Committed:
    """Store the batch's rows and rejects and its checkpoint atomically; then run ``after_commit``."""
    rows: list[tuple[Any, ...]] = []
    kept: list[Entry] = []
    rejects = list(batch.rejects)
    read = len(batch.rejects)
    for entry in batch.entries:
        for parsed in parse(entry, mapper):
            read += 1
            if isinstance(parsed, Reject):
                rejects.append(parsed)
            else:
                rows.append(parsed)
                kept.append(entry)
    con.execute("BEGIN TRANSACTION")
    try:
        inserted, duplicates, conflicts = store.write(rows)
        rejects += [_conflict(kept[i]) for i in conflicts]
        rejects.sort(key=lambda r: (r.origin, r.line))  # the quarantine in file order, as scan writes it
        _quarantine(con, rejects)
        done = Committed(read, inserted, duplicates, len(rejects))
        _count(con, done)
        batch.save(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if batch.after_commit is not None:
        batch.after_commit()
    return done


def _count(con: duckdb.DuckDBPyConnection, done: Committed) -> None:
    """Running totals as scan counts them (read = accepted + quarantined); ``version`` marks new data."""
    add_meta(con, "read", done.read)
    add_meta(con, "accepted", done.inserted + done.duplicates)
    add_meta(con, "quarantined", done.quarantined)
    add_meta(con, "duplicates", done.duplicates)
    if done.read:
        add_meta(con, "version", 1)


def _conflict(entry: Entry) -> Reject:
    return Reject(entry.origin, entry.line, "request_id", "duplicate request_id with different content", entry.raw)


def _quarantine(con: duckdb.DuckDBPyConnection, rejects: list[Reject]) -> None:
    if not rejects:
        return
    start = int(con.execute("SELECT coalesce(max(seq), 0) FROM watch_quarantine").fetchall()[0][0])
    con.executemany(
        "INSERT INTO watch_quarantine VALUES (?, ?, ?, ?, ?, ?)",
        [(start + i + 1, r.origin, r.line, r.field, r.reason, r.raw) for i, r in enumerate(rejects)],
    )
