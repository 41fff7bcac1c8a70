"""Database helpers every stage shares: opening a scan database and running SQL through the engine seam.

Every helper takes a :data:`~distillshield.engines.Connection`: a bare DuckDB
connection (the default engine) or any :class:`~distillshield.engines.SqlEngine`,
such as the Spark one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from distillshield.engines import Connection, as_engine
from distillshield.settings import Settings


def open_database(path: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    """A DuckDB file with the memory and thread limits that keep a scan's RSS bounded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = '{settings.duckdb_memory_limit}'")
    con.execute(f"SET threads = {int(settings.duckdb_threads)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{path.parent / 'duckdb.tmp'}'")
    return con


def execute(con: Connection, query: str, params: Mapping[str, Any] | None = None) -> None:
    """Run a statement for its effect, such as ``CREATE OR REPLACE TABLE ... AS``."""
    as_engine(con).execute(query, params)


def query_arrow(con: Connection, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
    """The whole result of ``query`` as an Arrow table."""
    return as_engine(con).arrow(query, params)


def query_batches(con: Connection, query: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Stream the result of ``query`` in record batches of at most ``batch_rows`` rows."""
    yield from as_engine(con).batches(query, batch_rows)


def query_scalar(con: Connection, query: str) -> Any:
    """The single value of a one-row, one-column query (the result is fully consumed)."""
    rows = as_engine(con).arrow(query).to_pylist()
    return next(iter(rows[0].values())) if rows else None


@contextmanager
def registered(con: Connection, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` queryable as ``name`` inside the block, gone after it."""
    engine = as_engine(con)
    engine.register(name, table)
    try:
        yield
    finally:
        engine.unregister(name)
