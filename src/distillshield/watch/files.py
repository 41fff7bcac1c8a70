"""Follow a directory of rotating JSON Lines logs: new lines as they are appended, new files as they appear.

Each poll walks the directory (hidden files skipped, like ``scan``) and reads
every file from its checkpoint. A plain file is read up to its last complete
line (a line counts once its newline is written) and its byte offset is kept;
a gzip file (a rotated log) is read to its end and its line count is kept.
Rotation is recognised three ways: a renamed file keeps its inode and head, so
its checkpoint moves with it; ``X.gz`` continues where ``X`` stopped, so its
first lines are skipped; a file truncated in place (copytruncate) restarts.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import duckdb

from distillshield.ingest.lines import GZIP_MAGIC, Broken, iter_lines
from distillshield.watch.batch import Batch, Entry, Reject
from distillshield.watch.checkpoint import FileMark, file_head, load_file_marks, same_file, save_file_mark

#: Bytes read from a plain file at a time; a batch holds the complete lines of one block.
BLOCK = 4 << 20
#: Lines per batch from a gzip file.
GZIP_BATCH = 10_000
_PARQUET_MAGIC = b"PAR1"


class FileSource:
    """JSON Lines files under ``root`` (a directory, or one file)."""

    def __init__(self, root: Path, *, max_record_bytes: int, exclude: tuple[Path, ...] = ()) -> None:
        self.root = root
        self.name = str(root)
        self.max_record_bytes = max_record_bytes
        #: Directories never read (watch's own state and outputs, should they sit under the log directory).
        self.exclude = tuple(p.resolve() for p in exclude)
        self._marks: dict[str, FileMark] = {}
        self._truncated: dict[str, int] = {}  # gzip files found cut short, by size, to retry once

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        self._marks = load_file_marks(con)

    def poll(self, *, final: bool = False) -> Iterator[Batch]:
        """Batches of what was appended since the last poll; ``final``: nothing more will be written."""
        for path in self._ordered(self._files()):
            try:
                stat = path.stat()
                mark, moved_from = self._resolve(path, stat)
                with path.open("rb") as handle:
                    if handle.read(4)[:2] == GZIP_MAGIC:
                        yield from self._read_gzip(path, handle, stat, mark, moved_from, final)
                    elif mark.offset == 0 and _is_parquet(path):
                        continue  # watch reads JSON Lines only; scan reads Parquet
                    else:
                        yield from self._read_plain(path, handle, stat, mark, moved_from)
            except FileNotFoundError:
                continue  # rotated away between the listing and the read: found again under its new name

    def _files(self) -> list[Path]:
        if self.root.is_file():
            return [self.root]
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.rglob("*") if p.is_file() and not self._skipped(p))

    def _skipped(self, path: Path) -> bool:
        if any(part.startswith(".") for part in path.relative_to(self.root).parts):
            return True
        return any(path.resolve().is_relative_to(d) for d in self.exclude)

    def _ordered(self, files: list[Path]) -> list[Path]:
        """Renamed files first, so that their checkpoints move before a new file takes their old name."""
        known = {(m.device, m.inode): path for path, m in self._marks.items()}

        def renamed(path: Path) -> bool:
            try:
                stat = path.stat()
            except OSError:
                return False
            return known.get((stat.st_dev, stat.st_ino), str(path)) != str(path)

        return sorted(files, key=lambda p: (not renamed(p), str(p)))

    def _resolve(self, path: Path, stat: os.stat_result) -> tuple[FileMark, str | None]:
        """The checkpoint to continue ``path`` from, and the path it was taken under when that differs."""
        key = str(path)
        mark = self._marks.get(key)
        if mark is not None and same_file(mark, path, stat):
            if not mark.gzip and stat.st_size < mark.offset:
                return _fresh(path, stat), None  # truncated in place: a new file under the old name
            return mark, None
        for other in self._marks.values():
            if other.path != key and not _still_there(other) and same_file(other, path, stat):
                return replace(other, path=key), other.path  # renamed by rotation
        fresh = _fresh(path, stat)
        if path.suffix == ".gz" and (plain := self._marks.get(key[: -len(".gz")])) and not plain.gzip:
            return replace(fresh, line=plain.line), None  # compressed after rotation: skip what was read
        return fresh, None

    def _read_plain(
        self, path: Path, handle: BinaryIO, stat: os.stat_result, mark: FileMark, moved_from: str | None
    ) -> Iterator[Batch]:
        handle.seek(mark.offset)
        offset, line = mark.offset, mark.line
        while (chunk := _complete_lines(handle, self.max_record_bytes)) is not None:
            data, oversize = chunk
            entries, rejects = [], []
            for raw in data.split(b"\n")[:-1]:
                line += 1
                if len(raw) > self.max_record_bytes:
                    rejects.append(self._oversize(path, line, raw[:HEAD_OVERSIZE]))
                elif raw.strip():
                    entries.append(Entry(str(path), line, raw.rstrip(b"\r")))
            if oversize:
                line += 1
                rejects.append(self._oversize(path, line, oversize))
            offset = handle.tell()
            mark = mark.advanced(path, offset=offset, line=line, size=max(stat.st_size, offset))
            yield self._batch(entries, rejects, mark, moved_from)
            moved_from = None

    def _read_gzip(
        self,
        path: Path,
        handle: BinaryIO,
        stat: os.stat_result,
        mark: FileMark,
        moved_from: str | None,
        final: bool,
    ) -> Iterator[Batch]:
        if mark.done and mark.size == stat.st_size:
            return
        handle.seek(0)
        skip, line = mark.line, 0
        entries: list[Entry] = []
        rejects: list[Reject] = []
        stream: BinaryIO = gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[assignment]

        def oversize(number: int, pieces: Iterator[bytes]) -> None:
            head = _head_of(pieces)
            if number > skip:
                rejects.append(self._oversize(path, number, head))

        for item in iter_lines(stream, self.max_record_bytes, oversize):
            if isinstance(item, Broken):
                if not final and self._truncated.get(str(path)) != stat.st_size:
                    self._truncated[str(path)] = stat.st_size  # maybe still being written: look again next poll
                    return
                rejects.append(Reject(str(path), item.number, None, item.reason, item.tail))
                break
            line = item.number
            if line > skip and item.data.strip():
                entries.append(Entry(str(path), line, item.data))
            if len(entries) >= GZIP_BATCH:
                yield self._batch(entries, rejects, _gzip_mark(mark, path, stat, line, done=False), moved_from)
                entries, rejects, moved_from = [], [], None
        done = _gzip_mark(mark, path, stat, max(line, skip), done=True)
        yield self._batch(entries, rejects, done, moved_from)

    def _oversize(self, path: Path, line: int, head: bytes) -> Reject:
        reason = f"record longer than max_record_bytes ({self.max_record_bytes} bytes)"
        return Reject(str(path), line, None, reason, head)

    def _batch(self, entries: list[Entry], rejects: list[Reject], mark: FileMark, moved_from: str | None) -> Batch:
        def save(con: duckdb.DuckDBPyConnection) -> None:
            save_file_mark(con, mark, moved_from)

        def remember() -> None:
            if moved_from is not None:
                self._marks.pop(moved_from, None)
            self._marks[mark.path] = mark

        return Batch(entries, save, rejects, after_commit=remember)


def _fresh(path: Path, stat: os.stat_result) -> FileMark:
    head_len, head_hash = file_head(path)
    return FileMark(str(path), stat.st_dev, stat.st_ino, head_len, head_hash, stat.st_size)


def _gzip_mark(mark: FileMark, path: Path, stat: os.stat_result, line: int, *, done: bool) -> FileMark:
    return replace(mark.advanced(path, offset=0, line=line, size=stat.st_size, done=done), gzip=True)


def _still_there(mark: FileMark) -> bool:
    """Whether the file a mark was taken of still sits at its path (then the mark is not a rename)."""
    path = Path(mark.path)
    try:
        return same_file(mark, path, path.stat())
    except OSError:
        return False


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == _PARQUET_MAGIC


def _head_of(pieces: Iterator[bytes]) -> bytes:
    """The first HEAD_OVERSIZE bytes of an oversized line; the rest is read and dropped."""
    head = b""
    for piece in pieces:
        if len(head) < HEAD_OVERSIZE:
            head += piece[: HEAD_OVERSIZE - len(head)]
    return head


def _complete_lines(handle: BinaryIO, max_bytes: int) -> tuple[bytes, bytes] | None:
    """The next run of complete lines, and the head of an oversized line that ends it (else b"").

    None when only a partial line (still being written) or nothing is left.
    """
    start = handle.tell()
    data = handle.read(BLOCK)
    while data and b"\n" not in data and len(data) <= max_bytes:
        more = handle.read(BLOCK)
        if not more:
            break
        data += more
    cut = data.rfind(b"\n")
    if cut != -1:
        handle.seek(start + cut + 1)
        return data[: cut + 1], b""
    if len(data) <= max_bytes:
        handle.seek(start)
        return None
    head = data[:HEAD_OVERSIZE]
    while (more := handle.read(BLOCK)) and (nl := more.find(b"\n")) == -1:
        pass
    if not more:
        handle.seek(start)  # no end yet: the writer is still writing this huge line
        return None
    handle.seek(handle.tell() - len(more) + nl + 1)
    return b"", head


#: Bytes of an oversized line kept in the quarantine (the rest is not held in memory).
HEAD_OVERSIZE = 64 << 10
