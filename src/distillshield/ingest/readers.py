"""Readers: every supported file format becomes a stream of parsed records or rejections.

A reader yields :class:`Parsed` (a record dict with its line and raw bytes) or
:class:`Rejected` (why a line cannot be read); validation against the spec is
done afterwards by :func:`distillshield.ingest.base.to_row`, the same for all.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from distillshield.ingest.lines import (
    Broken,
    Budget,
    Oversize,
    Run,
    iter_lines,
    iter_runs,
    open_maybe_gzip,
    open_tracked,
)
from distillshield.ingest.litellm import SIGNATURE

Format = Literal["auto", "spec", "litellm"]
Kind = Literal["jsonl", "parquet", "litellm-jsonl", "litellm-csv"]
PARQUET_MAGIC = b"PAR1"
_KEY_MARK = re.compile(rb'"\s*:')
#: Bytes read (decompressed) to find the first line when sniffing a format: one huge line is never assembled.
SNIFF_BYTES = 1 << 20
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


@dataclass(frozen=True, slots=True)
class Rows:
    """Parquet rows for the bulk SQL path, which writes each as a JSON line; ``first`` is the first's row number."""

    first: int
    batch: pa.RecordBatch


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
    """The first non-blank line within the first :data:`SNIFF_BYTES` bytes, cut there if it runs on."""
    try:
        with open_maybe_gzip(path) as stream:
            head = stream.read(SNIFF_BYTES)
    except (EOFError, OSError):
        return b""
    for line in head.split(b"\n"):
        if line.strip():
            return line.strip()
    return b""


def read_jsonl(
    path: Path,
    max_bytes: int,
    on_oversize: Oversize,
    position: Position,
    *,
    budget: Budget | None = None,
) -> Iterator[Item]:
    """Lines as parsed records (:func:`read_jsonl_runs` hands them on unparsed, for the bulk SQL path)."""
    stream, raw = open_tracked(path, budget)
    position.raw = raw
    with raw, stream:
        for item in iter_lines(stream, max_bytes, on_oversize):
            if isinstance(item, Broken):
                yield Rejected(item.number, None, item.reason, item.tail)
            elif not item.data.strip():
                continue
            else:
                yield parse_json(item.number, item.data)


def read_jsonl_runs(
    path: Path, max_bytes: int, on_oversize: Oversize, position: Position, *, budget: Budget | None = None
) -> Iterator[Run | Rejected]:
    """The lines of :func:`read_jsonl` unparsed, for the bulk SQL path (see ingest.bulk), which parses whole
    batches; a run at a time, blank lines left out."""
    stream, raw = open_tracked(path, budget)
    position.raw = raw
    with raw, stream:
        for run in iter_runs(stream, max_bytes, on_oversize):
            if isinstance(run, Broken):
                yield Rejected(run.number, None, run.reason, run.tail)
                continue
            blank = [i for i, line in enumerate(run.lines) if not line.strip()]
            if not blank:
                yield run
                continue
            start = 0
            for i in [*blank, len(run.lines)]:  # the stretches between blank lines, as runs of their own
                if i > start:
                    yield Run(run.first + start, run.lines[start:i])
                start = i + 1


def parse_json(number: int, data: bytes) -> Item:
    try:
        record = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return Rejected(number, None, f"not valid UTF-8 at byte {bad.start}", data)
        return Rejected(number, None, f"invalid JSON: {exc}", data)
    duplicate = duplicate_key(data, record)
    if duplicate is not None:
        # Parsers disagree on which copy wins (orjson the last, others the first): refuse, don't guess.
        return Rejected(number, duplicate, f"duplicate key {duplicate!r} in one JSON object", data)
    return Parsed(number, data, record)


def duplicate_key(data: bytes, record: Any) -> str | None:
    """A key that appears twice in one object of ``data`` (whose parse is ``record``), or None.

    Cheap in the usual case: every key in the text is a quote followed by a colon, so when the text
    has no more of those than the parsed objects have keys, no key can repeat.
    """
    if len(_KEY_MARK.findall(data)) <= _count_keys(record):
        return None
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen and not found:
                found.append(key)
            seen.add(key)
        return dict(items)

    json.loads(data, object_pairs_hook=pairs)
    return found[0] if found else None


def _count_keys(value: Any) -> int:
    count, stack = 0, [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            count += len(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def read_parquet(path: Path) -> Iterator[Item]:
    """Rows of a Parquet file in bounded batches; line numbers are 1-based row numbers."""
    row = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_PARQUET_BATCH):
        for record in _plain_rows(batch):
            row += 1
            yield Parsed(row, b"", record)


def read_parquet_rows(path: Path) -> Iterator[Rows]:
    """Rows of a Parquet file in bounded batches, left for the bulk SQL path (see :func:`bulk_readable`)."""
    row = 1
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_PARQUET_BATCH):
        yield Rows(row, batch)
        row += batch.num_rows


def bulk_readable(path: Path) -> bool:
    """Whether every column of a Parquet file has a type DuckDB writes as JSON exactly as Python reads the value.

    Strings, integers, doubles, booleans, and lists and structs of them. Other types (timestamps, binary,
    maps, decimals) take the per-row path, where the record is what :func:`plain_record` gives.
    """
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException):
        return False  # the per-row reader meets the same error and quarantines the file with it
    return all(_json_exact(field.type) for field in schema)


def _json_exact(kind: pa.DataType) -> bool:
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _json_exact(kind.value_type)
    if pa.types.is_struct(kind):
        return all(_json_exact(kind.field(i).type) for i in range(kind.num_fields))
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_float64(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_null(kind)
    )


def plain_record(batch: pa.RecordBatch, index: int) -> dict[str, Any]:
    """Row ``index`` of ``batch`` as the per-row path reads it."""
    return next(_plain_rows(batch.slice(index, 1)))


def _plain_rows(batch: pa.RecordBatch) -> Iterator[dict[str, Any]]:
    for record in batch.to_pylist():
        # Nested columns are often stored as JSON text; when they do not decode, to_row names the field.
        for column, opener in (("messages", "["), ("extra", "{")):
            value = record.get(column)
            if isinstance(value, str) and value[:1] == opener:
                with contextlib.suppress(orjson.JSONDecodeError):
                    record[column] = orjson.loads(value)
        yield {k: v for k, v in record.items() if v is not None}


def read_csv(path: Path, max_bytes: int = 16 << 20, budget: Budget | None = None) -> Iterator[Item]:
    """CSV with a header row; line numbers are where each record starts (quoted fields may span lines).

    No field may pass ``max_bytes`` (setting ``max_record_bytes``) and text lines are read at most
    that long, so one huge field never sits whole in memory; such a record stops the file with a
    quarantine line, as a malformed one does (a CSV parser cannot resynchronise inside a quoted field).
    """
    # The limit is the csv module's, for the whole process: set it for this file only, and put back what
    # others (the labels reader, which relies on the default) expect.
    previous = csv.field_size_limit(max_bytes)
    try:
        yield from _csv_items(path, max_bytes, budget)
    finally:
        csv.field_size_limit(previous)


def _csv_items(path: Path, max_bytes: int, budget: Budget | None) -> Iterator[Item]:
    with open_maybe_gzip(path, budget) as binary, io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
        reader = csv.DictReader(_bounded_lines(text, max_bytes))
        start = 2
        try:
            for row in reader:
                raw = orjson.dumps(row)
                yield Parsed(start, raw, row)
                start = reader.line_num + 1
        except UnicodeDecodeError as exc:
            yield Rejected(start, None, f"not valid UTF-8 from here on: {exc.reason}", b"")
        except _LineTooLongError as exc:
            yield Rejected(start, None, f"{exc}; rest of file not read", b"")
        except csv.Error as exc:
            reason = f"record longer than max_record_bytes ({max_bytes} bytes)" if "field limit" in str(exc) else exc
            yield Rejected(start, None, f"malformed CSV: {reason}; rest of file not read", b"")
        except OSError as exc:
            yield Rejected(start, None, f"{exc}", b"")


class _LineTooLongError(Exception):
    """A CSV text line longer than max_record_bytes: reading it whole is what a hostile producer wants."""


def _bounded_lines(text: io.TextIOWrapper, max_bytes: int) -> Iterator[str]:
    while line := text.readline(max_bytes + 1):
        if len(line) > max_bytes:
            raise _LineTooLongError(f"record longer than max_record_bytes ({max_bytes} bytes)")
        yield line
