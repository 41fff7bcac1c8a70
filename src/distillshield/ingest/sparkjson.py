"""JSON Lines on Spark: Spark's own text reader and JSON parser, checks in Spark SQL, Python only for the rest.

Each line is parsed once into a ``VARIANT``, which keeps the JSON types, and the
SQL here accepts it only when it can prove that :func:`~distillshield.ingest.base.to_row`
would accept it and build the same row (the rules of :mod:`distillshield.ingest.bulk`,
the DuckDB engine's fast path): an object of spec fields only, each of the plain JSON
type the spec asks for, ``ts`` as strict RFC 3339 text or Unix seconds, messages as
objects of a string ``role`` and a string or null ``content``. Every other line
(loose timestamp spellings, content-part lists, unknown fields, lines Spark's parser
refuses, anything invalid) goes to the executors' Python, which runs the one validator
and so accepts or rejects it with the usual file, line, field and reason. On a log of
valid requests that is a few lines in a hundred; the rest never leaves the JVM.

Line numbers come from where Spark reads: each file split is read by a task of its
own (``spark.sql.files.openCostInBytes`` as large as a split), so a line's number is
its row within the task's partition plus the lines of the file's earlier splits,
which are counted only for a file Spark did split (an uncompressed one over
``spark.sql.files.maxPartitionBytes``; gzip files are never split).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import pyarrow as pa

from distillshield.engines.spark import SparkEngine
from distillshield.ingest.base import NON_NEGATIVE, OPTIONAL_INTS, OPTIONAL_STRINGS, SPEC_FIELDS, SYSTEM_ROLES
from distillshield.ingest.lines import GZIP_MAGIC
from distillshield.ingest.readers import parse_json

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

    from distillshield.ingest.spark import Outcomes

#: Strict RFC 3339 with an offset and at most microseconds, which Python's fromisoformat and Spark's
#: timestamp cast read alike (the DuckDB fast path's rule). Other spellings take the Python path. The SQL
#: writes the patterns as raw literals (r'...'), which Spark passes to Java's regex unchanged.
_RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_MAX_SECONDS = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp())
#: What Python's bytes.strip() removes: a line of only these is blank and skipped, as the Python reader does.
_BLANK = r"^[ \t\n\r\x0B\x0C]*$"
#: Escapes Spark's parser takes and orjson refuses or reads otherwise (NUL, lone surrogates): such lines, and
#: lines that are not UTF-8 (Spark's reader keeps their bytes as they are), take the Python path.
_SUSPECT = r"\\u(0000|[dD][89a-fA-F])"
#: A message the SQL reads: an object of exactly a string role and a string or null content.
_MESSAGES_TYPE = "ARRAY<OBJECT<content: STRING, role: STRING>>"
_INT32 = (-(2**31), 2**31 - 1)
#: The session views of the numbered lines and of their checks (named so as not to replace a session's own).
LINES, CHECKED, FALLBACK = "_distillshield_lines", "_distillshield_checked", "_distillshield_fallback"


def _field(name: str) -> str:
    return f"variant_get(v, '$.{name}')"


def _type(name: str) -> str:
    """The field's JSON type as Spark names it; NULL when the key is missing, 'VOID' for a JSON null."""
    return f"schema_of_variant({_field(name)})"


def _absent(name: str) -> str:
    return f"coalesce({_type(name)}, 'VOID') = 'VOID'"


def _string_ok(name: str) -> str:
    return f"({_absent(name)} OR {_type(name)} = 'STRING')"


def _int_ok(name: str) -> str:
    low = "0" if name in NON_NEGATIVE else str(_INT32[0]) if name == "status" else str(-(2**63))
    high = str(_INT32[1]) if name == "status" else str(2**63 - 1)
    value = f"try_variant_get(v, '$.{name}', 'bigint')"
    return f"({_absent(name)} OR ({_type(name)} = 'BIGINT' AND {value} BETWEEN {low} AND {high}))"


def _timestamp(name: str) -> str:
    """RFC 3339 text, or Unix seconds rounded to microseconds half-to-even as Python's fromtimestamp does."""
    text = f"try_variant_get(v, '$.{name}', 'string')"
    seconds = f"try_variant_get(v, '$.{name}', 'double')"
    micros = (
        f"CAST(floor({seconds}) AS BIGINT) * 1000000 + CAST(bround(({seconds} - floor({seconds})) * 1e6, 0) AS BIGINT)"
    )
    return (
        f"CASE WHEN {_type(name)} = 'STRING' AND {text} RLIKE r'{_RFC3339}' THEN try_cast({text} AS TIMESTAMP)"
        f" WHEN ({_type(name)} IN ('BIGINT', 'DOUBLE') OR {_type(name)} LIKE 'DECIMAL%')"
        f" AND {seconds} >= 0 AND {seconds} < {_MAX_SECONDS} THEN timestamp_micros({micros}) END"
    )


def _timestamp_ok(column: str) -> str:
    return f"({column} IS NOT NULL AND year({column}) BETWEEN 1970 AND 2199)"


def _visible(column: str) -> str:
    # A printable ASCII character proves the id is not empty or whitespace; other ids take the Python
    # path, whose str.strip() knows every Unicode space.
    return f"{column} RLIKE '[!-~]'"


_SYSTEM = ", ".join(f"'{r}'" for r in sorted(SYSTEM_ROLES))
_SPEC = ", ".join(f"'{f}'" for f in sorted(SPEC_FIELDS))

#: One row per line: ``v`` the parsed line (NULL where Spark's parser refuses it) and the typed fields.
_PARSED = f"""
SELECT *, try_variant_get(v, '$', 'map<string,variant>') AS fields,
       try_variant_get(v, '$.messages', 'array<struct<role: string, content: string>>') AS turns,
       {_timestamp("ts")} AS ts, {_timestamp("account_created_at")} AS account_created_at
FROM (SELECT *, CASE WHEN is_valid_utf8(value) AND NOT value RLIKE r'{_SUSPECT}' THEN try_parse_json(value) END AS v
      FROM {LINES})
"""

_CHECKS = " AND ".join(
    [
        "fields IS NOT NULL",
        f"forall(map_keys(fields), k -> k IN ({_SPEC}))",
        f"{_type('request_id')} = 'STRING'",
        f"{_type('account_id')} = 'STRING'",
        f"{_type('model')} = 'STRING'",
        _visible("try_variant_get(v, '$.request_id', 'string')"),
        _visible("try_variant_get(v, '$.account_id', 'string')"),
        _timestamp_ok("ts"),
        f"({_absent('account_created_at')} OR {_timestamp_ok('account_created_at')})",
        _string_ok("prompt"),
        *[_string_ok(f) for f in OPTIONAL_STRINGS],
        *[_int_ok(f) for f in OPTIONAL_INTS],
        f"({_absent('extra')} OR {_type('extra')} LIKE 'OBJECT%')",
        f"NOT ({_absent('messages')} AND {_absent('prompt')})",
        # Every message has both keys (a missing content is an error, a null one is not) and a role that is
        # not null; the type says no other keys and no other value types.
        f"({_absent('messages')} OR ({_type('messages')} = '{_MESSAGES_TYPE}'"
        " AND forall(try_variant_get(v, '$.messages', 'array<variant>'),"
        " m -> variant_get(m, '$.content') IS NOT NULL AND NOT is_variant_null(variant_get(m, '$.role')))))",
    ]
)

_ROW = f"""
SELECT _file, source_file, source_line,
  try_variant_get(v, '$.request_id', 'string') AS request_id, ts,
  try_variant_get(v, '$.account_id', 'string') AS account_id,
  {", ".join(f"try_variant_get(v, '$.{f}', 'string') AS {f}" for f in OPTIONAL_STRINGS[:4])},
  try_variant_get(v, '$.asn', 'bigint') AS asn,
  {", ".join(f"try_variant_get(v, '$.{f}', 'string') AS {f}" for f in OPTIONAL_STRINGS[4:6])},
  account_created_at, try_variant_get(v, '$.model', 'string') AS model,
  CASE WHEN turns IS NOT NULL THEN get_json_object(value, '$.messages') END AS messages,
  try_variant_get(v, '$.prompt', 'string') AS prompt,
  {", ".join(f"try_variant_get(v, '$.{f}', 'string') AS {f}" for f in OPTIONAL_STRINGS[6:])},
  {", ".join(f"try_variant_get(v, '$.{f}', 'bigint') AS {f}" for f in OPTIONAL_INTS[1:5])},
  coalesce(try_cast(try_variant_get(v, '$.status', 'bigint') AS INT), 200) AS status,
  CASE WHEN {_type("extra")} LIKE 'OBJECT%' AND {_type("extra")} <> 'OBJECT<>'
       THEN get_json_object(value, '$.extra') END AS extra,
  coalesce(array_join(transform(filter(turns, t -> t.role IN ({_SYSTEM})), t -> coalesce(t.content, '')),
                      chr(10)), '') AS system_prompt,
  CASE WHEN turns IS NULL OR (coalesce(try_element_at(users, -1), '') = '' AND coalesce(prompt_text, '') <> '')
       THEN coalesce(prompt_text, '')
       ELSE coalesce(try_element_at(users, -1), '') END AS user_prompt,
  CASE WHEN turns IS NULL THEN 0 ELSE size(turns) END AS n_messages,
  CASE WHEN users IS NULL THEN 0 ELSE size(users) END AS n_user_turns,
  CAST(NULL AS STRING) AS content_hash,
  'row' AS _kind, CAST(NULL AS STRING) AS _field, CAST(NULL AS STRING) AS _reason,
  CAST(NULL AS BINARY) AS _raw,
  vouched, CASE WHEN NOT vouched THEN CAST(value AS BINARY) END AS line
FROM (SELECT *, transform(filter(turns, t -> t.role = 'user'), t -> coalesce(t.content, '')) AS users,
             try_variant_get(v, '$.prompt', 'string') AS prompt_text,
             octet_length(value) <= $max_bytes AND coalesce({_CHECKS}, FALSE) AS vouched
      FROM ({_PARSED}))
"""


def spark_readable(path: Path) -> bool:
    """Whether Spark's text reader reads ``path`` as the Python reader does: plain, or gzip named ``.gz``."""
    with path.open("rb") as f:
        gzipped = f.read(2) == GZIP_MAGIC
    return gzipped == (path.suffix == ".gz") and path.suffix.lower() not in {".bz2", ".zst", ".lz4", ".snappy"}


def jsonl_outcomes(engine: SparkEngine, files: dict[int, Path], max_bytes: int, schema: StructType) -> DataFrame:
    """Validated rows and rejections of the JSON Lines ``files`` (index -> path), in ingest's outcome schema."""
    # Spread before parsing: a gzip file is read by one task, and the parse is most of the work.
    numbered_lines(engine, files).repartition("_file", "source_line").createOrReplaceTempView(LINES)
    # One parse, kept: every row column, whether the SQL vouches for the line, and its text where it does not.
    engine.materialise(CHECKED, engine.spark.sql(_ROW.replace("$max_bytes", str(int(max_bytes)))))
    columns = ", ".join(f"`{name}`" for name in schema.fieldNames())
    fast = engine.spark.sql(f"SELECT {columns} FROM {CHECKED} WHERE vouched")
    rest = engine.spark.sql(f"SELECT _file, source_file, source_line, line FROM {CHECKED} WHERE NOT vouched")
    slow = engine.materialise(FALLBACK, rest.mapInArrow(Fallback(max_bytes), schema))
    return fast.unionByName(slow)


def numbered_lines(engine: SparkEngine, files: dict[int, Path]) -> DataFrame:
    """``_file, source_file, source_line, value`` for every non-blank line of ``files``."""
    spark = engine.spark
    from pyspark.sql import functions as F

    split = int(str(spark.conf.get("spark.sql.files.maxPartitionBytes")).removesuffix("b"))
    previous = spark.conf.get("spark.sql.files.openCostInBytes")
    spark.conf.set("spark.sql.files.openCostInBytes", str(split))  # one file split per task
    try:
        reader = spark.read.option("lineSep", "\n").text([str(p) for p in files.values()])
        index = _file_index(reader.inputFiles(), files)
        mask = (1 << 33) - 1  # monotonically_increasing_id(): partition << 33 | row within the partition
        raw = reader.select(
            F.col("value"),
            F.col("_metadata.file_path").alias("_uri"),
            F.col("_metadata.file_block_start").alias("_start"),
            (F.monotonically_increasing_id().bitwiseAND(F.lit(mask)) + 1).alias("_row"),
        )
        table = spark.createDataFrame(
            [(uri, i, str(files[i])) for uri, i in index.items()], "_uri STRING, _file BIGINT, source_file STRING"
        )
        lines = raw.join(F.broadcast(table), "_uri")
        offsets = _split_offsets(engine, lines, files, split)
        if offsets is not None:
            lines = lines.join(F.broadcast(offsets), ["_file", "_start"], "left")
            line = F.col("_row") + F.coalesce(F.col("_before"), F.lit(0))
        else:
            line = F.col("_row")
        return lines.select("_file", "source_file", line.alias("source_line"), "value").where(
            ~F.col("value").rlike(_BLANK)
        )
    finally:
        spark.conf.set("spark.sql.files.openCostInBytes", str(previous))


def _file_index(uris: list[str], files: dict[int, Path]) -> dict[str, int]:
    """File index by each spelling of its URI: the listing writes ``file:///x``, the rows' metadata ``file:/x``."""
    by_path = {p.resolve(): i for i, p in files.items()}
    index = {}
    for uri in uris:
        file = by_path[Path(unquote(urlparse(uri).path)).resolve()]
        index[uri] = index[uri.replace("file:///", "file:/", 1)] = file
    return index


def _split_offsets(engine: SparkEngine, lines: DataFrame, files: dict[int, Path], split: int) -> DataFrame | None:
    """Lines in the earlier splits of every file Spark splits; None when it splits none (one row per split)."""
    split_files = [i for i, p in files.items() if p.suffix != ".gz" and p.stat().st_size > split]
    if not split_files:
        return None
    counts = engine.spark.createDataFrame(
        lines.where(lines["_file"].isin(split_files)).groupBy("_file", "_start").count().toArrow()
    )
    counts.createOrReplaceTempView("split_counts")
    return engine.spark.sql(
        "SELECT _file, _start, coalesce(sum(count) OVER (PARTITION BY _file ORDER BY _start"
        " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS _before FROM split_counts"
    )


class Fallback:
    """Executor side of the lines the SQL does not vouch for: the Python reader's parse and the one validator."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from distillshield.ingest.spark import Outcomes, validate

        for batch in batches:
            outs: dict[int, Outcomes] = {}
            for r in batch.to_pylist():
                out = outs.setdefault(r["_file"], Outcomes(r["_file"], r["source_file"], batch.num_rows + 1))
                raw: bytes = r["line"]  # the line's bytes as they are in the file, UTF-8 or not
                if len(raw) > self.max_bytes:
                    reason = f"record longer than max_record_bytes ({self.max_bytes} bytes)"
                    out.reject(r["source_line"], None, reason, raw, "oversize")
                else:
                    validate(out, parse_json(r["source_line"], raw), False)
            for out in outs.values():
                yield out.take()
