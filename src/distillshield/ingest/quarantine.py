"""The quarantine file: every rejected record, with its raw bytes, so that nothing is lost.

One JSON object per line: ``file``, ``line`` (1-based; 0 for the whole file),
``field`` (or null), ``reason``, and the raw bytes as ``raw`` when they are
valid UTF-8, else as ``raw_base64``. An oversized record is never held or stored
whole: its first :data:`PREFIX_BYTES` bytes are kept (``raw_prefix`` or
``raw_prefix_base64``) with its length (``raw_bytes``) and SHA-256 (``raw_sha256``),
so a 4 GiB line costs a few kilobytes of quarantine. The file as a whole is capped at
``max_bytes`` (setting ``max_quarantine_bytes``): past it the run stops with
:class:`~distillshield.errors.BudgetExceededError`, since a quarantine that grows
without limit is itself the attack (a log of a billion ``{}`` lines).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import orjson

from distillshield.errors import BudgetExceededError

#: Bytes of an oversized record kept in the quarantine.
PREFIX_BYTES = 4096


class QuarantineWriter:
    """Appends rejected records to ``path``; the file is created on the first rejection."""

    def __init__(self, path: Path, max_bytes: int = 0) -> None:
        self.path, self.max_bytes = path, max_bytes
        self.count = self.written = 0
        self._file: BinaryIO | None = None

    def __enter__(self) -> QuarantineWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _out(self) -> BinaryIO:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
        return self._file

    def reject(self, file: str, line: int, field: str | None, reason: str, raw: bytes) -> None:
        self._write(reject_entry(file, line, field, reason, raw))

    def reject_stream(self, file: str, line: int, reason: str, pieces: Iterable[bytes]) -> None:
        """Quarantine a record too large to hold: its prefix, length and SHA-256, computed piece by piece.

        The line is written even when the pieces stop early (a decompression budget cut the stream).
        """
        self._write(stream_entry(file, line, reason, pieces))

    def _write(self, entry: bytes) -> None:
        if self.max_bytes and self.written + len(entry) > self.max_bytes:
            raise BudgetExceededError(
                f"{self.path}: quarantine would pass max_quarantine_bytes ({self.max_bytes} bytes); run stopped"
            )
        self._out().write(entry)
        self.written += len(entry)
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _head(file: str, line: int, field: str | None, reason: str) -> bytes:
    head = orjson.dumps({"file": file, "line": line, "field": field, "reason": reason})
    return head[:-1]  # reopen the object to append the raw bytes


def reject_entry(file: str, line: int, field: str | None, reason: str, raw: bytes) -> bytes:
    """The quarantine line (newline included) of a rejected record."""
    return _head(file, line, field, reason) + _raw_field("raw", raw) + b"}\n"


def stream_entry(file: str, line: int, reason: str, pieces: Iterable[bytes]) -> bytes:
    """The quarantine line of a record too large to hold, from its pieces (see ``reject_stream``)."""
    digest, prefix, length = hashlib.sha256(), b"", 0
    try:
        for piece in pieces:
            digest.update(piece)
            length += len(piece)
            if len(prefix) < PREFIX_BYTES:
                prefix += piece[: PREFIX_BYTES - len(prefix)]
    finally:
        tail = f',"raw_bytes":{length},"raw_sha256":"{digest.hexdigest()}"}}\n'.encode()
        entry = _head(file, line, None, reason) + _raw_field("raw_prefix", prefix) + tail
    return entry


def _raw_field(name: str, raw: bytes) -> bytes:
    """``,"name":"text"`` when ``raw`` is UTF-8, else ``,"name_base64":"..."``."""
    try:
        return f',"{name}":'.encode() + orjson.dumps(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return f',"{name}_base64":"'.encode() + base64.b64encode(raw) + b'"'
