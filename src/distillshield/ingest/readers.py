"""Readers: every supported file format becomes a stream of parsed records or rejections.

A reader yields :class:`Parsed` (a record dict with its line and raw bytes) or
:class:`Rejected` (why a line cannot be read); validation against the spec is
done afterwards by :func:`distillshield.ingest.base.to_row`, the same for all.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from distillshield.ingest.lines import Broken, Oversize, iter_lines, open_maybe_gzip, open_tracked
from distillshield.ingest.litellm import SIGNATURE

Format = Literal["auto", "spec", "litellm"]
Kind = Literal["jsonl", "parquet", "litellm-jsonl", "litellm-csv"]
PARQUET_MAGIC = b"PAR1"
_PARQUET_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class Parsed:
    line: int
    raw: bytes
    record: Any


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    field: str | None
    reason: str
    raw: bytes


Item = Parsed | Rejected


class Position:
    """How far a reader is through its file on disk, for the progress bar."""

    def __init__(self) -> None:
        self.raw: BinaryIO | None = None

    def tell(self) -> int:
        try:
            return self.raw.tell() if self.raw is not None and not self.raw.closed else 0
        except (OSError, ValueError):
            return 0


def sniff(path: Path, fmt: Format) -> Kind:
    """Decide how to read ``path`` from its bytes, not its name (logs are often misnamed)."""
    with path.open("rb") as raw:
        if raw.read(4) == PARQUET_MAGIC:
            return "parquet"
    first = _first_text_line(path)
    if first.startswith(b"{"):
        if fmt == "litellm":
            return "litellm-jsonl"
        if fmt == "auto":
            try:
                keys = set(orjson.loads(first))
            except (orjson.JSONDecodeError, TypeError):
                return "jsonl"
            return "litellm-jsonl" if keys >= SIGNATURE and "ts" not in keys else "jsonl"
        return "jsonl"
    header = set(first.decode("utf-8", "replace").strip().split(","))
    if fmt == "litellm" or (fmt == "auto" and {h.strip().strip('"') for h in header} >= SIGNATURE):
        return "litellm-csv"
    return "jsonl"


def first_line(path: Path) -> bytes:
    """The first non-blank line (at most 1 MB of it), decompressed; empty when there is none."""
    return _first_text_line(path)


def _first_text_line(path: Path) -> bytes:
    try:
        with open_maybe_gzip(path) as stream:
            for line in stream:
                if line.strip():
                    return line.strip()[:1_000_000]
    except (EOFError, OSError):
        pass
    return b""


#: The record of a line left unparsed for the bulk SQL path (see ingest.bulk), which parses whole batches.
UNPARSED = object()


def read_jsonl(
    path: Path, max_bytes: int, on_oversize: Oversize, position: Position, *, parse: bool = True
) -> Iterator[Item]:
    """Lines as parsed records, or with ``parse=False`` as raw lines whose record is :data:`UNPARSED`."""
    stream, raw = open_tracked(path)
    position.raw = raw
    with raw, stream:
        for item in iter_lines(stream, max_bytes, on_oversize):
            if isinstance(item, Broken):
                yield Rejected(item.number, None, item.reason, item.tail)
            elif not item.data.strip():
                continue
            elif parse:
                yield parse_json(item.number, item.data)
            else:
                yield Parsed(item.number, item.data, UNPARSED)


def parse_json(number: int, data: bytes) -> Item:
    try:
        return Parsed(number, data, orjson.loads(data))
    except orjson.JSONDecodeError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return Rejected(number, None, f"not valid UTF-8 at byte {bad.start}", data)
        return Rejected(number, None, f"invalid JSON: {exc}", data)


def read_parquet(path: Path) -> Iterator[Item]:
    """Rows of a Parquet file in bounded batches; line numbers are 1-based row numbers."""
    row = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_PARQUET_BATCH):
        for record in _plain_rows(batch):
            row += 1
            yield Parsed(row, b"", record)


def _plain_rows(batch: pa.RecordBatch) -> Iterator[dict[str, Any]]:
    for record in batch.to_pylist():
        # Nested columns are often stored as JSON text; when they do not decode, to_row names the field.
        for column, opener in (("messages", "["), ("extra", "{")):
            value = record.get(column)
            if isinstance(value, str) and value[:1] == opener:
                with contextlib.suppress(orjson.JSONDecodeError):
                    record[column] = orjson.loads(value)
        yield {k: v for k, v in record.items() if v is not None}


def read_csv(path: Path) -> Iterator[Item]:
    """CSV with a header row; line numbers are where each record starts (quoted fields may span lines)."""
    csv.field_size_limit(1 << 30)
    with open_maybe_gzip(path) as binary, io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
        reader = csv.DictReader(text)
        start = 2
        try:
            for row in reader:
                raw = orjson.dumps(row)
                yield Parsed(start, raw, row)
                start = reader.line_num + 1
        except UnicodeDecodeError as exc:
            yield Rejected(start, None, f"not valid UTF-8 from here on: {exc.reason}", b"")
        except csv.Error as exc:
            yield Rejected(start, None, f"malformed CSV: {exc}", b"")
