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
    pair has in common; ``example`` is one of those keys, for the evidence.
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

    @abstractmethod
    def key_sql(self) -> str:
        """SQL returning distinct ``(account_id, key)`` rows."""

    def pairs(self, con: Connection, settings: Settings) -> LinkPairs:
        """Pairs of accounts sharing a key, ignoring keys so common they are shared infrastructure."""
        query = f"""
        WITH k AS ({self.key_sql()}),
        sizes AS (SELECT key, count(*) AS n FROM k GROUP BY key HAVING count(*) BETWEEN 2 AND $cap),
        kk AS (SELECT k.* FROM k JOIN sizes USING (key))
        SELECT x.account_id AS a, y.account_id AS b, count(*) AS shared, min(x.key) AS example
        FROM kk x JOIN kk y ON x.key = y.key AND x.account_id < y.account_id
        GROUP BY 1, 2
        """
        table = query_arrow(con, query, {"cap": settings.shared_infra_max_accounts})
        return LinkPairs(self.kind, self.weight, table)
