"""Write validated rows into the DuckDB ``requests`` table in columnar batches, idempotently.

A batch is gathered from the bulk SQL path (:mod:`distillshield.ingest.bulk`,
kept in Arrow) and from rows the Python validator built (a ``staged`` table),
each row with its position in the file. Each row is new, a duplicate of what is
stored (same request_id and content hash: skipped, counted), or a conflict (same
request_id, other content: quarantined). A set of the stored ids' hashes
(:mod:`distillshield.ingest.seen`, 8 bytes an id) shows at once that nearly every
batch is wholly new; only a batch with a possible repeat is classified exactly,
by one SQL statement against the table.

The content hash is computed here, in SQL, from the validated row (every spec
field, ``extra`` included; nested JSON in DuckDB's compact form), so a record
hashes alike whichever path, file format or key order it arrived in.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from distillshield.ingest.bulk import FAST_ROWS
from distillshield.ingest.seen import Keys, SeenKeys
from distillshield.records import REQUEST_COLUMNS, REQUEST_SCHEMA, requests_table_ddl

_COLUMNS = ", ".join(REQUEST_COLUMNS)
#: Rows per transaction when ingesting: two of DuckDB's row groups (122,880 rows each) go straight to the
#: file, and a transaction's undo state stays small.
TRANSACTION_ROWS = 2 * 122_880
_HASHED = [c for c in REQUEST_COLUMNS if c not in {"content_hash", "source_file", "source_line"}]
#: Unit and record separators cannot be confused with field text in a hash of one request's own fields.
_HASH = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(30))" for c in _HASHED) + "))"

#: The batch: rows from the bulk path, read where they lie in Arrow, and rows the Python validator built.
_BATCH = "(SELECT * FROM parsed_rows UNION ALL SELECT * FROM staged)"
_CLASSIFY = f"""
WITH s AS (
  SELECT _pos, request_id, content_hash,
         row_number() OVER (PARTITION BY request_id ORDER BY _pos) AS k,
         first(content_hash ORDER BY _pos) OVER (PARTITION BY request_id) AS first_hash
  FROM {_BATCH}
),
stored AS (
  SELECT request_id, any_value(content_hash) AS content_hash
  FROM requests SEMI JOIN {_BATCH} USING (request_id) GROUP BY request_id
)
SELECT s._pos,
       CASE WHEN stored.content_hash IS NULL AND s.k = 1 THEN 'new'
            WHEN s.content_hash = coalesce(stored.content_hash, s.first_hash) THEN 'duplicate'
            ELSE 'conflict' END AS status
FROM s LEFT JOIN stored USING (request_id)
"""


class RequestStore:
    """Appends batches of rows to the ``requests`` table of ``con``.

    Per batch: :meth:`stage_lines` and :meth:`stage_rows` (any number of times, in
    any order, each row with its position in the batch), then :meth:`commit`.
    :meth:`write` does all three for a list of rows.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, *, in_transactions: bool = False) -> None:
        """``in_transactions``: the caller opened a transaction; commit it and begin another every
        :data:`TRANSACTION_ROWS` rows (see ingest.run._transactions)."""
        self.con = con
        self.duplicates = 0
        self.in_transactions = in_transactions
        self.uncommitted = 0
        con.execute(requests_table_ddl())
        self.seen = SeenKeys(self._keys("requests"))
        self._reset()

    def _reset(self) -> None:
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE staged AS SELECT {_COLUMNS}, 0::BIGINT AS _pos FROM requests LIMIT 0"
        )
        self.staged = 0
        self.parsed: list[pa.Table] = []

    def stage_lines(self, positions: list[int], lines: list[int], raws: list[str], source_file: str) -> set[int]:
        """Stage the spec JSON lines the bulk SQL path accepts; returns their positions (the rest need to_row)."""
        parsed = parse_lines(self.con, positions, lines, raws, source_file)
        self.stage_parsed(parsed)
        return set(parsed.column("_pos").to_pylist())

    def stage_parsed(self, parsed: pa.Table) -> None:
        """Stage rows that :func:`parse_lines` built (on this or another connection).

        They stay in Arrow until :meth:`commit` inserts them: copying them into the
        staged table first had cost as much as the insert itself.
        """
        if parsed.num_rows:
            self.parsed.append(parsed)
            self.staged += parsed.num_rows

    def stage_rows(self, rows: list[tuple[Any, ...]], positions: list[int]) -> None:
        """Stage rows built by to_row (in REQUEST_COLUMNS order; their content_hash is recomputed)."""
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        arrays = [pa.array(col, type=field.type) for col, field in zip(columns, REQUEST_SCHEMA, strict=True)]
        table = pa.Table.from_arrays(arrays, schema=REQUEST_SCHEMA).append_column(
            "_pos", pa.array(positions, type=pa.int64())
        )
        self.con.register("staged_rows", table)
        try:
            self.con.execute(
                f"INSERT INTO staged SELECT * REPLACE ({_HASH} AS content_hash) FROM"
                " (SELECT * REPLACE (json(messages) AS messages, json(extra) AS extra) FROM staged_rows)"
            )
        finally:
            self.con.unregister("staged_rows")
        self.staged += len(rows)

    def commit(self) -> tuple[int, int, list[int]]:
        """Insert the staged batch; returns (inserted, duplicates, positions of conflicting rows)."""
        if not self.staged:
            return 0, 0, []
        parsed = pa.concat_tables(self.parsed) if self.parsed else self._no_parsed_rows()
        self.con.register("parsed_rows", parsed)
        try:
            keys = self._keys(_BATCH)
            status = self._classify() if self.seen.any_of(keys) else []
            # Nearly always every row is new: then the batch goes in as it is, with no join.
            keep = " WHERE _pos IN (SELECT _pos FROM staged_status WHERE status = 'new')" if status else ""
            self._insert(f"SELECT {_COLUMNS} FROM {_BATCH}{keep}", self.staged - len(status))
            self.seen.add(keys)
            total = self.staged
        finally:
            self.con.unregister("parsed_rows")
            self._reset()
        conflicts = sorted(pos for pos, kind in status if kind == "conflict")
        duplicates = len(status) - len(conflicts)
        self.duplicates += duplicates
        return total - len(status), duplicates, conflicts

    def _classify(self) -> list[tuple[int, str]]:
        """The exact path: each row of the batch that is not new, against the table and the batch itself."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE staged_status AS {_CLASSIFY}")
        status: list[tuple[int, str]] = self.con.execute(
            "SELECT _pos, status FROM staged_status WHERE status <> 'new'"
        ).fetchall()
        return status

    def _keys(self, rows: str) -> Keys:
        """DuckDB's 64-bit hash of each request_id in ``rows`` (a table or a parenthesised query)."""
        keys: Keys = self.con.execute(f"SELECT hash(request_id) AS k FROM {rows}").fetchnumpy()["k"]
        return keys

    def _no_parsed_rows(self) -> pa.Table:
        table: pa.Table = self.con.sql("SELECT * FROM staged LIMIT 0").to_arrow_table()
        return table

    def _insert(self, rows: str, count: int) -> None:
        """Insert ``count`` rows; inside transactions, commit exactly at every :data:`TRANSACTION_ROWS`.

        Why exactly: a transaction that ends inside a row group leaves a partial one
        behind, and DuckDB's next checkpoint rewrites those. Committing every 260k
        rows (13 batches) instead of at 245,760 left a checkpoint that took 6 s after
        1M requests and 55 s after 10M; at the boundary it takes no time at all.
        """
        if not self.in_transactions or self.uncommitted + count < TRANSACTION_ROWS:
            self.con.execute(f"INSERT INTO requests {rows}")
            self.uncommitted += count if self.in_transactions else 0
            return
        ordered, offset = f"{rows} ORDER BY _pos", 0
        while count - offset >= TRANSACTION_ROWS - self.uncommitted:
            take = TRANSACTION_ROWS - self.uncommitted
            self.con.execute(f"INSERT INTO requests {ordered} LIMIT {take} OFFSET {offset}")
            offset += take
            self.con.execute("COMMIT")
            self.con.execute("BEGIN TRANSACTION")
            self.uncommitted = 0
        if offset < count:
            self.con.execute(f"INSERT INTO requests {ordered} OFFSET {offset}")
            self.uncommitted = count - offset

    def write(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, list[int]]:
        """Insert ``rows``; returns (inserted, duplicates, positions of conflicting rows)."""
        self.stage_rows(rows, list(range(len(rows))))
        return self.commit()


def parse_lines(
    con: duckdb.DuckDBPyConnection,
    positions: list[int],
    lines: list[int],
    raws: list[str] | pa.StringArray,
    source_file: str,
    rows_sql: str = FAST_ROWS,
    params: dict[str, str] | None = None,
) -> pa.Table:
    """The rows of the lines that the bulk SQL path accepts, hashed, with their batch positions (``_pos``).

    Reads nothing from the database, so it can run on a cursor of its own while the
    store's connection writes the batch before (see ingest.run). ``rows_sql``: the bulk query, the spec's or
    a compiled field mapping's (with its ``params``).
    """
    batch = pa.table(
        {
            "_pos": pa.array(positions, pa.int64()),
            "line": pa.array(lines, pa.int64()),
            "raw": raws if isinstance(raws, pa.Array) else pa.array(raws, pa.string()),
        }
    )
    con.register("raw_batch", batch)
    try:
        query = f"SELECT * EXCLUDE (_pos) REPLACE ({_HASH} AS content_hash), _pos FROM ({rows_sql})"
        table: pa.Table = con.sql(query, params={"source_file": source_file, **(params or {})}).to_arrow_table()
        return table
    finally:
        con.unregister("raw_batch")
