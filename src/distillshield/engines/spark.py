"""Apache Spark behind the engine seam: the project's SQL, transpiled, on a SparkSession.

Each ``CREATE OR REPLACE TABLE x AS SELECT`` becomes a locally checkpointed
DataFrame under the temporary view ``x``: computed at once, kept on the
executors' local disks, and with its lineage cut, so a later query neither
recomputes it nor drags its plan along (plans that grew with every table took
about 74 s of driver-side planning at 96k requests). Tables stay out of the JVM
heap: Spark holds a serialised block in memory as arrays of about 1 MiB, which
the G1 collector of a heap under 8 GiB stores as "humongous" objects of a whole
region or two each, so a full storage pool took about twice its size. 1M
requests overflowed the default 2 GB local driver that way in ingest; at 200,000
requests on a 1 GB heap, at most 877 of 1,024 regions were humongous with the
tables in memory and 329 with them on disk. The operating system's page cache
keeps the files of a small scan in memory anyway. Shuffles are sized to the data: once the
requests table is known, :meth:`SparkEngine.size_partitions` sets the shuffle
width from its size, and adaptive execution coalesces every shuffle, those of
checkpointed tables included, to the partitions the data needs. Small Arrow tables are registered with
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
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from distillshield.engines.base import BatchFunction
from distillshield.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from distillshield.engines.sparksql import SparkStatement

#: Session settings the pipeline's results or its plan depend on: UTC hours and days, Arrow transfers, and
#: adaptive execution that may coalesce the output of a cached or checkpointed table too (off by default: a
#: table keeps the shuffle's full width, 200 partitions for a 1,000-row table, and task overhead filled about
#: 86% of a scan at 96k requests).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
    # Until size_partitions() knows the data: the two cores of a small local run, not 200 empty tasks.
    "spark.sql.shuffle.partitions": "2",
}
#: Extra settings for a session this process starts in local mode (a laptop or CI, not a cluster).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
}
#: Bytes of a cached table per shuffle partition that size_partitions() aims at (adaptive execution then
#: coalesces smaller outputs to its 64 MB advisory size).
PARTITION_BYTES = 128 << 20
#: Bounds of the shuffle width size_partitions() sets.
MAX_PARTITIONS = 4000


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

    @contextmanager
    def sql(self, query: str, params: Mapping[str, Any] | None = None) -> Iterator[DataFrame]:
        """The DataFrame of a query in the project's dialect, valid inside the block.

        The query's materialised CTEs are tables for as long as the block lasts.
        """
        from distillshield.engines.sparksql import to_spark

        statement = to_spark(query, params)
        if statement.creates:
            raise ValueError("CREATE statements go through execute()")
        with self._parts(query, statement):
            yield self.spark.sql(statement.sql)

    def execute(self, query: str, params: Mapping[str, Any] | None = None) -> None:
        from distillshield.engines.sparksql import to_spark

        statement = to_spark(query, params)
        with self._parts(query, statement):
            frame = self.spark.sql(statement.sql)
            if statement.creates:
                self.materialise(statement.creates, frame)

    @contextmanager
    def _parts(self, query: str, statement: SparkStatement) -> Iterator[None]:
        """The statement's materialised CTEs as tables inside the block."""
        self._describe(query)
        try:
            for name, text in statement.tables:
                self.materialise(name, self.spark.sql(text))
            yield
        finally:
            for name, _ in statement.tables:
                self.drop(name)

    def _describe(self, query: str) -> None:
        """Name the Spark jobs of ``query`` by its first words (the Spark UI and event log show them)."""
        self.spark.sparkContext.setJobDescription("distillshield: " + " ".join(query.split())[:100])

    def materialise(self, name: str, frame: DataFrame) -> DataFrame:
        """Compute ``frame`` now, keep it on the executors with its lineage cut, and make it the table ``name``."""
        from pyspark import StorageLevel

        # Computed while an older table of the same name is still kept (the query may read it).
        frame = frame.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)
        frame.createOrReplaceTempView(name)
        old = self._tables.pop(name, None)
        if old is not None:
            _release(old)
        self._tables[name] = frame
        return frame

    def table_bytes(self, name: str) -> int:
        """The size of table ``name`` as Spark's optimiser estimates it (exact for a checkpointed table)."""
        stats = self._tables[name]._jdf.queryExecution().optimizedPlan().stats()
        return int(stats.sizeInBytes())

    def size_partitions(self, size_bytes: int) -> int:
        """Set the shuffle width for data of ``size_bytes``; returns the width set.

        One partition per :data:`PARTITION_BYTES`, at least one per core. Every table of a scan derives
        from the requests, so their size bounds what any later shuffle moves; adaptive execution coalesces
        the smaller ones.
        """
        cores = self.spark.sparkContext.defaultParallelism
        width = max(cores, min(MAX_PARTITIONS, -(-size_bytes // PARTITION_BYTES)))
        self.spark.conf.set("spark.sql.shuffle.partitions", str(width))
        return width

    def drop(self, name: str) -> None:
        """Forget the table ``name`` and free its blocks."""
        frame = self._tables.pop(name, None)
        if frame is not None:
            _release(frame)
        self.spark.catalog.dropTempView(name)

    def arrow(self, query: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        with self.sql(query, params) as frame:
            return _zone_less(frame.toArrow())

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

        with self.sql(query) as frame:
            empty = pa.RecordBatch.from_pylist([], schema=to_arrow_schema(frame.schema))
            schema = from_arrow_schema(function(empty).schema)
            rows = self.materialise(into, frame.mapInArrow(_InBatches(function, batch_rows), schema)).count()
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


def _release(frame: DataFrame) -> None:
    """Free the blocks of a locally checkpointed table (unpersist() does not reach them)."""
    frame._jdf.queryExecution().analyzed().rdd().unpersist(False)


def _zone_less(table: pa.Table) -> pa.Table:
    """Timestamps as DuckDB returns them: UTC wall time without a zone."""
    fields = [
        pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) and f.type.tz else f for f in table.schema
    ]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table
