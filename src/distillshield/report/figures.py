"""The report's plots, as plotly figures rendered to HTML fragments.

Only the first fragment on a page carries the plotly.js bundle (inline, from
plotly's own package data, so the page needs no network); the rest reuse it.
Figures get fixed div ids so that the same scan directory always renders the
same bytes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

import duckdb
import plotly.graph_objects as go

from distillshield.report.contract import FLAGGED_GROUP, OTHER_GROUP, AccountRow, TimelineRow

#: Campaigns drawn as their own series; the rest share one, or the legend becomes unreadable.
MAX_TIMELINE_CAMPAIGNS = 12
OTHER_CAMPAIGNS = "other campaigns"
RISK_BINS = 20

_CAMPAIGN_COLOURS = (
    "#b91c1c", "#7c3aed", "#0369a1", "#c2410c", "#047857", "#be185d",
    "#4338ca", "#a16207", "#0f766e", "#9333ea", "#1d4ed8", "#b45309",
)  # fmt: skip
_GROUP_COLOURS = {FLAGGED_GROUP: "#f59e0b", OTHER_GROUP: "#cbd5e1", OTHER_CAMPAIGNS: "#64748b"}
_VERDICT_COLOURS = {"benign": "#94a3b8", "suspicious": "#f59e0b", "distiller": "#dc2626"}
_FONT = "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def timeline_figure(rows: Sequence[TimelineRow], campaign_order: Sequence[str]) -> go.Figure:
    """Requests per day, stacked: each campaign (riskiest first), then ``flagged``, then ``other``."""
    days = sorted({row.day for row in rows})
    series = _timeline_series(rows, campaign_order)
    figure = go.Figure()
    for colour_index, (group, per_day) in enumerate(series.items()):
        colour = _GROUP_COLOURS.get(group) or _CAMPAIGN_COLOURS[colour_index % len(_CAMPAIGN_COLOURS)]
        figure.add_trace(
            go.Bar(
                x=days,
                y=[per_day.get(day, 0) for day in days],
                name=group,
                marker_color=colour,
                hovertemplate="%{x}<br>%{y:,} requests<extra>%{fullData.name}</extra>",
            )
        )
    figure.update_layout(barmode="stack", yaxis_title="requests per day", xaxis_type="date")
    return _styled(figure)


def _timeline_series(rows: Sequence[TimelineRow], campaign_order: Sequence[str]) -> dict[str, dict[str, int]]:
    """Requests per day per series name, in drawing order (bottom of the stack first)."""
    drawn = list(campaign_order[:MAX_TIMELINE_CAMPAIGNS])
    known = set(drawn) | {FLAGGED_GROUP, OTHER_GROUP}
    order = [*drawn, OTHER_CAMPAIGNS, FLAGGED_GROUP, OTHER_GROUP]
    # Groups missing from campaigns.json are still campaigns as far as the timeline knows.
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        name = row.group if row.group in known else OTHER_CAMPAIGNS
        totals[name][row.day] += row.requests
    return {name: dict(totals[name]) for name in order if name in totals}


def risk_figure(accounts: Sequence[AccountRow]) -> go.Figure:
    """How many accounts fall in each risk bin, stacked by verdict, on a log scale.

    Counts are binned here rather than handing plotly every account's risk, so
    the page stays small however many accounts the scan saw.
    """
    centres = [(i + 0.5) / RISK_BINS for i in range(RISK_BINS)]
    counts = {verdict: [0] * RISK_BINS for verdict in _VERDICT_COLOURS}
    for row in accounts:
        counts[row.verdict][min(int(row.risk * RISK_BINS), RISK_BINS - 1)] += 1  # risk 1.0 joins the top bin
    figure = go.Figure()
    for verdict, colour in _VERDICT_COLOURS.items():
        figure.add_trace(
            go.Bar(
                x=centres,
                y=counts[verdict],
                width=1 / RISK_BINS,
                name=verdict,
                marker_color=colour,
                hovertemplate="risk %{x:.3f}<br>%{y:,} accounts<extra>%{fullData.name}</extra>",
            )
        )
    figure.update_layout(barmode="stack", xaxis_title="risk", yaxis_title="accounts", yaxis_type="log")
    figure.update_xaxes(range=[0, 1])
    return _styled(figure)


def _styled(figure: go.Figure) -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        font={"family": _FONT, "size": 12, "color": "#1e293b"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        bargap=0.08,
    )
    return figure


def to_fragments(figures: dict[str, go.Figure]) -> dict[str, str]:
    """HTML fragments keyed like ``figures``; the first in order carries plotly.js inline."""
    fragments: dict[str, str] = {}
    for index, (name, figure) in enumerate(figures.items()):
        fragments[name] = figure.to_html(
            include_plotlyjs=index == 0,
            full_html=False,
            div_id=f"figure-{name}",
            config=_CONFIG,
        )
    return fragments


# --- campaign figures drawn as static SVG -------------------------------------------------------
# The campaign document must print to PDF and render in the console without JavaScript, so these two
# figures are plain SVG built here (plotly's static export needs a separate browser-driving package).
# Every text that comes from the data is XML-escaped.

#: Members drawn in a campaign's link graph; the rest are counted in the caption.
MAX_GRAPH_NODES = 60
#: Link kinds, in drawing order, with their colours.
LINK_COLOURS = {"payment": "#dc2626", "network": "#2563eb", "template": "#7c3aed"}


@dataclass(frozen=True, slots=True)
class LinkEdge:
    """Two accounts of a campaign that share ``shared`` values of one kind (cards, /24 networks, templates)."""

    a: str
    b: str
    kind: str
    shared: int


@dataclass(frozen=True, slots=True)
class CohortHour:
    """Requests in one UTC hour by the accounts created on one day (their sign-up cohort)."""

    hour: datetime
    cohort: str
    requests: int


_EDGE_QUERY = """
WITH m AS (SELECT DISTINCT account_id, payment_fingerprint, ip FROM requests WHERE list_contains($ids, account_id)),
keys AS (
  SELECT account_id, 'payment' AS kind, payment_fingerprint AS key FROM m WHERE payment_fingerprint IS NOT NULL
  UNION
  SELECT account_id, 'network', regexp_extract(ip, '^(\\d+\\.\\d+\\.\\d+)\\.', 1) FROM m
   WHERE regexp_matches(ip, '^\\d+\\.\\d+\\.\\d+\\.\\d+$')
  UNION
  SELECT account_id, 'template', template_key FROM account_templates WHERE list_contains($ids, account_id)
)
SELECT x.account_id, y.account_id, x.kind, count(*) FROM keys x JOIN keys y
  ON x.kind = y.kind AND x.key = y.key AND x.account_id < y.account_id
GROUP BY ALL ORDER BY 1, 2, 3
"""

_COHORT_QUERY = """
SELECT date_trunc('hour', ts) AS hour, coalesce(strftime(account_created_at, '%Y-%m-%d'), 'unknown') AS cohort,
       count(*) AS requests
FROM requests WHERE list_contains($ids, account_id) GROUP BY ALL ORDER BY 1, 2
"""


def link_edges(con: duckdb.DuckDBPyConnection, accounts: Sequence[str]) -> list[LinkEdge]:
    """Pairs of ``accounts`` sharing a payment instrument, an IPv4 /24 or a prompt template, from a scan database."""
    rows = con.execute(_EDGE_QUERY, {"ids": list(accounts)}).fetchall()
    return [LinkEdge(a, b, kind, int(n)) for a, b, kind, n in rows]


def cohort_hours(con: duckdb.DuckDBPyConnection, accounts: Sequence[str]) -> list[CohortHour]:
    """Requests per UTC hour per sign-up cohort of ``accounts``, from a scan database."""
    rows = con.execute(_COHORT_QUERY, {"ids": list(accounts)}).fetchall()
    return [CohortHour(hour, cohort, int(n)) for hour, cohort, n in rows]


def link_graph_svg(accounts: Sequence[str], edges: Sequence[LinkEdge], *, size: int = 600) -> str:
    """The campaign's accounts on a circle, joined by one line per shared kind; at most MAX_GRAPH_NODES drawn."""
    nodes = list(accounts[:MAX_GRAPH_NODES])
    drawn = set(nodes)
    centre, radius = size / 2, size / 2 - 120  # room for the account ids around the circle
    # A circle keeps every node and label apart at this size and is the same on every render.
    at = {
        n: (
            centre + radius * math.cos(2 * math.pi * i / len(nodes)),
            centre + radius * math.sin(2 * math.pi * i / len(nodes)),
        )
        for i, n in enumerate(nodes)
    }
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="link-graph" viewBox="0 0 {size} {size}" role="img">']
    parts.append(f"<title>Account-link graph: {len(nodes)} accounts, {len(edges)} links</title>")
    for edge in sorted(edges, key=lambda e: list(LINK_COLOURS).index(e.kind) if e.kind in LINK_COLOURS else 99):
        if edge.a in drawn and edge.b in drawn:
            (x1, y1), (x2, y2) = at[edge.a], at[edge.b]
            colour = LINK_COLOURS.get(edge.kind, "#64748b")
            width = min(1 + edge.shared, 4)
            title = escape(f"{edge.a} - {edge.b}: {edge.shared} shared {edge.kind}")
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
                f'stroke-width="{width}" stroke-opacity="0.55" class="edge {edge.kind}"><title>{title}</title></line>'
            )
    for node, (x, y) in at.items():
        anchor = "start" if x >= centre else "end"
        dx = 9 if x >= centre else -9
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" class="node"><title>{escape(node)}</title></circle>')
        parts.append(
            f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}" font-size="10">{escape(node)}</text>'
        )
    parts.append(_legend(size))
    parts.append("</svg>")
    return "".join(parts)


def _legend(size: int) -> str:
    items = []
    for i, (kind, colour) in enumerate(LINK_COLOURS.items()):
        x = 10 + i * 110
        items.append(
            f'<line x1="{x}" y1="{size - 12}" x2="{x + 24}" y2="{size - 12}" stroke="{colour}" stroke-width="3"/>'
        )
        items.append(f'<text x="{x + 30}" y="{size - 8}" font-size="11">{kind}</text>')
    return "".join(items)


def cohort_timeline_svg(rows: Sequence[CohortHour], *, width: int = 900, row_height: int = 22) -> str:
    """A heat strip per sign-up cohort: one cell per UTC hour, darker for more requests."""
    if not rows:
        return ""
    start = min(r.hour for r in rows)
    hours = int((max(r.hour for r in rows) - start).total_seconds() // 3600) + 1
    cohorts = sorted({r.cohort for r in rows})
    peak = max(r.requests for r in rows)
    left, cell = 110, (width - 120) / hours
    height = row_height * len(cohorts) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cohort-timeline" viewBox="0 0 {width} {height}" role="img">'
    ]
    parts.append(f"<title>Requests per hour by sign-up cohort, {hours} hours from {start:%Y-%m-%d %H:00} UTC</title>")
    for i, cohort in enumerate(cohorts):
        y = 10 + i * row_height + row_height * 0.65
        parts.append(f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" font-size="11">{escape(cohort)}</text>')
    for row in rows:
        x = left + int((row.hour - start).total_seconds() // 3600) * cell
        y = 10 + cohorts.index(row.cohort) * row_height
        shade = 0.15 + 0.85 * row.requests / peak
        label = escape(f"{row.hour:%Y-%m-%d %H:00} UTC, cohort {row.cohort}: {row.requests} requests")
        parts.append(
            f'<rect x="{x:.2f}" y="{y}" width="{max(cell, 1):.2f}" height="{row_height - 4}" fill="#b91c1c" '
            f'fill-opacity="{shade:.2f}"><title>{label}</title></rect>'
        )
    for day in range(0, hours, 24):
        x = left + day * cell
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="10">{start + timedelta(hours=day):%m-%d}</text>')
    parts.append("</svg>")
    return "".join(parts)
