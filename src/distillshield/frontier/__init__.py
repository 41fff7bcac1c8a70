"""The frontier stage: how much a distiller can harvest and stay unseen (issue 20).

Conventions: a probe is a small simulated world (a few benign populations and one evasive
campaign at a knob setting, cut after ``days``) judged three ways (distillshield's scan, a
per-account rate limit alone, the content detectors alone); the search bisects one knob per
axis for each judge and seed. Outputs are ``frontier.json`` (every frontier point), and from it
``frontier.md``, ``frontier.png`` and ``frontier.html``.
"""

from __future__ import annotations

from distillshield.frontier.prices import Prices, load_prices
from distillshield.frontier.probe import JUDGES, Prober, World
from distillshield.frontier.run import FrontierRun, run_frontier, summarise
from distillshield.frontier.search import AXES, Axis, Frontier, search

__all__ = [
    "AXES",
    "Axis",
    "Frontier",
    "FrontierRun",
    "JUDGES",
    "Prices",
    "Prober",
    "World",
    "load_prices",
    "run_frontier",
    "search",
    "summarise",
]
