"""Write validated rows into the DuckDB ``requests`` table in columnar batches, idempotently.

Each batch goes into a staging table first; one SQL statement classifies each
row as new, a duplicate of what is stored (same request_id and content hash:
skipped, counted), or a conflict (same request_id, other content: quarantined).
The comparison runs in DuckDB against the table, so memory does not grow with
the number of request ids seen.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from distillshield.records import REQUEST_COLUMNS, REQUEST_SCHEMA, requests_table_ddl

_COLUMNS = ", ".join(REQUEST_COLUMNS)

_CLASSIFY = """
WITH s AS (
  SELECT _pos, request_id, content_hash,
         row_number() OVER (PARTITION BY request_id ORDER BY _pos) AS k,
         first(content_hash ORDER BY _pos) OVER (PARTITION BY request_id) AS first_hash
  FROM staged
),
stored AS (
  SELECT request_id, any_value(content_hash) AS content_hash
  FROM requests SEMI JOIN staged USING (request_id) GROUP BY request_id
)
SELECT s._pos,
       CASE WHEN stored.content_hash IS NULL AND s.k = 1 THEN 'new'
            WHEN s.content_hash = coalesce(stored.content_hash, s.first_hash) THEN 'duplicate'
            ELSE 'conflict' END AS status
FROM s LEFT JOIN stored USING (request_id)
"""


class RequestStore:
    """Appends batches of rows to the ``requests`` table of ``con``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.duplicates = 0
        con.execute(requests_table_ddl())

    def write(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, list[int]]:
        """Insert ``rows``; returns (inserted, duplicates, positions of conflicting rows)."""
        if not rows:
            return 0, 0, []
        columns = list(zip(*rows, strict=True))
        arrays = [pa.array(col, type=field.type) for col, field in zip(columns, REQUEST_SCHEMA, strict=True)]
        staged = pa.Table.from_arrays(arrays, schema=REQUEST_SCHEMA).append_column(
            "_pos", pa.array(range(len(rows)), type=pa.int64())
        )
        self.con.register("staged", staged)
        self.con.register("staged_new", staged.slice(0, 0))
        try:
            status = dict(self.con.sql(_CLASSIFY).fetchall())
            new = pa.array([status[i] == "new" for i in range(len(rows))])
            self.con.register("staged_new", staged.filter(new))
            self.con.execute(f"INSERT INTO requests SELECT {_COLUMNS} FROM staged_new")
        finally:
            self.con.unregister("staged")
            self.con.unregister("staged_new")
        conflicts = [i for i in range(len(rows)) if status[i] == "conflict"]
        duplicates = sum(1 for v in status.values() if v == "duplicate")
        self.duplicates += duplicates
        return len(rows) - duplicates - len(conflicts), duplicates, conflicts
