"""Linking on Spark: edges summed, components found and communities split on the executors.

The DuckDB engine brings every linked pair to this process and sums it in a dict
(about 15 µs and 680 bytes a pair: some GB at 10M pairs). On Spark the same steps
run where the data is, with the same arithmetic, so both engines find the same
communities:

1. Each linker's pairs become a table (built once); their weights
   (``weight * min(1, shared / saturation)``) are summed per account pair in the
   linkers' order, as the dict does, and the pairs :class:`LinkRules` forbids are
   left out. Pairs at or above ``MIN_EDGE`` are the graph's edges.
2. Connected components by iterative minimum-label propagation with pointer
   jumping: each vertex takes the least label among itself and its neighbours,
   then the label of its label; the lineage is cut after every round. A
   component's label is its least account index, which orders the communities as
   igraph's components are ordered on DuckDB.
3. Each component of at least ``min_size`` accounts goes, as its edges, to one
   Python worker (``applyInArrow``), which runs the project's community split
   (:func:`~distillshield.detect.link.graph.component_communities`: Leiden above
   ``SPLIT_ABOVE`` members) and returns its communities. Only the communities come
   back to the driver.

Size bound: a component is split whole in one worker. igraph and the pair
evidence take about :data:`BYTES_PER_EDGE` bytes an edge there, so a component of
:data:`MAX_EDGES_PER_WORKER` edges (5M) needs about 3.5 GB of a Python worker's
memory; a bigger one needs a machine that large (components are capped by
``template_max_accounts`` per key, so real campaigns are far below it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import igraph as ig
import orjson
import pyarrow as pa

from distillshield.detect.link.base import Linker
from distillshield.detect.link.graph import MIN_EDGE, Community, LinkRules, component_communities
from distillshield.settings import Settings

if TYPE_CHECKING:
    from distillshield.engines.spark import SparkEngine

#: Worker memory per edge of a component (igraph's graph, the weights and the pairs' evidence), measured order.
BYTES_PER_EDGE = 700
#: The largest component one worker splits within 3.5 GB.
MAX_EDGES_PER_WORKER = 5_000_000
#: Rounds of label propagation before giving up (each round at least halves most label chains).
_MAX_ROUNDS = 64
_ACCOUNTS, _EDGES, _LABELS = "_link_accounts", "_link_edges", "_link_labels"

_COMMUNITY_SCHEMA = (
    "c BIGINT, part INT, members ARRAY<BIGINT>, strength ARRAY<DOUBLE>, links STRING, kinds ARRAY<ARRAY<STRING>>"
)
_COMMUNITY_ARROW = pa.schema(
    [
        ("c", pa.int64()),
        ("part", pa.int32()),
        ("members", pa.list_(pa.int64())),
        ("strength", pa.list_(pa.float64())),
        ("links", pa.string()),
        ("kinds", pa.list_(pa.list_(pa.string()))),
    ]
)


def spark_communities(
    engine: SparkEngine,
    account_ids: tuple[str, ...],
    linkers: Sequence[Linker],
    settings: Settings,
    rules: LinkRules,
    min_size: int = 3,
) -> list[Community]:
    """The communities :func:`~distillshield.detect.link.graph.find_communities` finds, computed on Spark."""
    _register_accounts(engine, account_ids, rules)
    try:
        _edges(engine, linkers, settings, rules)
        _components(engine)
        return _communities(engine, min_size)
    finally:
        for name in (_ACCOUNTS, _EDGES, _LABELS, *(f"_link_pairs_{k}" for k in range(len(linkers)))):
            engine.drop(name)


def _register_accounts(engine: SparkEngine, account_ids: tuple[str, ...], rules: LinkRules) -> None:
    table = pa.table(
        {
            "account_id": pa.array(account_ids, pa.string()),
            "idx": pa.array(range(len(account_ids)), pa.int64()),
            "established": [i in rules.established for i in range(len(account_ids))],
            "age_days": pa.array([rules.age_days.get(i) for i in range(len(account_ids))], pa.float64()),
            "unit": pa.array([rules.unit.get(i) for i in range(len(account_ids))], pa.string()),
        }
    )
    engine.materialise(_ACCOUNTS, engine.spark.createDataFrame(table))


def _edges(engine: SparkEngine, linkers: Sequence[Linker], settings: Settings, rules: LinkRules) -> None:
    """The graph's edges: ``i < j`` account indices, summed weight, hub flag and (kind, example) evidence."""
    parts = []
    for k, linker in enumerate(linkers):
        query, params = linker.pair_query(settings)
        engine.execute(f"CREATE OR REPLACE TABLE _link_pairs_{k} AS {query}", params)
        # The dict's arithmetic: weight * min(1.0, shared / saturation), in doubles.
        parts.append(
            f"SELECT {k} AS k, '{linker.kind}' AS kind, a, b, CAST({linker.weight!r} AS DOUBLE)"
            f" * least(CAST(1.0 AS DOUBLE), CAST(shared AS DOUBLE) / {int(linker.saturation)}) AS w,"
            f" CAST(example AS STRING) AS example, hub FROM _link_pairs_{k}"
        )
    if not parts:
        parts.append("SELECT 0 AS k, '' AS kind, '' AS a, '' AS b, 0D AS w, '' AS example, 0 AS hub WHERE FALSE")
    copyable = ", ".join(f"'{kind}'" for kind in sorted(rules.copyable)) or "NULL"
    # LinkRules.allows: copyable content joins established accounts only of comparable age.
    ages_apart = (
        "FALSE"
        if math.isinf(rules.age_ratio)
        else f"coalesce(x.established AND y.established AND greatest(x.age_days, y.age_days)"
        f" >= CAST({rules.age_ratio!r} AS DOUBLE) * least(x.age_days, y.age_days), FALSE)"
    )
    engine.materialise(
        _EDGES,
        engine.spark.sql(f"""
        WITH p AS (
          SELECT l.k, l.kind, x.idx AS i, y.idx AS j, l.w, l.example, l.hub
          FROM ({" UNION ALL ".join(parts)}) l
          JOIN {_ACCOUNTS} x ON x.account_id = l.a JOIN {_ACCOUNTS} y ON y.account_id = l.b
          WHERE NOT (x.unit IS NOT NULL AND x.unit = y.unit)
            AND NOT (l.kind IN ({copyable}) AND (x.established <> y.established OR {ages_apart}))
        ),
        summed AS (
          -- Summed in the linkers' order from 0.0, as the dict sums them: the same double to the last bit.
          SELECT least(i, j) AS i, greatest(i, j) AS j,
                 aggregate(array_sort(collect_list(struct(k, w))), CAST(0 AS DOUBLE), (acc, x) -> acc + x.w) AS weight,
                 transform(array_sort(collect_list(struct(k, kind, example))), x -> struct(x.kind, x.example)) AS why,
                 max(hub) AS hub
          FROM p GROUP BY least(i, j), greatest(i, j)
        )
        SELECT * FROM summed WHERE weight >= {MIN_EDGE!r}
        """),
    )


def _components(engine: SparkEngine) -> None:
    """``_link_labels(v, c)``: each vertex of an edge and the least account index of its component."""
    spark = engine.spark
    spark.sql(f"SELECT i AS src, j AS dst FROM {_EDGES} UNION ALL SELECT j, i FROM {_EDGES}").createOrReplaceTempView(
        "_link_arcs"
    )
    engine.materialise(
        _LABELS, spark.sql("SELECT src AS v, least(src, min(dst)) AS c, TRUE AS moved FROM _link_arcs GROUP BY src")
    )
    for _ in range(_MAX_ROUNDS):
        spread = spark.sql(f"""
        WITH nearest AS (
          SELECT a.src AS v, min(l.c) AS c FROM _link_arcs a JOIN {_LABELS} l ON l.v = a.dst GROUP BY a.src
        ),
        stepped AS (SELECT l.v, least(l.c, n.c) AS c, l.c AS was FROM {_LABELS} l JOIN nearest n USING (v))
        SELECT s.v, least(s.c, t.c) AS c, least(s.c, t.c) <> s.was AS moved FROM stepped s JOIN stepped t ON t.v = s.c
        """)
        engine.materialise(_LABELS, spread)
        if not spark.sql(f"SELECT 1 FROM {_LABELS} WHERE moved LIMIT 1").take(1):
            break
    spark.catalog.dropTempView("_link_arcs")


def _communities(engine: SparkEngine, min_size: int) -> list[Community]:
    edges = engine.spark.sql(f"""
    SELECT l.c, e.i, e.j, e.weight, e.hub, e.why
    FROM {_EDGES} e JOIN {_LABELS} l ON l.v = e.i
    JOIN (SELECT c FROM {_LABELS} GROUP BY c HAVING count(*) >= {int(min_size)}) big ON big.c = l.c
    """)
    split = SplitComponent(min_size)
    # A plain two-argument function: Spark tells (key, table) from (table) by counting arguments, self included.
    found = edges.groupBy("c").applyInArrow(lambda _key, table: split(table), _COMMUNITY_SCHEMA).toArrow()
    communities = []
    for row in sorted(found.to_pylist(), key=lambda r: (r["c"], r["part"])):
        members = tuple(int(m) for m in row["members"])
        kinds = {m: frozenset(k) for m, k in zip(members, row["kinds"], strict=True) if k}
        strength = dict(zip(members, (float(s) for s in row["strength"]), strict=True))
        communities.append(Community(members, strength, orjson.loads(row["links"]), kinds))
    return communities


class SplitComponent:
    """Executor side: the edges of one component in, its communities out (global account indices)."""

    def __init__(self, min_size: int) -> None:
        self.min_size = min_size

    def __call__(self, table: pa.Table) -> pa.Table:
        rows = sorted(table.to_pylist(), key=lambda r: (r["i"], r["j"]))
        vertices = sorted({r["i"] for r in rows} | {r["j"] for r in rows})
        local = {v: n for n, v in enumerate(vertices)}
        pairs = [(local[r["i"]], local[r["j"]]) for r in rows]
        graph = ig.Graph(n=len(vertices), edges=pairs)
        graph.es["weight"] = [float(r["weight"]) for r in rows]
        hubs = {pair for pair, r in zip(pairs, rows, strict=True) if r["hub"]}
        why = {pair: [(w["kind"], w["example"]) for w in r["why"]] for pair, r in zip(pairs, rows, strict=True)}
        found = component_communities(graph, list(range(len(vertices))), hubs, why, self.min_size)
        out: dict[str, list[object]] = {k: [] for k in ("c", "part", "members", "strength", "links", "kinds")}
        for part, community in enumerate(found):
            out["c"].append(vertices[0])
            out["part"].append(part)
            out["members"].append([vertices[m] for m in community.members])
            out["strength"].append([community.strength[m] for m in community.members])
            out["links"].append(orjson.dumps(community.links).decode())
            out["kinds"].append([sorted(community.kinds_of(m)) for m in community.members])
        return pa.table(out, schema=_COMMUNITY_ARROW)
