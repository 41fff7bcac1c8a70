"""DuckDB helpers every stage shares: opening a scan database and reading results as Arrow."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

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


def query_arrow(con: duckdb.DuckDBPyConnection, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
    """The whole result of ``query`` as an Arrow table."""
    # The relation API streams Arrow straight from DuckDB; a DB-API cursor would copy it once more.
    table: pa.Table = con.sql(query, params=dict(params or {})).to_arrow_table()
    return table


def query_batches(con: duckdb.DuckDBPyConnection, query: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Stream the result of ``query`` in record batches of at most ``batch_rows`` rows."""
    reader: pa.RecordBatchReader = con.sql(query).to_arrow_reader(batch_rows)
    yield from reader


def query_scalar(con: duckdb.DuckDBPyConnection, query: str) -> Any:
    """The single value of a one-row, one-column query (the result is fully consumed)."""
    rows = con.sql(query).fetchall()
    return rows[0][0] if rows else None
