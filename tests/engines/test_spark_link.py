"""Linking on Spark finds the communities the in-process graph finds: same members, strengths and evidence."""

from __future__ import annotations

from typing import ClassVar

import duckdb
import pyarrow as pa
import pytest

from distillshield.detect.link.base import Linker
from distillshield.detect.link.graph import SPLIT_ABOVE, Community, LinkRules, find_communities
from distillshield.detect.link.spark import spark_communities
from distillshield.engines.spark import SparkEngine
from distillshield.settings import Settings


class SharedCard(Linker):
    """Accounts sharing a key of the test's ``link_keys`` table."""

    kind: ClassVar[str] = "card"
    weight: ClassVar[float] = 0.6
    saturation: ClassVar[int] = 2

    def key_sql(self) -> str:
        return "SELECT DISTINCT account_id, key FROM link_keys WHERE kind = 'card'"


class SharedText(Linker):
    """Copyable keys: they never join an established account to a young one."""

    kind: ClassVar[str] = "text"
    weight: ClassVar[float] = 0.6
    copyable: ClassVar[bool] = True

    def key_sql(self) -> str:
        return "SELECT DISTINCT account_id, key FROM link_keys WHERE kind = 'text'"


def _keys() -> pa.Table:
    rows: list[tuple[str, str, str]] = []
    # Two dense groups of 20, bridged by two pairs: one component over SPLIT_ABOVE, which Leiden splits.
    for group in "ab":
        members = [f"{group}{k:02d}" for k in range(20)]
        rows += [(m, "card", f"{group}-card-{k % 2}") for k, m in enumerate(members)]
        rows += [(m, "card", f"{group}-card-all") for m in members]
        rows += [(m, "text", f"{group}-text") for m in members]
    for left, right, key in (("a00", "b00", "bridge-1"), ("a01", "b01", "bridge-2")):
        rows += [(left, "card", key), (right, "card", key), (left, "card", key + "b"), (right, "card", key + "b")]
    # A chain of seven: labels need several rounds to settle. A pair: too small to be a community.
    for k in range(6):
        rows += [(f"c{k}", "card", f"chain-{k}-{x}") for x in "xy"] + [
            (f"c{k + 1}", "card", f"chain-{k}-{x}") for x in "xy"
        ]
    rows += [("d0", "card", "pair"), ("d1", "card", "pair"), ("d0", "card", "pair-b"), ("d1", "card", "pair-b")]
    # Text shared by established (e0-e2) and young accounts: it links each side only within itself.
    rows += [(f"e{k}", "text", "shared-text") for k in range(6)] + [(f"e{k}", "card", "e-card") for k in range(3)]
    return pa.table({"account_id": [r[0] for r in rows], "kind": [r[1] for r in rows], "key": [r[2] for r in rows]})


def _view(communities: list[Community], ids: tuple[str, ...]) -> list[tuple[object, ...]]:
    return [
        (
            tuple(ids[m] for m in c.members),
            {ids[m]: round(s, 9) for m, s in c.strength.items()},
            c.links,
            {ids[m]: sorted(k) for m, k in c.member_kinds.items()},
        )
        for c in communities
    ]


@pytest.mark.slow
def test_spark_links_as_the_in_process_graph(spark_engine: SparkEngine) -> None:
    keys = _keys()
    ids = tuple(sorted(set(keys.column("account_id").to_pylist())))
    rules = LinkRules(
        established=frozenset(i for i, a in enumerate(ids) if a in {"e0", "e1", "e2"}),
        copyable=frozenset({"text"}),
        # e0 is over three times older than e1 and e2: the text no longer joins it to them (LinkRules.allows).
        age_days={ids.index("e0"): 400.0, ids.index("e1"): 100.0, ids.index("e2"): 90.0},
        age_ratio=3.0,
    )
    settings, linkers = Settings(), [SharedCard(), SharedText()]
    con = duckdb.connect()
    con.register("link_keys", keys)
    expected = find_communities(ids, [linker.pairs(con, settings) for linker in linkers], {"card": 2}, rules=rules)
    sizes = sorted(len(c.members) for c in expected)
    assert sizes == [3, 7, 20, 20], sizes  # e1 and e2 alone are too few
    assert sum(1 for c in expected if c.members[0] in (ids.index("a00"), ids.index("b00"))) == 2  # split
    assert SPLIT_ABOVE < 40
    assert not [c for c in expected if ids.index("e0") in c.members]
    spark_engine.register("link_keys", keys)
    try:
        found = spark_communities(spark_engine, ids, linkers, settings, rules)
    finally:
        spark_engine.unregister("link_keys")
    assert _view(found, ids) == _view(expected, ids)
