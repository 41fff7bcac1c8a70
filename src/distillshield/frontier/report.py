"""The frontier as a Markdown table, a PNG bar chart and an HTML page (with the simulator's limits)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

LIMITS = (
    "The campaigns and benign populations are simulated (docs/simulator.md): the detector was built on the same "
    "simulator, so these frontiers are optimistic for the defender; the blind generator (bench/blindgen) is the "
    "honest check. Each probe is a small world (a few dozen benign accounts, one campaign, a few days), so "
    "peer-relative scorers see fewer peers than in production. Bisection assumes detection is monotone along a "
    "knob and resolves the frontier only to the searched steps; a capped frontier means the strongest setting "
    "searched stayed unseen and the true frontier lies beyond it. Prices are list prices from the config; the "
    "attacker's overheads (accounts, cards, proxies) are guesses. The gateway judge replays each probe log through "
    "the gateway with no seed and the default policy, one request at a time (no concurrency), every account on the "
    "default tier; it counts only step-up and block, although withheld reasoning already denies part of the "
    "harvest."
)
JUDGES = ("distillshield", "gateway", "rate_limit", "content")


def _fmt(x: float) -> str:
    return f"{x / 1e6:.2f}M" if x >= 1e5 else f"{x:,.0f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def markdown(summary: dict[str, Any]) -> str:
    """One row per axis: each judge's frontier (mean ±95% CI [min-max] over seeds), tokens/$ and the ratios."""
    judges = [j for j in JUDGES if any(j in row for row in summary.values())]
    head = "| axis | " + " | ".join(f"{j} tokens/day (mean ±95% CI [min-max])" for j in judges)
    tail = " | distillshield tokens/$ | ratio scan / rate limit | ratio gateway / rate limit |"
    lines = [head + tail, "|---" * (len(judges) + 4) + "|"]
    for axis, row in summary.items():
        cells = []
        for judge in judges:
            if judge not in row:
                cells.append("-")
                continue
            s = row[judge]["per_day"]
            capped = " (capped)" if row[judge]["capped"] else ""
            fpr = f"; benign flagged {100 * row[judge]['benign_flagged']:.1f}%"
            spread = f"{_fmt(s['mean'])} ±{_fmt(s.get('ci95', 0.0))} [{_fmt(s['min'])}-{_fmt(s['max'])}]"
            cells.append(f"{spread}{capped}{fpr}")
        dollar = _fmt(row["distillshield"]["per_dollar"]["mean"]) if "distillshield" in row else "-"
        ratios = f"{_ratio(row.get('ratio_vs_rate_limit'))} | {_ratio(row.get('gateway_ratio_vs_rate_limit'))}"
        lines.append(f"| {axis} | " + " | ".join(cells) + f" | {dollar} | {ratios} |")
    return "\n".join(lines) + "\n"


def plot(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = list(summary)
    judges = [j for j in JUDGES if any(j in summary[a] for a in axes)]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(axes)), 4))
    width = 0.8 / max(1, len(judges))
    for k, judge in enumerate(judges):
        means = [summary[a][judge]["per_day"]["mean"] / 1e6 if judge in summary[a] else 0 for a in axes]
        lows = [
            m - summary[a][judge]["per_day"]["min"] / 1e6 if judge in summary[a] else 0
            for a, m in zip(axes, means, strict=True)
        ]
        highs = [
            summary[a][judge]["per_day"]["max"] / 1e6 - m if judge in summary[a] else 0
            for a, m in zip(axes, means, strict=True)
        ]
        xs = [i + (k - (len(judges) - 1) / 2) * width for i in range(len(axes))]
        ax.bar(xs, means, width, yerr=[lows, highs], capsize=3, label=judge)
    ax.set_yscale("symlog", linthresh=0.01)  # distillshield's frontier is tens of times below the rate limit's
    ax.set_xticks(range(len(axes)), axes, rotation=30)
    ax.set_ylabel("undetected reasoning tokens / day (M, symlog)")
    ax.set_title("Largest harvest that stays undetected, per knob (mean, range over seeds)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def page(summary: dict[str, Any], world: dict[str, Any], png: str) -> str:
    table = markdown(summary).splitlines()
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in line.strip("|").split("|")) + "</tr>"
        for line in table[2:]
    )
    header = "".join(f"<th>{html.escape(c.strip())}</th>" for c in table[0].strip("|").split("|"))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>distillshield frontier</title></head><body>"
        "<h1>The attacker's bill: largest undetected harvest per knob</h1>"
        f"<p>World: {html.escape(str(world))}</p><img src='{html.escape(png)}' alt='frontier plot'>"
        f"<table border='1'><tr>{header}</tr>{rows}</table>"
        f"<h2>Limits of this measurement</h2><p>{html.escape(LIMITS)}</p></body></html>\n"
    )


def write_report(out_dir: Path, summary: dict[str, Any], world: dict[str, Any]) -> None:
    (out_dir / "frontier.md").write_text(markdown(summary), encoding="utf-8")
    plot(summary, out_dir / "frontier.png")
    (out_dir / "frontier.html").write_text(page(summary, world, "frontier.png"), encoding="utf-8")
