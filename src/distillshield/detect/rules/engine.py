"""Run rules as SQL over the scan database and turn what fires into per-account signals.

Each rule compiles to one query over ``requests`` joined with the content
detectors' scores. Values from the YAML are bound as parameters, never pasted
into the SQL; field names were checked against a fixed list when the rule was
loaded. Windows are tumbling, as in a Sigma correlation rule with a fixed
timespan: DuckDB's ``time_bucket`` buckets (origin 2000-01-03 00:00 UTC), written
as arithmetic on epoch seconds so the same query runs on Spark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distillshield.db import query_arrow
from distillshield.detect.rules.schema import FIELDS, OPERATORS, Rule
from distillshield.engines import Connection
from distillshield.features.sql import NETWORK, content_key
from distillshield.records import Signal

#: How a derived field is computed from a request row ``r``; spec fields are read as they are, content
#: detectors' scores from ``content_scores`` (``s``).
_DERIVED = {
    "network": NETWORK,
    "account_age_hours": "(epoch(r.ts) - epoch(r.account_created_at)) / 3600.0",
}


def _base(rule: Rule) -> str:
    """The requests a rule reads, with only the fields it names (and ``ts``).

    Why narrow: the rule's selected rows are read twice (to measure the groups, then
    to find the accounts in groups that fired), so the engine materialises them;
    carrying every request column, or joining content scores a rule never reads,
    spilled past the memory limit at 10M requests and grew faster than the log.
    """
    fields = {"account_id", *rule.group_by, *(f.field for f in rule.filters), *([rule.field] if rule.field else [])}
    columns = ", ".join(f'{_DERIVED.get(name, _source(name))} AS "{name}"' for name in sorted(fields))
    scores = any(name not in FIELDS for name in fields)
    join = f" LEFT JOIN content_scores s ON s.text_key = {content_key('r')}" if scores else ""
    return f"SELECT r.ts, {columns} FROM requests r{join}"


def _source(name: str) -> str:
    return f'r."{name}"' if name in FIELDS else f's."{name}"'


#: time_bucket's default origin, 2000-01-03 00:00:00 UTC, in epoch seconds: windows stay where they always were.
_BUCKET_ORIGIN = 946_857_600


def compile_rule(rule: Rule) -> tuple[str, dict[str, Any]]:
    """The query (and its parameters) returning ``account_id, value, windows`` for accounts the rule fires on."""
    params: dict[str, Any] = {"threshold": rule.condition_value}
    where = []
    for k, f in enumerate(rule.filters):
        if f.op == "in":
            values = f.value if isinstance(f.value, tuple) else (f.value,)
            names = []
            for j, v in enumerate(values):
                params[f"f{k}_{j}"] = v
                names.append(f"$f{k}_{j}")
            where.append(f'"{f.field}" IN ({", ".join(names)})')
        else:
            params[f"f{k}"] = f.value
            where.append(f'"{f.field}" {OPERATORS[f.op]} $f{k}')
    groups = ", ".join(f'"{g}"' for g in rule.group_by)
    measure = "count(*)" if rule.type == "event_count" else f'count(DISTINCT "{rule.field}")'
    bucket = f"floor((epoch(ts) - {_BUCKET_ORIGIN}) / {int(rule.timespan_s)})"
    query = f"""
    WITH base AS ({_base(rule)}),
    selected AS (SELECT *, {bucket} AS win FROM base WHERE {" AND ".join(where) or "TRUE"}),
    fired AS (
      SELECT {groups}, win, {measure} AS value FROM selected
      GROUP BY {groups}, win HAVING {measure} {OPERATORS[rule.condition_op]} $threshold
    )
    """
    if rule.group_by == ("account_id",):  # the groups are the accounts: no second pass over the requests
        accounts = (
            "SELECT account_id, max(value) AS value, count(DISTINCT win) AS windows FROM fired GROUP BY account_id"
        )
    else:
        accounts = f"""
    SELECT s.account_id, max(f.value) AS value, count(DISTINCT f.win) AS windows
    FROM selected s JOIN fired f USING ({groups}, win)
    GROUP BY s.account_id
    """
    return query + accounts, params


def rule_signals(con: Connection, rules: Sequence[Rule]) -> dict[str, list[Signal]]:
    """Signals per account id for every rule that fires."""
    fired: dict[str, list[Signal]] = {}
    for rule in rules:
        query, params = compile_rule(rule)
        for row in query_arrow(con, query, params).to_pylist():
            detail = f"{rule.title}: fired in {row['windows']} window(s) of {rule.timespan_s // 60} min"
            # A rule over a content detector's score rests on that detector's judgement: an inference.
            observed = all(f.field in FIELDS for f in rule.filters)
            signal = Signal(rule.source, rule.id, float(row["value"]), rule.weight, observed, detail, rule.family)
            fired.setdefault(str(row["account_id"]), []).append(signal)
    return fired
