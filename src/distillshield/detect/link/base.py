"""The contract every linker keeps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa

from distillshield.db import query_arrow
from distillshield.engines import Connection
from distillshield.settings import Settings


@dataclass(frozen=True, slots=True)
class LinkPairs:
    """Account pairs that share something, as an Arrow table ``a, b, shared, example``.

    ``shared`` counts how many distinct keys (cards, networks, templates) the
    pair has in common; ``example`` is one of those keys, for the evidence. An
    optional ``hub`` column (1/0) marks star edges of a key too widely shared to
    link every pair: such a key holds its accounts together however the graph is split.
    """

    kind: str
    weight: float
    table: pa.Table


def pairs_from_groups(kind: str, weight: float, groups: dict[str, list[str]]) -> LinkPairs:
    """Link every pair inside each group given from outside the log (a partner's campaign, an analyst's case)."""
    a, b, example = [], [], []
    for key, members in groups.items():
        unique = sorted(set(members))
        for i, first in enumerate(unique):
            for second in unique[i + 1 :]:
                a.append(first)
                b.append(second)
                example.append(key)
    table = pa.table({"a": a, "b": b, "shared": [1] * len(a), "example": example})
    return LinkPairs(kind, weight, table)


class Linker(ABC):
    """Finds account pairs that share one kind of thing, in SQL over the scan database."""

    #: Evidence kind written into campaigns.json (``payment``, ``network``, ...).
    kind: ClassVar[str]
    #: Edge weight of one shared key; pairs sharing ``saturation`` keys get the full weight.
    weight: ClassVar[float]
    saturation: ClassVar[int] = 1
    #: Whether an outsider can copy the shared thing (a system prompt, a User-Agent string) without
    #: access to the account: such links never join an established account to younger ones
    #: (:func:`distillshield.detect.link.graph.find_communities`), so copying a customer's prompt
    #: cannot frame the customer.
    copyable: ClassVar[bool] = False
    #: Whether a shared key counts by how much of the pair's keys it is: two accounts on one home /24
    #: share all they have, two accounts rotating through a proxy provider's thousand /24s share a couple
    #: by chance. ``shared`` becomes ``shared * min(1, 3 * shared / fewer keys of the two)``.
    specific: ClassVar[bool] = False

    @abstractmethod
    def key_sql(self) -> str:
        """SQL returning distinct ``(account_id, key)`` rows."""

    def max_accounts(self, settings: Settings) -> int:
        """Keys shared by more accounts than this are shared infrastructure and link nobody."""
        return settings.shared_infra_max_accounts

    def hub_filter(self) -> str:
        """SQL over the key row ``x`` for keys, beyond ``shared_infra_max_accounts`` accounts, that still
        link: each account to the key's two first accounts (a star), not to all, so a key of ``n``
        accounts costs ``2n`` pairs rather than ``n^2/2``. None by default."""
        return "FALSE"

    def pairs(self, con: Connection, settings: Settings) -> LinkPairs:
        """Pairs of accounts sharing a key, ignoring keys so common they are shared infrastructure."""
        query, params = self.pair_query(settings)
        return LinkPairs(self.kind, self.weight, query_arrow(con, query, params))

    def pair_query(self, settings: Settings) -> tuple[str, dict[str, int]]:
        """The SQL (and its parameters) of :meth:`pairs`: rows ``a, b, shared, example, hub`` with ``a < b``."""
        shared = (
            "count(*) * least(1.0, 3.0 * count(*) / least(min(x.nk), min(y.nk)))"
            if self.specific
            else "CAST(count(*) AS DOUBLE)"
        )
        # Both keys tables are read more than once: MATERIALIZED makes each one table on every engine (Spark
        # expands a plain CTE at each reference, and this query read the requests four times).
        query = f"""
        WITH k AS MATERIALIZED ({self.key_sql()}),
        per_account AS (SELECT account_id, count(*) AS nk FROM k GROUP BY account_id),
        sizes AS (SELECT key, count(*) AS n FROM k GROUP BY key HAVING count(*) BETWEEN 2 AND $cap),
        kk AS MATERIALIZED (
          SELECT k.account_id, k.key, sizes.n, per_account.nk,
                 row_number() OVER (PARTITION BY k.key ORDER BY k.account_id) AS rk
          FROM k JOIN sizes ON k.key = sizes.key JOIN per_account ON k.account_id = per_account.account_id)
        SELECT x.account_id AS a, y.account_id AS b, {shared} AS shared, min(x.key) AS example,
               max(CASE WHEN x.n > $pair_cap THEN 1 ELSE 0 END) AS hub
        FROM kk x JOIN kk y ON x.key = y.key AND x.account_id < y.account_id
        WHERE x.n <= $pair_cap OR (x.rk <= 2 AND {self.hub_filter()})
        GROUP BY 1, 2
        """
        return query, {"cap": self.max_accounts(settings), "pair_cap": settings.shared_infra_max_accounts}
