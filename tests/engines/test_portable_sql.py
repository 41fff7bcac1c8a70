"""Each rewritten query gives the same rows on DuckDB and on Spark, and the same as the DuckDB form it replaced."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from distillshield.detect.link.linkers import CreationBurst
from distillshield.detect.rules.engine import _BUCKET_ORIGIN
from distillshield.engines.spark import SparkEngine
from distillshield.features.sql import NETWORK, NORMALISE

IPS = ["1.2.3.4", "10.0.0.255", "2001:db8:1:2::1", "::1", "fe80::", "a:b", "no-dots", None]
TIMES = [datetime(2026, 5, 1, 10, 0) + timedelta(minutes=7 * k, seconds=k, microseconds=k * 1013) for k in range(40)]
TEXTS = ["You are  a\\nhelper 123", "ÉTÉ  42\tfois", "", "x" * 300 + " 9 tail", "mixed\n\nlines 7 and 8"]


def _duck(query: str, **tables: pa.Table) -> list[dict[str, Any]]:
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    rows: list[dict[str, Any]] = con.sql(query).to_arrow_table().to_pylist()
    return rows


def _spark(engine: SparkEngine, query: str, **tables: pa.Table) -> list[dict[str, Any]]:
    for name, table in tables.items():
        engine.register(name, table)
    try:
        rows: list[dict[str, Any]] = engine.arrow(query).to_pylist()
    finally:
        for name in tables:
            engine.unregister(name)
    return rows


def _sorted(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(r.values()) for r in rows), key=repr)


def test_network_equals_the_list_slicing_it_replaced(spark_engine: SparkEngine) -> None:
    table = pa.table({"ip": pa.array(IPS, pa.string())})
    old = "array_to_string(string_split(ip, ':')[1:3], ':') || '::/48'"
    query = f"SELECT ip, {NETWORK} AS network FROM t ORDER BY ip"
    duck = _duck(query, t=table)
    expected = {r["ip"]: r["old"] for r in _duck(f"SELECT ip, {old} AS old FROM t WHERE ip LIKE '%:%'", t=table)}
    assert all(r["network"] == expected[r["ip"]] for r in duck if r["ip"] in expected)
    assert {r["ip"]: r["network"] for r in duck}["1.2.3.4"] == "1.2.3.0/24"
    assert _sorted(_spark(spark_engine, query, t=table)) == _sorted(duck)


def test_creation_burst_key_equals_the_time_bucket_text(spark_engine: SparkEngine) -> None:
    table = pa.table({"account_id": [f"a{k}" for k in range(len(TIMES))], "account_created_at": TIMES})
    old = _duck(
        "SELECT account_id, CAST(time_bucket(INTERVAL 10 MINUTE, account_created_at) AS VARCHAR) AS key FROM requests",
        requests=table,
    )
    new = _duck(CreationBurst().key_sql(), requests=table)
    assert _sorted(new) == _sorted(old)
    assert _sorted(_spark(spark_engine, CreationBurst().key_sql(), requests=table)) == _sorted(old)


@pytest.mark.parametrize("seconds", [60, 600, 3600, 86_400, 604_800])
def test_rule_windows_are_time_bucket_windows(spark_engine: SparkEngine, seconds: int) -> None:
    table = pa.table(
        {"ts": TIMES * 50 if seconds < 3600 else [t + timedelta(hours=13 * k) for k, t in enumerate(TIMES)]}
    )
    bucket = f"floor((epoch(ts) - {_BUCKET_ORIGIN}) / {seconds})"
    same = f"""
    SELECT count(DISTINCT time_bucket(INTERVAL '{seconds} seconds', ts)) AS old, count(DISTINCT {bucket}) AS new,
           count(DISTINCT (time_bucket(INTERVAL '{seconds} seconds', ts), {bucket})) AS pairs
    FROM t
    """
    counts = _duck(same, t=table)[0]
    assert counts["old"] == counts["new"] == counts["pairs"]
    spark_windows = _spark(spark_engine, f"SELECT ts, {bucket} AS w FROM t", t=table)
    duck_windows = _duck(f"SELECT ts, {bucket} AS w FROM t", t=table)
    assert _sorted(spark_windows) == _sorted([{"ts": r["ts"], "w": int(r["w"])} for r in duck_windows])


def test_times_text_and_shares_compute_alike(spark_engine: SparkEngine) -> None:
    table = pa.table(
        {
            "k": list(range(len(TEXTS))),
            "ts": TIMES[: len(TEXTS)],
            "x": TEXTS,
            "n": [0, 1, 2, 3, 4],
        }
    )
    query = f"""
    SELECT k, epoch(ts) AS t, hour(ts) AS h, CAST(ts AS DATE) AS d, date_trunc('hour', ts) AS hr,
           {NORMALISE.format(x="x")} AS norm, md5(x) AS m, left(x, 4) AS l, right(x, 4) AS r, length(x) AS len
    FROM t
    """
    assert _sorted(_spark(spark_engine, query, t=table)) == _sorted(_duck(query, t=table))
    shares = (
        "SELECT avg(CASE WHEN n > 1 THEN 1.0 ELSE 0.0 END) AS s, count(DISTINCT x) / count(*) AS d,"
        " count(DISTINCT CASE WHEN n > 2 THEN x END) AS late,"
        " (max(epoch(ts)) - min(epoch(ts))) / 3600.0 AS span FROM t"
    )
    assert _spark(spark_engine, shares, t=table) == _duck(shares, t=table)
