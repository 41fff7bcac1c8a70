"""When requests happen: human sessions in local time, office hours, flat machine schedules and counts."""

from __future__ import annotations

import math
import random

from . import world

SPAN_DAYS = 21


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; lam stays small here (per-day and per-session counts)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def lognormal_int(rng: random.Random, median: float, sigma: float, lo: int, hi: int) -> int:
    return int(min(hi, max(lo, round(median * math.exp(rng.gauss(0.0, sigma))))))


def active_days(
    rng: random.Random, p: float, *, weekend_p: float | None = None, first: int = 0, last: int = SPAN_DAYS
) -> list[int]:
    days = []
    for d in range(first, last):
        q = weekend_p if (weekend_p is not None and world.is_weekend(d)) else p
        if rng.random() < q:
            days.append(d)
    return days or [rng.randrange(first, last)]


def session_start(rng: random.Random, day: int, utc_offset: float, profile: tuple[float, ...]) -> float:
    return world.at_local(day, world.local_hour(rng, profile), utc_offset)


def spread(
    rng: random.Random,
    n: int,
    start: float,
    end: float,
    utc_offset: float,
    profile: tuple[float, ...],
    weekend_factor: float = 1.0,
) -> list[float]:
    """n times between start and end following a local hour-of-day profile (and a weekend damping)."""
    first = int((start - world.T0) // world.DAY) - 1
    last = int((end - world.T0) // world.DAY) + 1
    days = list(range(first, last + 1))
    weights = [weekend_factor if world.is_weekend(d) else 1.0 for d in days]
    out: list[float] = []
    guard = 0
    while len(out) < n and guard < n * 50:
        guard += 1
        day = rng.choices(days, weights=weights)[0]
        ts = session_start(rng, day, utc_offset, profile)
        if start <= ts < end:
            out.append(ts)
    out.sort()
    return out


def think_gap(rng: random.Random, median_s: float = 90.0) -> float:
    """Seconds between a person's consecutive turns: reading, thinking and typing."""
    return 12.0 + median_s * math.exp(rng.gauss(0.0, 0.8))


def window_end() -> float:
    return world.T0 + SPAN_DAYS * world.DAY
