"""The DuckDB-to-Spark SQL mapping: what sqlglot alone would get wrong."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlglot", reason="sqlglot comes with the [spark] extra")

from distillshield.engines.sparksql import TranspileError, to_spark  # noqa: E402


def test_epoch_keeps_microseconds() -> None:
    sql = to_spark("SELECT epoch(ts) FROM requests").sql
    assert "UNIX_MICROS(ts)" in sql and "UNIX_TIMESTAMP" not in sql


def test_hash_becomes_64_bit() -> None:
    assert "XXHASH64(system_prompt, user_prompt)" in to_spark("SELECT hash(system_prompt, user_prompt) FROM t").sql


def test_decimal_literals_become_doubles_and_integers_stay() -> None:
    sql = to_spark("SELECT avg(CASE WHEN a THEN 1.0 ELSE 0 END), x / 3600.0 FROM t").sql
    assert "CAST(1.0 AS DOUBLE)" in sql and "CAST(3600.0 AS DOUBLE)" in sql and "ELSE 0 END" in sql


def test_create_table_as_names_the_table_and_keeps_the_query() -> None:
    statement = to_spark("CREATE OR REPLACE TABLE texts AS SELECT 1 AS one")
    assert statement.creates == "texts" and statement.sql == "SELECT 1 AS one"


def test_parameters_bind_as_escaped_literals() -> None:
    sql = to_spark("SELECT * FROM t WHERE a = $a AND b >= $b AND c = $c", {"a": "it's", "b": 0.5, "c": 3}).sql
    assert "a = 'it\\'s'" in sql and "b >= CAST(0.5 AS DOUBLE)" in sql and "c = 3" in sql


def test_same_query_binds_new_values_each_call() -> None:
    query = "SELECT * FROM t WHERE n >= $cap"
    assert "n >= 2" in to_spark(query, {"cap": 2}).sql and "n >= 7" in to_spark(query, {"cap": 7}).sql


def test_missing_parameter_and_ddl_without_query_are_errors() -> None:
    with pytest.raises(TranspileError, match=r"\$cap"):
        to_spark("SELECT * FROM t WHERE n >= $cap")
    with pytest.raises(TranspileError, match="AS SELECT"):
        to_spark("CREATE OR REPLACE TABLE scores (text_key UBIGINT)")


def test_regexp_flags_and_escapes_translate() -> None:
    sql = to_spark(r"SELECT regexp_replace(x, '(\\n|\s)+', ' ', 'g') FROM t").sql
    # Spark string literals take backslash escapes: each backslash of the DuckDB literal is doubled.
    assert r"REGEXP_REPLACE(x, '(\\\\n|\\s)+', ' ')" in sql


def test_single_distinct_counts_become_set_sizes() -> None:
    sql = to_spark("SELECT count(DISTINCT a), count(DISTINCT a, b) FROM t GROUP BY c HAVING count(DISTINCT d) > 1").sql
    assert "CAST(SIZE(COLLECT_SET(a)) AS BIGINT)" in sql and "CAST(SIZE(COLLECT_SET(d)) AS BIGINT) > 1" in sql
    assert "COUNT(DISTINCT a, b)" in sql  # a set of pairs has no shorter spelling


def test_materialised_ctes_become_tables_the_query_reads() -> None:
    statement = to_spark(
        "WITH a AS (SELECT 1 AS x), k AS MATERIALIZED (SELECT x FROM a WHERE x > $p),"
        " kk AS MATERIALIZED (SELECT k.x FROM k JOIN a USING (x)) SELECT * FROM kk JOIN k USING (x)",
        {"p": 0},
    )
    (k, k_sql), (kk, kk_sql) = statement.tables
    assert k.endswith("_k") and kk.endswith("_kk")
    assert "WITH a AS (SELECT 1 AS x)" in k_sql and "x > 0" in k_sql
    assert f"FROM {k} AS k JOIN a" in kk_sql  # still qualified by its CTE name
    assert f"FROM {kk} AS kk JOIN {k} AS k" in statement.sql and "MATERIALIZED" not in statement.sql
