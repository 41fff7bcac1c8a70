"""Ingest files into the requests table: read, validate, quarantine, store, count.

The invariant every caller relies on: ``read == accepted + quarantined``. A
blank line is not a record; an unreadable file, a corrupt Parquet file or the
partial tail of a truncated gzip stream each count as one record read and
quarantined, so the quarantine file always accounts for everything rejected.
"""

from __future__ import annotations

import glob
import logging
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from distillshield.errors import InputError, Location, RecordError
from distillshield.ingest.base import to_row
from distillshield.ingest.bulk import json_lines_sql
from distillshield.ingest.lines import Budget, Run
from distillshield.ingest.mapping import FieldMapping, Mapper, builtin_mapping, sniff_mapping
from distillshield.ingest.quarantine import QuarantineWriter
from distillshield.ingest.readers import (
    Format,
    Item,
    Kind,
    Parsed,
    Position,
    Rejected,
    Rows,
    bulk_readable,
    first_line,
    parse_json,
    plain_record,
    read_csv,
    read_jsonl,
    read_jsonl_runs,
    read_parquet,
    read_parquet_rows,
    sniff,
)
from distillshield.ingest.store import RequestStore, parse_lines
from distillshield.progress import SILENT, Progress, Task
from distillshield.records import REQUEST_COLUMNS
from distillshield.settings import Settings

_SOURCE_FILE = list(REQUEST_COLUMNS).index("source_file")
#: Fewer spec records than this, mapped in Python from lines a compiled mapping declined, are checked by to_row
#: one by one instead of by a second bulk query: planning that query costs 30 to 50 ms whatever its size, as
#: much as to_row on about 2,000 records (20 µs each); a compiled mapping declines about 1% of a batch.
_BULK_MAPPED_MIN = 1_000
log = logging.getLogger(__name__)


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


class Inputs(list[Path]):
    """The files to read, and those found but skipped, each with why (they are quarantined, not read)."""

    def __init__(self, files: Sequence[Path] = (), skipped: Sequence[tuple[Path, str]] = ()) -> None:
        super().__init__(files)
        self.skipped = list(skipped)


def expand_inputs(paths: Sequence[str | Path]) -> Inputs:
    """Files as given, directories walked recursively (sorted), globs expanded; unmatched paths are errors.

    Whoever writes into a scanned folder does not choose what else the scan reads: a symlink in a
    folder that points out of it, and anything that is not a regular file (a FIFO would block the
    scan forever), are skipped and quarantined with the reason.
    """
    if isinstance(paths, Inputs):
        return paths
    found = Inputs()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for p in sorted(p for p in path.rglob("*") if not p.is_dir() and not p.name.startswith(".")):
                _add(found, p, _escapes(p, path))
        elif path.exists() or path.is_symlink():
            _add(found, path)
        elif matches := sorted(glob.glob(str(given), recursive=True)):
            for m in matches:
                if not Path(m).is_dir():
                    _add(found, Path(m))
        else:
            raise InputError("no such file, directory or glob match", Location(path))
    return found


def _add(found: Inputs, path: Path, problem: str | None = None) -> None:
    if problem is None and path.exists() and not path.is_file():
        problem = "not a regular file (FIFO, socket or device): skipped"
    if problem is None:
        found.append(path)
    else:
        found.skipped.append((path, problem))


def _escapes(path: Path, root: Path) -> str | None:
    """Why a symlink found under ``root`` must not be followed, or None."""
    if not path.is_symlink():
        return None
    try:
        path.resolve(strict=True).relative_to(root.resolve())
    except (OSError, RuntimeError):
        return "broken or looping symlink: skipped"
    except ValueError:
        return "symlink pointing out of the scanned folder: skipped"
    return None


_Reject = tuple[int, str | None, str, bytes]  # (line, field, reason, raw)


class _Batch:
    """One batch of a file on its way to the store: raw lines for the bulk path, rows, and rejections."""

    def __init__(self, name: str, mapper: Mapper | None = None) -> None:
        """``mapper``: the raw lines are source records of a compiled mapping, not spec records."""
        self.name, self.mapper = name, mapper
        self.lines: list[tuple[int, int, bytes]] = []  # (position, line, raw) for the bulk path
        self.rows: list[tuple[Any, ...]] = []
        self.row_positions: list[int] = []
        self.raws: list[tuple[int, bytes]] = []  # (line, raw) by position in the batch
        self.rejects: list[_Reject] = []
        self.parsed: pa.Table | None = None
        self.parquet: list[tuple[int, Rows]] = []  # (first position, rows) whose JSON lines the parser writes

    def validate(self, position: int, line: int, record: Any, raw: bytes) -> None:
        """The per-record path: to_row accepts the record or names the field that breaks the spec."""
        try:
            row = to_row(record)
        except RecordError as exc:
            self.rejects.append((line, exc.location.field, exc.reason, raw))
            return
        self.rows.append(row[:_SOURCE_FILE] + (self.name, line))
        self.row_positions.append(position)

    def prepare(self, parser: duckdb.DuckDBPyConnection) -> None:
        """Parse the raw lines in bulk on ``parser`` (a cursor of its own) and validate the rest with to_row."""
        parsed = self._parse_lines(parser) if self.lines else None
        tables = [parsed] if parsed is not None else []
        tables += [self._parse_rows(parser, first, rows) for first, rows in self.parquet]
        if tables:
            self.parsed = pa.concat_tables(tables)
            if self.parsed.num_rows == len(self.lines) + sum(rows.batch.num_rows for _, rows in self.parquet):
                return  # the usual case: the bulk path took every line
        accepted = set(self.parsed.column("_pos").to_pylist()) if self.parsed is not None else set()
        declined = [(position, line, raw) for position, line, raw in self.lines if position not in accepted]
        if self.mapper is not None:
            self._map_declined(parser, declined)
        for position, line, raw in declined if self.mapper is None else ():
            self._validate_line(position, line, raw)
        for first, rows in self.parquet:
            for index in range(rows.batch.num_rows):
                if first + index not in accepted:
                    record = plain_record(rows.batch, index)
                    raw = orjson.dumps(record, default=str)
                    self.raws[first + index] = (rows.first + index, raw)
                    self.validate(first + index, rows.first + index, record, raw)

    def _map_declined(self, parser: duckdb.DuckDBPyConnection, declined: list[tuple[int, int, bytes]]) -> None:
        """Source lines the compiled mapping did not vouch for, exactly as without it: the Python mapper (a
        compiled mapping has no ``records``: one outcome a line), its spec records through the bulk path, and
        to_row for those the bulk path declines (or for all of them, when they are few)."""
        assert self.mapper is not None
        spec: list[tuple[int, int, bytes]] = []
        for position, line, raw in declined:
            item = parse_json(line, raw)
            if isinstance(item, Rejected):
                self.rejects.append((line, item.field, item.reason, raw))
                continue
            (outcome,) = self.mapper.map(item.record)
            if isinstance(outcome, RecordError):
                self.rejects.append((line, outcome.location.field, outcome.reason, raw))
            else:
                spec.append((position, line, orjson.dumps(outcome)))
        if len(spec) < _BULK_MAPPED_MIN:
            for position, line, text in spec:
                self.validate(position, line, orjson.loads(text), self.raws[position][1])
            return
        positions, lines, texts = (list(column) for column in zip(*spec, strict=True))
        table = parse_lines(parser, positions, lines, pa.array(texts, pa.binary()).cast(pa.string()), self.name)
        tables = [table] if self.parsed is None else [self.parsed, table]
        self.parsed = pa.concat_tables(tables, promote_options="default")
        taken = set(table.column("_pos").to_pylist())
        for position, line, text in spec:
            if position not in taken:
                self.validate(position, line, orjson.loads(text), self.raws[position][1])

    def _parse_rows(self, parser: duckdb.DuckDBPyConnection, first: int, rows: Rows) -> pa.Table:
        """Parquet rows written as JSON lines by DuckDB, then taken by the bulk path like any other line."""
        columns = [(f.name, pa.types.is_string(f.type) or pa.types.is_large_string(f.type)) for f in rows.batch.schema]
        parser.register("parquet_rows", pa.Table.from_batches([rows.batch]))
        try:
            texts = parser.sql(json_lines_sql(columns)).to_arrow_table().column("raw").combine_chunks()
        finally:
            parser.unregister("parquet_rows")
        n = rows.batch.num_rows
        positions, lines = list(range(first, first + n)), list(range(rows.first, rows.first + n))
        return parse_lines(parser, positions, lines, texts, self.name)

    def raw(self, position: int) -> bytes:
        """The raw bytes of the record at ``position``, as the quarantine keeps them."""
        raw = self.raws[position][1]
        for first, rows in self.parquet:
            if not raw and first <= position < first + rows.batch.num_rows:
                return orjson.dumps(plain_record(rows.batch, position - first), default=str)
        return raw

    def write(self, store: RequestStore) -> tuple[int, int, list[_Reject]]:
        """Stage and commit the prepared batch; returns (inserted, duplicates, every rejection in line order)."""
        if self.parsed is not None:
            store.stage_parsed(self.parsed)
        store.stage_rows(self.rows, self.row_positions)
        inserted, duplicates, conflicts = store.commit()
        for position in conflicts:
            line = self.raws[position][0]
            self.rejects.append((line, "request_id", "duplicate request_id with different content", self.raw(position)))
        return inserted, duplicates, sorted(self.rejects, key=lambda r: r[0])

    def _parse_lines(self, parser: duckdb.DuckDBPyConnection) -> pa.Table | None:
        """The bulk SQL path's rows; lines that are not UTF-8 are left for the fallback. None: a compiled
        mapping's query failed, and the whole batch is mapped in Python (as without it)."""
        positions, lines, raws = (list(column) for column in zip(*self.lines, strict=True))
        try:
            # One UTF-8 check for the whole batch in Arrow, instead of a decode per line in Python.
            texts = pa.array(raws, pa.binary()).cast(pa.string())
        except pa.ArrowInvalid:
            positions, lines, decoded = [], [], []
            for position, line, raw in self.lines:
                try:
                    decoded.append(raw.decode())
                except UnicodeDecodeError:
                    continue
                positions.append(position)
                lines.append(line)
            texts = pa.array(decoded, pa.string())
        compiled = self.mapper.compiled if self.mapper is not None else None
        if compiled is None:
            return parse_lines(parser, positions, lines, texts, self.name)
        try:
            return parse_lines(parser, positions, lines, texts, self.name, compiled.rows_sql, compiled.params)
        except duckdb.Error as exc:  # never expected (the query is tried when compiled); never fatal
            log.warning("compiled mapping %s failed on a batch (%s): mapped in Python", compiled.name, exc)
            return None

    def _validate_line(self, position: int, line: int, raw: bytes) -> None:
        item = parse_json(line, raw)
        original = self.raws[position][1]  # a mapped record is quarantined as the source wrote it
        if isinstance(item, Rejected):
            self.rejects.append((line, item.field, item.reason, original))
        else:
            self.validate(position, line, item.record, original)


@dataclass(frozen=True, slots=True)
class _Workers:
    """The two threads behind the reader: one parses batches in bulk on a DuckDB cursor of its own, the other
    writes them through the store's connection, in the order the batches were read.

    Why two: writing a batch (classify, insert, commit) and parsing the next touch
    different connections, and DuckDB releases the GIL, so reading, parsing and
    writing overlap on separate cores instead of one thread doing both in turn.
    """

    parser: Executor
    cursor: duckdb.DuckDBPyConnection
    writer: Executor


def _write_when_prepared(prepared: Future[None], batch: _Batch, store: RequestStore) -> tuple[int, int, list[_Reject]]:
    prepared.result()
    return batch.write(store)


class _FileIngest:
    """The state of ingesting one file: the batch being filled, the ones being parsed and written, counters and
    quarantine.

    Spec JSON lines are kept as text and validated a whole batch at a time by the
    store's bulk SQL path; lines it does not accept, and records from the other
    readers, go through :func:`to_row`. While this thread reads a batch, the one
    before it is parsed and the one before that written (see :class:`_Workers`), and
    each batch's rejections reach the quarantine, in line order, from this thread.
    """

    #: Batches handed on and not yet collected: one being parsed, one being written.
    IN_FLIGHT = 2

    def __init__(
        self, path: Path, store: RequestStore, quarantine: QuarantineWriter, settings: Settings, workers: _Workers
    ) -> None:
        self.path, self.name, self.store, self.quarantine = path, str(path), store, quarantine
        self.settings, self.workers = settings, workers
        self.read = self.accepted = self.rejected = self.duplicates = 0
        self.compiled: Mapper | None = None  # set when the file's raw lines go to a compiled mapping
        self.batch = _Batch(self.name)
        self.in_flight: deque[Future[tuple[int, int, list[_Reject]]]] = deque()

    def reject(self, line: int, field: str | None, reason: str, raw: bytes) -> None:
        self.read += 1
        self.batch.rejects.append((line, field, reason, raw))

    def oversize(self, line: int, pieces: Iterator[bytes]) -> None:
        self.read += 1
        self.rejected += 1
        reason = f"record longer than max_record_bytes ({self.settings.max_record_bytes} bytes)"
        self.quarantine.reject_stream(self.name, line, reason, pieces)

    def take(self, item: Item | Rows, mapper: Mapper | None = None) -> None:
        if isinstance(item, Rows):
            self._take_rows(item)
            return
        if not isinstance(item, Parsed):
            self.reject(item.line, item.field, item.reason, item.raw)
            return
        raw = item.raw or orjson.dumps(item.record, default=str)
        if mapper is not None:
            self._take_mapped(item.line, raw, mapper.map(item.record))
            return
        batch = self.batch
        position = len(batch.raws)
        batch.raws.append((item.line, raw))
        self.read += 1
        batch.validate(position, item.line, item.record, raw)
        if len(batch.raws) >= self.settings.chunk_rows:
            self.flush()

    def take_run(self, run: Run) -> None:
        """Raw spec JSON lines for the bulk path, a run at a time: what :meth:`take` does for each, in bulk."""
        lines, numbers = run.lines, range(run.first, run.first + len(run.lines))
        while lines:
            batch = self.batch
            start = len(batch.raws)
            room = self.settings.chunk_rows - start
            taken, taken_numbers = lines[:room], numbers[:room]
            lines, numbers = lines[room:], numbers[room:]
            batch.raws += zip(taken_numbers, taken, strict=True)
            batch.lines += zip(range(start, start + len(taken)), taken_numbers, taken, strict=True)
            self.read += len(taken)
            if len(batch.raws) >= self.settings.chunk_rows:
                self.flush()

    def _take_rows(self, rows: Rows) -> None:
        """Parquet rows for the bulk path; their raw bytes are written only for rows that need them."""
        batch = self.batch
        batch.parquet.append((len(batch.raws), rows))
        batch.raws += [(rows.first + i, b"") for i in range(rows.batch.num_rows)]
        self.read += rows.batch.num_rows
        if len(batch.raws) >= self.settings.chunk_rows:
            self.flush()

    def _take_mapped(self, line: int, raw: bytes, outcomes: list[Any]) -> None:
        """Mapped spec records take the bulk path as spec JSON; a failed mapping is quarantined naming its rule."""
        for outcome in outcomes:
            if isinstance(outcome, RecordError):
                self.reject(line, outcome.location.field, outcome.reason, raw)
                continue
            batch = self.batch
            position = len(batch.raws)
            batch.raws.append((line, raw))
            batch.lines.append((position, line, orjson.dumps(outcome)))
            self.read += 1
            if len(batch.raws) >= self.settings.chunk_rows:
                self.flush()

    def flush(self) -> None:
        """Hand the filled batch on to be parsed, then written, and start a new one."""
        batch, self.batch = self.batch, _Batch(self.name, self.compiled)
        workers = self.workers
        prepared = workers.parser.submit(batch.prepare, workers.cursor)
        self.in_flight.append(workers.writer.submit(_write_when_prepared, prepared, batch, self.store))
        while len(self.in_flight) > self.IN_FLIGHT:
            self._collect(self.in_flight.popleft())

    def wait(self) -> None:
        """Collect every batch handed on."""
        while self.in_flight:
            self._collect(self.in_flight.popleft())

    def _collect(self, written: Future[tuple[int, int, list[_Reject]]]) -> None:
        """A written batch's counts, and its rejections into the quarantine."""
        inserted, duplicates, rejects = written.result()
        self.accepted += inserted + duplicates
        self.duplicates += duplicates
        for line, name, reason, raw in rejects:
            self.rejected += 1
            self.quarantine.reject(self.name, line, name, reason, raw)


def _items(
    path: Path, fmt: Format, state: _FileIngest, position: Position, mapping: FieldMapping | None, compile_sql: bool
) -> tuple[Iterator[Item] | Iterator[Rows] | Iterator[Run | Rejected], Mapper | None]:
    kind = sniff(path, fmt)
    mapper = _mapper(path, fmt, kind, mapping)
    if kind == "parquet":
        return (read_parquet_rows(path) if mapper is None and bulk_readable(path) else read_parquet(path)), mapper
    settings = state.settings
    budget = Budget(settings.max_decompressed_bytes, settings.max_compression_ratio)
    if kind == "litellm-csv" or (mapping is not None and kind == "jsonl" and _is_csv(path)):
        return read_csv(path, settings.max_record_bytes, budget), mapper
    if compile_sql and kind == "jsonl" and mapper is not None and mapper.compiled is not None:
        # Raw lines for the mapping compiled to SQL (see ingest.mapping.compiled); Python maps only the rest.
        state.compiled = state.batch.mapper = mapper
        mapper = None
    if kind == "jsonl" and mapper is None:  # spec JSON lines, or a compiled mapping's source lines: raw, in bulk
        return read_jsonl_runs(path, settings.max_record_bytes, state.oversize, position, budget=budget), None
    return read_jsonl(path, settings.max_record_bytes, state.oversize, position, budget=budget), mapper


def _mapper(path: Path, fmt: Format, kind: Kind, mapping: FieldMapping | None) -> Mapper | None:
    """The mapping given (--mapping), else LiteLLM's or another built-in's where the file's first record fits."""
    if mapping is not None:
        return Mapper(mapping)
    if kind.startswith("litellm"):
        return Mapper(builtin_mapping("litellm"))
    found = sniff_mapping(path) if fmt == "auto" and kind == "jsonl" else None
    return Mapper(found) if found is not None else None


def _is_csv(path: Path) -> bool:
    """A file whose first line is not a JSON object, read with a mapping: a CSV export with a header row."""
    return not first_line(path).lstrip().startswith(b"{")


def ingest_file(
    path: Path,
    fmt: Format,
    store: RequestStore,
    quarantine: QuarantineWriter,
    settings: Settings,
    task: Task,
    workers: _Workers,
    mapping: FieldMapping | None = None,
    compile_sql: bool = True,
) -> FileStats:
    state = _FileIngest(path, store, quarantine, settings, workers)
    position, done = Position(), 0
    try:
        items, mapper = _items(path, fmt, state, position, mapping, compile_sql)
        for n, item in enumerate(items, start=1):
            if isinstance(item, Run):
                state.take_run(item)
            else:
                state.take(item, mapper)
            if n % 5000 == 0 or isinstance(item, Run):
                task.advance(position.tell() - done)
                done = position.tell()
    except (OSError, pa.ArrowException) as exc:
        state.reject(0, None, f"cannot read file: {exc}", b"")
    state.flush()
    state.wait()
    task.advance(max(0, _size(path) - done))
    return FileStats(state.name, state.read, state.accepted, state.rejected)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextmanager
def _transactions(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Ingest inside transactions that the store commits every ``store.TRANSACTION_ROWS`` rows.

    Why: in autocommit every batch goes through DuckDB's write-ahead log and is
    written again at the checkpoint; inside a transaction full row groups go
    straight to the database file. One transaction for a whole log would hold its
    undo state in memory to the end, so the store commits and begins again as it goes.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def ingest_paths(
    paths: Sequence[str | Path],
    con: duckdb.DuckDBPyConnection,
    quarantine_path: Path,
    *,
    fmt: Format = "auto",
    settings: Settings | None = None,
    progress: Progress = SILENT,
    mapping: FieldMapping | None = None,
    compile_mappings: bool = True,
) -> IngestStats:
    """Read every input into ``con``'s requests table; see the module docstring for the counting rules.

    ``mapping`` maps every file's records onto the spec (``--mapping``); without it, a file whose first record
    fits a built-in mapping (LiteLLM, OpenTelemetry GenAI, Bedrock) is read with that one. A mapping that
    compiles to SQL reads JSON Lines a batch at a time (``compile_mappings=False``: the Python mapper only,
    which gives the same rows and quarantine; the tests compare the two).
    """
    settings = settings or Settings()
    files = expand_inputs(paths)
    store = RequestStore(con, in_transactions=True)
    per_file: list[FileStats] = []
    task = progress.task("Ingesting logs", total=sum(_size(f) for f in files) or None)
    with (
        QuarantineWriter(quarantine_path, settings.max_quarantine_bytes) as quarantine,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-parser") as parser,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer,
        con.cursor() as cursor,
        _transactions(con),
    ):
        workers = _Workers(parser, cursor, writer)
        for path, reason in files.skipped:  # one record read and quarantined each, like an unreadable file
            quarantine.reject(str(path), 0, None, reason, b"")
            per_file.append(FileStats(str(path), 1, 0, 1))
        per_file += [
            ingest_file(f, fmt, store, quarantine, settings, task, workers, mapping, compile_mappings) for f in files
        ]
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
