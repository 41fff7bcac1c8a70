"""What a community does together: load-balanced timing and one template across many members.

Two published signs of a coordinated pool (the Moonshot-style pool in the
detection reference) are only visible on the group, never on one account:

* **Round-robin timing.** One request stream dealt across accounts in turn: the
  merged stream arrives on a fixed cadence (a low coefficient of variation of
  its gaps) and consecutive requests come from different accounts, while each
  account on its own looks slow. Independent people make a Poisson-like merged
  stream, whose gap CV is about 1.
* **Template breadth.** How many members send the group's most shared template.
  A fixed instruction block across dozens of accounts is strong evidence; one
  app backend's template is one account's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from distillshield.db import query_arrow, registered
from distillshield.detect.link.graph import Community
from distillshield.engines import Connection


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Coordination measurements of one community (index into the list of communities)."""

    requests: int
    merged_gap_cv: float
    alternation: float
    template_members: int
    #: Distinct instruction blocks each sent by at least two members.
    shared_templates: int = 0


_STATS_SQL = """
WITH s AS (
  SELECT m.community, r.account_id, epoch(r.ts) AS t,
         lag(r.account_id) OVER w AS prev_account,
         epoch(r.ts) - lag(epoch(r.ts)) OVER w AS gap
  FROM requests r JOIN community_members m USING (account_id)
  WINDOW w AS (PARTITION BY m.community ORDER BY r.ts, r.request_id)
),
timing AS (
  SELECT community, count(*) AS requests,
         coalesce(stddev_samp(gap) / nullif(avg(gap), 0), 1.0) AS merged_gap_cv,
         avg(CASE WHEN prev_account IS NULL THEN NULL WHEN prev_account <> account_id THEN 1.0 ELSE 0.0 END)
           AS alternation
  FROM s GROUP BY community
),
tmpl AS (
  SELECT community, max(n) AS template_members, sum(CASE WHEN n >= 2 THEN 1 ELSE 0 END) AS shared_templates
  FROM (SELECT m.community, t.kind, t.template_key, count(DISTINCT t.account_id) AS n
        FROM account_templates t JOIN community_members m USING (account_id)
        GROUP BY m.community, t.kind, t.template_key)
  GROUP BY community
)
SELECT timing.*, coalesce(tmpl.template_members, 0) AS template_members,
       coalesce(tmpl.shared_templates, 0) AS shared_templates
FROM timing LEFT JOIN tmpl USING (community)
"""


def group_stats(con: Connection, account_ids: tuple[str, ...], communities: list[Community]) -> dict[int, GroupStats]:
    """Coordination measurements for every community, in one pass over the requests table."""
    if not communities:
        return {}
    members = pa.table(
        {
            "account_id": [account_ids[i] for c in communities for i in c.members],
            "community": [k for k, c in enumerate(communities) for _ in c.members],
        }
    )
    with registered(con, "community_members", members):
        rows = query_arrow(con, _STATS_SQL).to_pylist()
    return {
        int(r["community"]): GroupStats(
            int(r["requests"]),
            float(r["merged_gap_cv"]),
            float(r["alternation"] if r["alternation"] is not None else 0.0),
            int(r["template_members"]),
            int(r["shared_templates"]),
        )
        for r in rows
    }
