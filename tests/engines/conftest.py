"""One local Spark session per test worker, for every Spark test; skipped where pyspark or java is missing."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from distillshield.engines.spark import SparkEngine, SparkOptions, SparkUnavailable, require_spark, spark_session

#: py4j (pyspark's bridge to the JVM) drops local sockets without closing them; Python reports each as an
#: unraisable ResourceWarning, which this suite turns into errors. Not ours to fix; ignored for these tests only.
PY4J_SOCKETS = "ignore:Exception ignored in.*socket:pytest.PytestUnraisableExceptionWarning"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings(PY4J_SOCKETS))
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[SparkEngine]:
    try:
        require_spark()
    except SparkUnavailable as exc:
        pytest.skip(f"Spark engine unavailable here: {exc}")
    session, _ = spark_session(SparkOptions(master="local[2]"))
    engine = SparkEngine(session)
    yield engine
    engine.close()
    session.stop()
    with warnings.catch_warnings():
        # Collect py4j's dropped sockets now, before a later test of another directory would see them.
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
