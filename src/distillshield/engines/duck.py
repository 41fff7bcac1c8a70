"""The default engine: DuckDB, embedded, exactly as the pipeline has always run it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import duckdb
import pyarrow as pa

from distillshield.engines.base import BatchFunction


class DuckDBEngine:
    """A DuckDB connection behind the :class:`~distillshield.engines.base.SqlEngine` seam."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, query: str, params: Mapping[str, Any] | None = None) -> None:
        self.con.execute(query, dict(params) if params else None)

    def arrow(self, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        # The relation API streams Arrow straight from DuckDB; a DB-API cursor would copy it once more.
        table: pa.Table = self.con.sql(query, params=dict(params or {})).to_arrow_table()
        return table

    def batches(self, query: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        reader: pa.RecordBatchReader = self.con.sql(query).to_arrow_reader(batch_rows)
        yield from reader

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def map_batches(
        self, query: str, function: BatchFunction, into: str, batch_rows: int, advance: Callable[[float], None]
    ) -> None:
        out = []
        for batch in self.batches(query, batch_rows):
            out.append(function(batch))
            advance(batch.num_rows)
        empty = pa.Table.from_batches([function(_empty_batch(self.con, query))])
        table = pa.Table.from_batches(out, schema=empty.schema) if out else empty
        self.register("_mapped_batches", table)
        try:
            self.execute(f"CREATE OR REPLACE TABLE {into} AS SELECT * FROM _mapped_batches")
        finally:
            self.unregister("_mapped_batches")

    def close(self) -> None:
        self.con.close()


def _empty_batch(con: duckdb.DuckDBPyConnection, query: str) -> pa.RecordBatch:
    schema: pa.Schema = con.sql(f"SELECT * FROM ({query}) LIMIT 0").to_arrow_table().schema
    return pa.RecordBatch.from_pylist([], schema=schema)
