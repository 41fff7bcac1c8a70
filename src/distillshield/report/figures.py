"""The report's plots, as plotly figures rendered to HTML fragments.

Only the first fragment on a page carries the plotly.js bundle (inline, from
plotly's own package data, so the page needs no network); the rest reuse it.
Figures get fixed div ids so that the same scan directory always renders the
same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

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
