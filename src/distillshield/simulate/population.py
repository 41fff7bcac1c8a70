"""Accounts, request times and infrastructure shared by every simulated population.

Each population returns its accounts and an :class:`Events` block (request
times and account indices as numpy arrays). The writer merges all blocks in
time order and asks each account's population to render the request record.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

START = datetime(2026, 5, 4, tzinfo=UTC)
DAYS = 14
WINDOW = DAYS * 86_400.0
RELEASE = START + timedelta(days=7, hours=16)  # atlas-4 becomes available
RELEASE_T = (RELEASE - START).total_seconds()

RESIDENTIAL_ASNS = (7922, 701, 3320, 2856, 12322, 4134, 4837, 9808, 17676, 4766, 3215, 6830)
CLOUD_ASNS = (16509, 15169, 8075, 14061, 24940, 63949)
UNIVERSITY_ASNS = (1312, 786, 2200, 680, 11537)
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "qq.com", "163.com")
DISPOSABLE_MAIL = ("tempmail.dev", "mail-drop.io", "inboxkitten.com", "burnermail.net", "throwmail.cc")
BROWSER_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
)
SDK_UA = ("OpenAI/Python 1.40.0", "python-requests/2.32.3", "python-httpx/0.27.0", "aiohttp/3.9.5", "node-fetch/1.0")


@dataclass
class Account:
    account_id: str
    label: str
    archetype: str
    campaign_id: str
    created_at: datetime
    email_domain: str
    cards: list[str]
    user_agent: str
    networks: list[str]  # /24 prefixes like "10.1.2"
    asn_of: dict[str, int]
    render: Callable[[Account, float, random.Random], dict[str, Any]]
    keys: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    # Accounts added after the classic archetypes draw their text from their own stream, so adding them
    # leaves the classic archetypes' records as they were for the same seed.
    rnd: random.Random | None = None


@dataclass
class Events:
    times: npt.NDArray[np.float64]  # seconds since START
    accounts: npt.NDArray[np.int64]  # index into the population's account list

    @staticmethod
    def empty() -> Events:
        return Events(np.zeros(0), np.zeros(0, dtype=np.int64))

    @staticmethod
    def concat(blocks: list[Events]) -> Events:
        if not blocks:
            return Events.empty()
        return Events(np.concatenate([b.times for b in blocks]), np.concatenate([b.accounts for b in blocks]))


#: One archetype's accounts and their request events, as every population builder returns them.
Population = tuple[list[Account], Events]


class Infra:
    """Deterministic address, card and id factories for one simulation."""

    def __init__(self, rnd: random.Random, used_nets: set[str] | None = None) -> None:
        self.rnd = rnd
        self._used_nets: set[str] = set() if used_nets is None else used_nets
        self.shared: dict[str, Any] = {}  # facts one population leaves for another (framing copies a prompt)

    def fork(self, rnd: random.Random) -> Infra:
        """A factory on its own random stream that still never hands out a network this one did."""
        return Infra(rnd, self._used_nets)

    def hexid(self, prefix: str, n: int = 12) -> str:
        return prefix + "".join(self.rnd.choice("0123456789abcdef") for _ in range(n))

    def network(self, asn: int, asn_of: dict[str, int]) -> str:
        while True:
            net = f"{self.rnd.randrange(11, 223)}.{self.rnd.randrange(256)}.{self.rnd.randrange(256)}"
            if net not in self._used_nets:
                self._used_nets.add(net)
                asn_of[net] = asn
                return net

    def ip(self, net: str) -> str:
        return f"{net}.{self.rnd.randrange(1, 255)}"

    def card(self, bin_prefix: str | None = None) -> str:
        return "pf_" + (bin_prefix or self.hexid("", 6)) + self.hexid("", 10)


def ts_string(t: float, numeric: bool) -> str | float:
    """RFC 3339 with Z, or (for some sources, as the spec allows) Unix seconds."""
    moment = START + timedelta(seconds=float(t))
    if numeric:
        return round(moment.timestamp(), 3)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def diurnal_times(
    rng: np.random.Generator, n: int, tz_hours: float, peak_hours: tuple[float, float], weekend_factor: float
) -> npt.NDArray[np.float64]:
    """``n`` request times following a human day: a busy period in local time, quieter weekends."""
    day_weights = np.array([1.0 if (d % 7) < 5 else weekend_factor for d in range(DAYS)])
    days = rng.choice(DAYS, size=n, p=day_weights / day_weights.sum())
    centre = (peak_hours[0] + peak_hours[1]) / 2
    spread = max(1.0, (peak_hours[1] - peak_hours[0]) / 2)
    local_hour = np.clip(rng.normal(centre, spread, size=n), 0, 23.99)
    utc_hour = (local_hour - tz_hours) % 24
    return np.sort(days * 86_400.0 + utc_hour * 3600.0)


def uniform_times(rng: np.random.Generator, n: int, start: float, end: float) -> npt.NDArray[np.float64]:
    return np.sort(rng.uniform(start, end, size=n))


def scaled(count: float, scale: float, minimum: int = 3) -> int:
    return max(minimum, int(round(count * scale)))
