"""Checkpoints: how far ``watch`` has read each source, kept in the state database beside the rows.

A checkpoint is written in the same DuckDB transaction as the rows it covers,
so after a crash either both are there or neither is: nothing is lost and
nothing is counted twice. Files are identified by device, inode and a hash of
their first bytes (inodes are reused after a delete); a stream by its name.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

#: Bytes of a file's head that identify it together with its inode.
HEAD_BYTES = 1024

_DDL = (
    """CREATE TABLE IF NOT EXISTS watch_files (
      path VARCHAR PRIMARY KEY, device UBIGINT, inode UBIGINT, head_len INTEGER, head_hash VARCHAR,
      size UBIGINT, byte_offset UBIGINT, line BIGINT, gzip BOOLEAN, done BOOLEAN)""",
    "CREATE TABLE IF NOT EXISTS watch_streams (source VARCHAR PRIMARY KEY, last_id VARCHAR, entries BIGINT)",
    """CREATE TABLE IF NOT EXISTS watch_quarantine (
      seq BIGINT, file VARCHAR, line BIGINT, field VARCHAR, reason VARCHAR, raw BLOB)""",
    "CREATE TABLE IF NOT EXISTS watch_meta (key VARCHAR PRIMARY KEY, value BIGINT)",
)


# Results are read with fetchall() throughout: DuckDB refuses other work on a connection while a
# result is only partly fetched, as fetchone() leaves it.


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in _DDL:
        con.execute(ddl)


@dataclass(frozen=True, slots=True)
class FileMark:
    """How far one file has been read: ``offset`` bytes (plain files) and ``line`` lines (both kinds)."""

    path: str
    device: int
    inode: int
    head_len: int
    head_hash: str
    size: int
    offset: int = 0
    line: int = 0
    gzip: bool = False
    done: bool = False  # a gzip file read to its end (rotated files do not grow)

    def advanced(self, path: Path, *, offset: int, line: int, size: int, done: bool = False) -> FileMark:
        """This mark moved forward, with the head re-read (a file shorter than HEAD_BYTES keeps growing)."""
        head_len, head_hash = file_head(path)
        return replace(self, head_len=head_len, head_hash=head_hash, offset=offset, line=line, size=size, done=done)


def file_head(path: Path, length: int = HEAD_BYTES) -> tuple[int, str]:
    """(bytes hashed, their hash): the first ``length`` bytes of ``path``, or fewer when it is shorter."""
    with path.open("rb") as handle:
        head = handle.read(length)
    return len(head), hashlib.blake2b(head, digest_size=16).hexdigest()


def same_file(mark: FileMark, path: Path, stat: os.stat_result) -> bool:
    """Whether ``path`` is still the file ``mark`` was taken of (same inode and the same first bytes)."""
    if (mark.device, mark.inode) != (stat.st_dev, stat.st_ino) or stat.st_size < mark.head_len:
        return False
    return file_head(path, mark.head_len) == (mark.head_len, mark.head_hash)


def load_file_marks(con: duckdb.DuckDBPyConnection) -> dict[str, FileMark]:
    rows = con.execute("SELECT * FROM watch_files").fetchall()
    return {row[0]: FileMark(*row) for row in rows}


def save_file_mark(con: duckdb.DuckDBPyConnection, mark: FileMark, moved_from: str | None = None) -> None:
    """Upsert ``mark``; ``moved_from`` is the path it had before a rename, whose mark it replaces."""
    if moved_from is not None:
        con.execute("DELETE FROM watch_files WHERE path = ?", [moved_from])
    con.execute(
        "INSERT OR REPLACE INTO watch_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            mark.path,
            mark.device,
            mark.inode,
            mark.head_len,
            mark.head_hash,
            mark.size,
            mark.offset,
            mark.line,
            mark.gzip,
            mark.done,
        ],
    )


def load_stream_mark(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str, int]:
    """(last entry id read, entries read so far) for ``source``; ("0-0", 0) before the first read."""
    rows = con.execute("SELECT last_id, entries FROM watch_streams WHERE source = ?", [source]).fetchall()
    return (str(rows[0][0]), int(rows[0][1])) if rows else ("0-0", 0)


def save_stream_mark(con: duckdb.DuckDBPyConnection, source: str, last_id: str, entries: int) -> None:
    con.execute("INSERT OR REPLACE INTO watch_streams VALUES (?, ?, ?)", [source, last_id, entries])


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> int:
    rows = con.execute("SELECT value FROM watch_meta WHERE key = ?", [key]).fetchall()
    return int(rows[0][0]) if rows else 0


def add_meta(con: duckdb.DuckDBPyConnection, key: str, amount: int) -> None:
    """Add ``amount`` to the counter ``key`` (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO watch_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
        [key, amount],
    )


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: int) -> None:
    con.execute("INSERT OR REPLACE INTO watch_meta VALUES (?, ?)", [key, value])
