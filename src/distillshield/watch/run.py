"""The watch loop: ingest what arrived, and at most every ``every_s`` seconds, update the verdicts.

Ingesting is continuous (each poll commits its batches with their checkpoints);
verdicts are recomputed only when something new was committed since the last
update and ``every_s`` has passed, since an update costs a features and
detection pass over everything ingested.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb

from distillshield.db import open_database
from distillshield.errors import InputError, Location
from distillshield.ingest.mapping import FieldMapping, Mapper
from distillshield.ingest.store import RequestStore
from distillshield.watch.batch import Batch, commit
from distillshield.watch.checkpoint import create_tables, get_meta, set_meta
from distillshield.watch.verdicts import Detection, export_quarantine, ingest_stats, update_verdicts, write_status


class Source(Protocol):
    """Where records come from: a directory of logs or a stream."""

    name: str

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        """Read this source's checkpoint from the state database."""

    def poll(self, *, final: bool = False) -> Iterator[Batch]:
        """What arrived since the checkpoint, as batches (each is committed before the next is asked for)."""
        ...


@dataclass(frozen=True, slots=True)
class WatchOptions:
    every_s: float = 30.0  # least time between two verdict updates
    poll_s: float = 1.0  # time between two looks at the source
    once: bool = False  # ingest what is there, update the verdicts once and return
    mapping: FieldMapping | None = None  # --mapping: the source's records are mapped onto the spec


@dataclass(frozen=True, slots=True)
class Update:
    """One verdict update: the counts it was computed on and how long it took."""

    at: str
    took_s: float
    counts: dict[str, int]


StopFlag = Callable[[], bool]


def _never() -> bool:
    return False


def run_watch(
    source: Source,
    state_dir: Path,
    out_dir: Path,
    detection: Detection,
    options: WatchOptions,
    *,
    on_update: Callable[[Update], None] = lambda update: None,
    stop: StopFlag = _never,
) -> Update | None:
    """Follow ``source`` until ``stop()`` (or once); returns the last update, None if there was none."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = _open_state(state_dir / "watch.duckdb", detection)
    try:
        create_tables(con)
        store = RequestStore(con)
        source.load(con)
        return _loop(con, store, source, out_dir, detection, options, on_update, stop)
    finally:
        con.close()


def _open_state(path: Path, detection: Detection) -> duckdb.DuckDBPyConnection:
    try:
        return open_database(path, detection.settings)
    except duckdb.IOException as exc:  # DuckDB allows one writing process per file
        raise InputError(f"cannot open the state database (is another watch using it?): {exc}", Location(path)) from exc


def _loop(
    con: duckdb.DuckDBPyConnection,
    store: RequestStore,
    source: Source,
    out_dir: Path,
    detection: Detection,
    options: WatchOptions,
    on_update: Callable[[Update], None],
    stop: StopFlag,
) -> Update | None:
    last: Update | None = None
    last_at = float("-inf")
    mapper = Mapper(options.mapping) if options.mapping is not None else None
    while not stop():
        for batch in source.poll(final=options.once):
            commit(con, store, batch, mapper)
            if stop():
                return last
        due = time.monotonic() - last_at >= options.every_s
        if (options.once or due) and _has_news(con):
            last_at = time.monotonic()
            last = _update(con, out_dir, detection)
            on_update(last)
        if options.once:
            return last
        time.sleep(options.poll_s)
    return last


def _has_news(con: duckdb.DuckDBPyConnection) -> bool:
    """Something was committed since the verdicts were last written (also across restarts)."""
    return get_meta(con, "version") != get_meta(con, "verdict_version") and get_meta(con, "read") > 0


def _update(con: duckdb.DuckDBPyConnection, out_dir: Path, detection: Detection) -> Update:
    version = get_meta(con, "version")
    start = time.perf_counter()
    if get_meta(con, "accepted"):
        counts = update_verdicts(con, out_dir, detection).counts
    else:  # everything so far was quarantined: there is nothing to judge
        export_quarantine(con, out_dir / "quarantine.jsonl")
        stats = ingest_stats(con)
        counts = {"read": stats.read, "accepted": 0, "quarantined": stats.quarantined, "duplicates": 0}
    update = Update(datetime.now(UTC).isoformat().replace("+00:00", "Z"), round(time.perf_counter() - start, 3), counts)
    set_meta(con, "verdict_version", version)
    status: dict[str, object] = {"updated_at": update.at, "took_s": update.took_s, "counts": counts}
    if detection.model is not None:  # as scan's run.json records it
        status["model"] = {"sha256": detection.model.digest}
    write_status(out_dir / "watch.json", status)
    return update
