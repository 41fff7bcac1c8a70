"""DuckDB-dialect SQL to Spark SQL, with the few mappings sqlglot cannot know we rely on.

sqlglot does the dialect work (string escapes, ``regexp_replace`` flags, ``NULLS
LAST`` made explicit, ``strftime`` formats). On top of it this module maps what
sqlglot translates to a function of other semantics, so that both engines
compute the same numbers:

* ``epoch(ts)``: fractional seconds on DuckDB; sqlglot's ``unix_timestamp`` drops
  the microseconds, so it becomes ``CAST(unix_micros(ts) AS DOUBLE) / 1e6``,
  the same double DuckDB computes.
* ``hash(a, b)``: a 64-bit hash on DuckDB, a 32-bit one under the same name on
  Spark; it becomes ``xxhash64(a, b)``. Only used as a join key within one
  engine, so the values need not match DuckDB's, only not collide.
* Decimal literals (``1.0``, ``3600.0``): DuckDB averages and divides them as
  ``DOUBLE``, Spark as ``DECIMAL`` with a fixed scale; they become doubles.
* ``$name`` parameters become literals (sqlglot quotes and escapes strings).

Parsing and mapping are cached per query text; only the parameter values are
substituted per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from distillshield.errors import PluginError


class TranspileError(PluginError):
    """A query (the project's, or a plugin's such as a linker's ``key_sql``) that does not translate to Spark SQL."""


@dataclass(frozen=True, slots=True)
class SparkStatement:
    """One translated statement: a query, or a ``CREATE OR REPLACE TABLE name AS`` query.

    ``tables`` are the query's ``WITH name AS MATERIALIZED (...)`` parts, in order, as (table name, query):
    the engine makes each a table first, and the query reads them by those names. Spark SQL has no
    materialised CTE and expands a CTE at every reference, rescanning its inputs each time.
    """

    sql: str
    creates: str | None = None
    tables: tuple[tuple[str, str], ...] = ()


#: Prefix of the table a materialised CTE becomes, so that it cannot replace a table of the session.
CTE_PREFIX = "_distillshield_cte_"


def to_spark(query: str, params: Mapping[str, Any] | None = None) -> SparkStatement:
    """Translate one DuckDB-dialect statement, binding ``$name`` parameters to ``params``."""
    tree, creates, statement = _mapped(query)
    if statement is not None:
        return statement
    bound = tree.copy().transform(lambda node: _bind(node, params or {}))
    return _statement(bound, creates)


@lru_cache(maxsize=256)
def _mapped(query: str) -> tuple[exp.Expr, str | None, SparkStatement | None]:
    """The mapped tree, the table it creates, and its statement when it has no parameters to bind."""
    try:
        tree = sqlglot.parse_one(query, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise TranspileError(f"cannot parse query for Spark: {exc}") from exc
    creates = None
    if isinstance(tree, exp.Create):
        if not isinstance(tree.expression, exp.Query):
            raise TranspileError("only CREATE TABLE ... AS SELECT runs on Spark")
        creates, tree = tree.this.name, tree.expression
    tree = tree.transform(_map_node)
    return tree, creates, None if tree.find(exp.Placeholder) else _statement(tree, creates)


def _statement(tree: exp.Expr, creates: str | None) -> SparkStatement:
    """Split the materialised CTEs off ``tree`` (a bound copy, changed in place) into tables of their own."""
    with_ = tree.args.get("with_")
    ctes = list(with_.expressions) if isinstance(with_, exp.With) else []
    names = {cte.alias: CTE_PREFIX + cte.alias for cte in ctes if cte.args.get("materialized")}
    if not names:
        return SparkStatement(tree.sql(dialect="spark"), creates)

    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and not node.db and node.name in names:
            # Aliased by its CTE name when it had no alias, so that columns qualified by that name still resolve.
            alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
            return exp.Table(this=exp.to_identifier(names[node.name]), alias=alias)
        return node

    tables: list[tuple[str, str]] = []
    kept: list[exp.CTE] = []
    for cte in ctes:
        body = cte.this.transform(rename)
        if cte.alias in names:
            # A materialised part may read earlier plain parts: they go along as its own WITH.
            query = _with(body, kept) if kept else body
            tables.append((names[cte.alias], query.sql(dialect="spark")))
        else:
            kept.append(exp.CTE(this=body, alias=exp.TableAlias(this=exp.to_identifier(cte.alias))))
    main = tree.transform(rename)
    main.set("with_", exp.With(expressions=kept) if kept else None)
    return SparkStatement(main.sql(dialect="spark"), creates, tuple(tables))


def _with(body: exp.Expr, ctes: list[exp.CTE]) -> exp.Expr:
    part = exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier("_part")))
    query: exp.Select = exp.select("*").from_(part)
    for cte in ctes:
        query = query.with_(cte.alias, cte.this.copy())
    return query


def _map_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct) and len(node.this.expressions) == 1:
        # Spark plans each count(DISTINCT) as a copy of every input row (ten of them in one query copied the
        # requests 6.2 times into the shuffle); a set per group is the same exact count, nulls left out alike.
        collected = exp.Anonymous(this="COLLECT_SET", expressions=[node.this.expressions[0].copy()])
        return exp.cast(exp.Anonymous(this="SIZE", expressions=[collected]), exp.DataType.build("BIGINT"))
    if isinstance(node, exp.TimeToUnix):
        micros = exp.cast(exp.Anonymous(this="UNIX_MICROS", expressions=[node.this]), exp.DataType.build("DOUBLE"))
        return exp.Paren(this=exp.Div(this=micros, expression=exp.Literal.number("1e6")))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "hash":
        return exp.Anonymous(this="XXHASH64", expressions=node.expressions)
    if isinstance(node, exp.Literal) and not node.is_string and any(c in node.this for c in ".eE"):
        return exp.cast(node, exp.DataType.build("DOUBLE"))
    return node


def _bind(node: exp.Expr, params: Mapping[str, Any]) -> exp.Expr:
    if not isinstance(node, exp.Placeholder):
        return node
    if node.name not in params:
        raise TranspileError(f"query parameter ${node.name} has no value")
    value = params[node.name]
    literal = exp.convert(value)
    if isinstance(value, float):
        # A float binds as DOUBLE on DuckDB; a bare literal would be a DECIMAL on Spark.
        return exp.cast(literal, exp.DataType.build("DOUBLE"))
    return literal
