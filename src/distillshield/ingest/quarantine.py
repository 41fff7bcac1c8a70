"""The quarantine file: every rejected record, with its raw bytes, so that nothing is lost.

One JSON object per line: ``file``, ``line`` (1-based; 0 for the whole file),
``field`` (or null), ``reason``, and the raw bytes as ``raw`` when they are
valid UTF-8, else as ``raw_base64``. Oversized records are streamed in base64
pieces, so quarantining a 50 MB line never holds it whole in memory.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import orjson


class QuarantineWriter:
    """Appends rejected records to ``path``; the file is created on the first rejection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
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

    def _head(self, file: str, line: int, field: str | None, reason: str) -> bytes:
        head = orjson.dumps({"file": file, "line": line, "field": field, "reason": reason})
        return head[:-1]  # reopen the object to append the raw bytes

    def reject(self, file: str, line: int, field: str | None, reason: str, raw: bytes) -> None:
        out = self._out()
        out.write(self._head(file, line, field, reason))
        try:
            out.write(b',"raw":' + orjson.dumps(raw.decode("utf-8")))
        except UnicodeDecodeError:
            out.write(b',"raw_base64":"' + base64.b64encode(raw) + b'"')
        out.write(b"}\n")
        self.count += 1

    def reject_stream(self, file: str, line: int, reason: str, pieces: Iterable[bytes]) -> None:
        """Quarantine a record too large to hold, base64-encoding it piece by piece."""
        out = self._out()
        out.write(self._head(file, line, None, reason) + b',"raw_base64":"')
        carry = b""
        for piece in pieces:
            data = carry + piece
            cut = len(data) - len(data) % 3  # base64 of whole 3-byte groups concatenates cleanly
            out.write(base64.b64encode(data[:cut]))
            carry = data[cut:]
        out.write(base64.b64encode(carry) + b'"}\n')
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
