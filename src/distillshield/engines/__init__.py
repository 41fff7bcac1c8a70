"""SQL engines: where the scan's SQL runs.

The pipeline's SQL is written once, in DuckDB's dialect, and kept to a portable
subset (see docs/spark.md). :class:`~distillshield.engines.base.SqlEngine` is the
seam every stage talks to: ``execute``, ``arrow``, ``batches``, ``register`` /
``unregister`` of small Arrow tables, ``map_batches`` (a Python function over the
batches of a query, run where the data lives) and ``close``.

* :class:`~distillshield.engines.duck.DuckDBEngine` wraps a DuckDB connection
  (the default; a bare ``duckdb`` connection is accepted everywhere and wrapped).
* :class:`~distillshield.engines.spark.SparkEngine` transpiles each query to Spark
  SQL with sqlglot and runs it on a SparkSession. pyspark and sqlglot are imported
  lazily: ``pip install 'distillshield[spark]'``.
"""

from __future__ import annotations

from distillshield.engines.base import BatchFunction, Connection, SqlEngine, as_engine
from distillshield.engines.duck import DuckDBEngine

__all__ = ["BatchFunction", "Connection", "DuckDBEngine", "SqlEngine", "as_engine"]
