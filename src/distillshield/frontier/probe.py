"""One point of the search: simulate a small world with one evasive campaign at a knob setting, judge it.

Four judges read the same log. ``distillshield`` runs the real scan and calls the campaign
detected when any of its accounts is judged ``distiller``. ``gateway`` is the live path: the log
is sent request by request through the real gateway (online scoring and linking, default policy,
no seed) and the campaign is detected when any of its accounts is answered ``step_up`` or
``block``. ``rate_limit`` is a per-account
limit alone: detected when any campaign account exceeds the limit on any UTC day.
``content`` is the content detectors alone: detected when any campaign account's reasons name
a signal a content scorer reads (elicitation asks, shared templates), whatever its verdict.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from distillshield.detect.scorers import content as content_scorers
from distillshield.frontier.prices import Prices
from distillshield.online_replay import run_online_replay
from distillshield.pipeline import run_scan
from distillshield.simulate import CampaignKnobs, simulate

JUDGES = ("distillshield", "gateway", "rate_limit", "content")
#: Benign populations around the campaign, so peer-relative scorers have peers.
BACKGROUND = ("casual_chat", "learner", "sharegpt_chat")


@dataclass(frozen=True, slots=True)
class World:
    """What every probe of one search shares."""

    campaign: str = "low_slow_cover"
    days: float = 7.0
    background_scale: float = 0.03
    campaign_scale: float = 1.0
    rate_limit_per_day: int = 200
    prices: Prices = field(default_factory=Prices)


@dataclass
class Probe:
    """A campaign at one knob setting and one seed, with the judges' findings (filled on demand)."""

    knobs: CampaignKnobs
    seed: int
    harvest: dict[str, Any]
    per_day: float  # useful reasoning tokens harvested per day
    per_dollar: float  # useful reasoning tokens per dollar the attacker spent
    detected: dict[str, bool] = field(default_factory=dict)
    benign_flagged: dict[str, float] = field(default_factory=dict)  # share of background accounts each judge flags


@cache
def content_signals() -> frozenset[str]:
    """Signals read by the content scorers; an account whose reasons name one was seen by content alone."""
    reads: set[str] = set()
    for value in vars(content_scorers).values():
        reads |= set(getattr(value, "reads", ()) or ())
    return frozenset(reads - {"n_requests"})


class Prober:
    """Runs and caches probes in ``root``; a probe scans only when a judge that needs the scan asks."""

    def __init__(self, root: Path, world: World) -> None:
        self.root, self.world = root, world
        self._cache: dict[tuple[str, int], Probe] = {}
        self.scans = 0
        self.replays = 0  # probes sent through the gateway (the live judge)

    def judge(self, knobs: CampaignKnobs, seed: int, judge: str) -> Probe:
        probe = self._simulated(knobs, seed)
        if judge not in probe.detected:
            if judge == "rate_limit":
                probe.detected[judge], probe.benign_flagged[judge] = self._over_limit(self._dir(knobs, seed))
            elif judge == "gateway":
                probe.detected[judge], probe.benign_flagged[judge] = self._live(self._dir(knobs, seed))
            else:
                found, flagged = self._scan(self._dir(knobs, seed))
                probe.detected.update(found)
                probe.benign_flagged.update(flagged)
        return probe

    def _dir(self, knobs: CampaignKnobs, seed: int) -> Path:
        key = json.dumps([knobs.describe(), seed], sort_keys=True).encode()
        return self.root / f"p{hashlib.sha1(key).hexdigest()[:12]}"

    def _simulated(self, knobs: CampaignKnobs, seed: int) -> Probe:
        key = (json.dumps(knobs.describe(), sort_keys=True), seed)
        if key in self._cache:
            return self._cache[key]
        w, out = self.world, self._dir(knobs, seed)
        summary = simulate(
            out,
            scale=w.background_scale,
            seed=seed,
            archetypes=(w.campaign, *BACKGROUND),
            knobs=knobs,
            campaign_scale=w.campaign_scale,
            days=w.days,
        )
        harvest = next((dict(c) for c in summary.campaigns.values() if c["archetype"] == w.campaign), {})
        networks, cards = _infra(out)
        cost = w.prices.cost(harvest, w.days, networks, cards)
        reasoning = float(str(harvest.get("reasoning_tokens", 0)))
        probe = Probe(knobs, seed, harvest, reasoning / w.days, reasoning / cost if cost else 0.0)
        self._cache[key] = probe
        return probe

    def _over_limit(self, out: Path) -> tuple[bool, float]:
        per_day: Counter[tuple[str, int]] = Counter()
        for record in _records(out):
            per_day[(record["account_id"], int(_seconds(record["ts"]) // 86_400))] += 1
        over = {account for (account, _), n in per_day.items() if n > self.world.rate_limit_per_day}
        campaign, everyone = _campaign_accounts(out), {account for account, _ in per_day}
        return bool(over & campaign), _share(over - campaign, everyone - campaign)

    def _live(self, out: Path) -> tuple[bool, float]:
        """The gateway's verdict: escalated accounts after replaying the probe's log through it."""
        result = run_online_replay([out / "traffic.jsonl.gz"], out / "live")
        self.replays += 1
        escalated, campaign = result.escalated(), _campaign_accounts(out)
        return bool(escalated & campaign), _share(escalated - campaign, set(result.accounts) - campaign)

    def _scan(self, out: Path) -> tuple[dict[str, bool], dict[str, float]]:
        run_scan([out / "traffic.jsonl.gz"], out / "scan", html=False)
        self.scans += 1
        campaign, signals = _campaign_accounts(out), content_signals()
        distiller, content, benign = set(), set(), set()
        with (out / "scan" / "accounts.csv").open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                account = row["account_id"]
                benign |= {account} - campaign
                if row["verdict"] == "distiller":
                    distiller.add(account)
                if {part.split("=", 1)[0].strip() for part in row["reasons"].split(";")} & signals:
                    content.add(account)
        found = {"distillshield": bool(distiller & campaign), "content": bool(content & campaign)}
        return found, {"distillshield": _share(distiller & benign, benign), "content": _share(content & benign, benign)}


def _share(part: set[str], whole: set[str]) -> float:
    return len(part) / len(whole) if whole else 0.0


def _campaign_accounts(out: Path) -> set[str]:
    with (out / "labels.csv").open(newline="", encoding="utf-8") as f:
        return {r["account_id"] for r in csv.DictReader(f) if r["label"] == "distiller"}


def _records(out: Path) -> list[dict[str, Any]]:
    with gzip.open(out / "traffic.jsonl.gz", "rb") as f:
        return [orjson.loads(line) for line in f]


def _seconds(ts: str | float) -> float:
    return float(ts) if isinstance(ts, int | float) else datetime.fromisoformat(ts).timestamp()


def _infra(out: Path) -> tuple[int, int]:
    """Distinct /24s and cards the campaign used: what it paid for beyond tokens."""
    campaign = _campaign_accounts(out)
    nets, cards = set(), set()
    for record in _records(out):
        if record["account_id"] in campaign:
            nets.add(record["ip"].rsplit(".", 1)[0])
            cards.add(record.get("payment_fingerprint"))
    return len(nets), len(cards)
