"""Apache Spark behind the engine seam: the project's SQL, transpiled, on a SparkSession.

Each ``CREATE OR REPLACE TABLE x AS SELECT`` becomes a persisted DataFrame under
the temporary view ``x`` (materialised at once, so later queries reuse it instead
of recomputing its lineage). Small Arrow tables are registered with
``createDataFrame``; results come back with ``toArrow``, timestamps made
zone-less UTC as DuckDB returns them. :meth:`SparkEngine.map_batches` runs a
Python function on the executors with ``mapInArrow``.

pyspark is imported lazily; see :func:`require_spark`.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from distillshield.engines.base import BatchFunction
from distillshield.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Session settings the pipeline's results depend on: UTC hours and days, Arrow transfers.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
#: Extra settings for a session this process starts in local mode (a laptop or CI, not a cluster).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    # With adaptive execution (on by default) a shuffle starts this wide and is coalesced to partitions of
    # about 64 MB: a small test log ends up in a few partitions, and 1M requests are not squeezed into 8
    # blocks of over half a gigabyte that a 2 GB heap cannot read back from disk.
    "spark.sql.adaptive.coalescePartitions.initialPartitionNum": "200",
    "spark.driver.memory": "2g",
}


class SparkUnavailable(ConfigError):
    """pyspark or a Java runtime is missing, so the Spark engine cannot start."""


@dataclass(frozen=True, slots=True)
class SparkOptions:
    """How ``scan --engine spark`` reaches Spark, and where it reads the log from.

    A session already active in the process (a notebook's, a test's) is used as
    it is. Otherwise one is started with ``master``, or with no master for the one
    ``spark-submit`` passes. ``table`` reads a Spark table (or ``parquet.`path```)
    instead of the input paths; ``conf`` holds extra Spark settings.
    """

    master: str | None = None
    table: str | None = None
    conf: tuple[tuple[str, str], ...] = ()


def require_spark() -> None:
    """Raise :class:`SparkUnavailable` with an install hint unless pyspark and java are present."""
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        raise SparkUnavailable(f"the Spark engine needs pip install 'distillshield[spark]' ({exc})") from exc
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise SparkUnavailable("the Spark engine needs a Java 17+ runtime (java on PATH or JAVA_HOME)")


def spark_session(options: SparkOptions) -> tuple[SparkSession, bool]:
    """The session to run on, and whether this process started it (and so must stop it)."""
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        # A notebook's, spark-submit's or a test's session: run on it and leave it running.
        return active, False
    local = (options.master or "").startswith("local")
    if local:
        # Otherwise Spark binds to a non-loopback address when the host name resolves to 127.0.0.1.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Python workers run this interpreter, which has distillshield installed (a bare python3 may not).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("distillshield")
    if options.master:
        builder = builder.master(options.master)
    for key, value in {**(LOCAL_CONF if local else {}), **SESSION_CONF, **dict(options.conf)}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if local:
        spark.sparkContext.setLogLevel("ERROR")
    return spark, True


class SparkEngine:
    """A SparkSession behind the :class:`~distillshield.engines.base.SqlEngine` seam."""

    name = "spark"

    def __init__(self, spark: SparkSession, *, owns_session: bool = False) -> None:
        self.spark = spark
        self.owns_session = owns_session
        # A borrowed session (a notebook's) gets its settings back on close().
        self._previous = {key: spark.conf.get(key, None) for key in SESSION_CONF}
        for key, value in SESSION_CONF.items():
            spark.conf.set(key, value)
        self._tables: dict[str, DataFrame] = {}

    @classmethod
    def start(cls, options: SparkOptions) -> SparkEngine:
        spark, owns = spark_session(options)
        return cls(spark, owns_session=owns)

    def sql(self, query: str, params: Mapping[str, Any] | None = None) -> DataFrame:
        """The DataFrame of a query in the project's dialect."""
        from distillshield.engines.sparksql import to_spark

        statement = to_spark(query, params)
        if statement.creates:
            raise ValueError("CREATE statements go through execute()")
        return self.spark.sql(statement.sql)

    def execute(self, query: str, params: Mapping[str, Any] | None = None) -> None:
        from distillshield.engines.sparksql import to_spark

        statement = to_spark(query, params)
        frame = self.spark.sql(statement.sql)
        if statement.creates:
            self.materialise(statement.creates, frame)

    def materialise(self, name: str, frame: DataFrame) -> int:
        """Persist ``frame``, compute it now, and make it the table ``name``; returns its row count."""
        from pyspark import StorageLevel

        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        rows = frame.count()  # computed while an older table of the same name is still cached
        frame.createOrReplaceTempView(name)
        old = self._tables.pop(name, None)
        if old is not None:
            old.unpersist()
        self._tables[name] = frame
        return rows

    def drop(self, name: str) -> None:
        """Forget the table ``name`` and free its cache."""
        frame = self._tables.pop(name, None)
        if frame is not None:
            frame.unpersist()
        self.spark.catalog.dropTempView(name)

    def arrow(self, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return _zone_less(self.sql(query, params).toArrow())

    def batches(self, query: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        # Through the driver: for results that fit it. Work on every row belongs in map_batches.
        yield from self.arrow(query).to_batches(max_chunksize=batch_rows)

    def register(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def map_batches(
        self, query: str, function: BatchFunction, into: str, batch_rows: int, advance: Callable[[float], None]
    ) -> None:
        from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

        frame = self.sql(query)
        empty = pa.RecordBatch.from_pylist([], schema=to_arrow_schema(frame.schema))
        schema = from_arrow_schema(function(empty).schema)
        rows = self.materialise(into, frame.mapInArrow(_InBatches(function, batch_rows), schema))
        advance(rows)

    def close(self) -> None:
        """Free every cached table; stop the session if this engine started it, else restore its settings."""
        for name in list(self._tables):
            self.drop(name)
        if self.owns_session:
            self.spark.stop()
            return
        for key, value in self._previous.items():
            if value is None:
                self.spark.conf.unset(key)
            else:
                self.spark.conf.set(key, value)


class _InBatches:
    """The executor side of :meth:`SparkEngine.map_batches`: ``function`` over batches of at most ``rows`` rows."""

    def __init__(self, function: BatchFunction, rows: int) -> None:
        self.function, self.rows = function, rows

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for start in range(0, batch.num_rows, self.rows):
                yield self.function(batch.slice(start, self.rows))


def _zone_less(table: pa.Table) -> pa.Table:
    """Timestamps as DuckDB returns them: UTC wall time without a zone."""
    fields = [
        pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) and f.type.tz else f for f in table.schema
    ]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table
