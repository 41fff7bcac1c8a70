"""The seam between the pipeline and the engine that runs its SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeAlias

import duckdb
import pyarrow as pa

#: A function from one record batch to another; it must also accept an empty batch (for the output schema).
BatchFunction = Callable[[pa.RecordBatch], pa.RecordBatch]


class SqlEngine(Protocol):
    """Runs the project's DuckDB-dialect SQL and moves Arrow tables in and out.

    ``$name`` parameters are bound from ``params``. ``CREATE OR REPLACE TABLE x AS
    SELECT ...`` makes ``x`` visible to later queries (a table on DuckDB, a cached
    view on Spark).
    """

    #: Short engine name for run.json and error messages.
    name: str

    def execute(self, query: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement for its effect (typically ``CREATE OR REPLACE TABLE ... AS``)."""

    def arrow(self, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """The whole result of ``query``."""

    def batches(self, query: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        """The result of ``query`` in batches of at most ``batch_rows`` rows."""

    def register(self, name: str, table: pa.Table) -> None:
        """Make a small Arrow table queryable as ``name`` (replacing any earlier one)."""

    def unregister(self, name: str) -> None:
        """Drop what :meth:`register` made."""

    def map_batches(
        self, query: str, function: BatchFunction, into: str, batch_rows: int, advance: Callable[[float], None]
    ) -> None:
        """Apply ``function`` to every batch of ``query``'s result and store the output as table ``into``.

        ``advance`` is called with the number of input rows done, where the engine can tell.
        """

    def close(self) -> None:
        """Release the connection or session."""


#: What the stages accept: an engine, or a bare DuckDB connection (wrapped on the way in).
Connection: TypeAlias = "SqlEngine | duckdb.DuckDBPyConnection"


def as_engine(con: Connection) -> SqlEngine:
    """``con`` itself when it is an engine, else a :class:`DuckDBEngine` over the DuckDB connection."""
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return con
    # Imported here: duck.py implements this module's protocol.
    from distillshield.engines.duck import DuckDBEngine

    return DuckDBEngine(con)
