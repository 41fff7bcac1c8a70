"""Per-account features kept up to date request by request, and scored with the batch scorers.

The scan computes account features in SQL over a whole log; the gateway keeps
the same numbers as running sums (counters, an hour-of-day histogram, distinct
counts) so that one row of the same :class:`AccountFrame` can be rebuilt for any
account at any moment and handed to the very scorers ``scan`` uses.

Stream order is *score, then learn*: a request is scored against the account's
features plus its own content, before the model answers; it is learned (its
counts added) only after it was served and only if it was not flagged, so a
distiller cannot teach its account's features that its traffic is normal.

Some column families need the whole population and stay batch-only (0 online):
shared templates (``max_template_accounts``, ``n_shared_templates``,
``templated_share``), ASNs (the gateway does not resolve them), model-release
pivots (a model is new relative to the whole log's history) and capability
coverage (evidence for analysts that no scorer reads). Seeding from a scan brings
their verdicts in through the account and campaign risk.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from distillshield.detect.engine import own_signals
from distillshield.detect.model import DetectionModel
from distillshield.detect.scorers.base import AccountScorer
from distillshield.detect.verdict import corroborate
from distillshield.features.content.base import ContentDetector
from distillshield.features.content.turns import Turn, pair_turns, scan_turns
from distillshield.features.frame import AccountFrame
from distillshield.features.sql import CAPABILITY_PATTERNS
from distillshield.records import Signal
from distillshield.settings import Settings

log = logging.getLogger("distillshield.gateway")

#: Distinct-count families: name -> what is counted.
DISTINCT = ("ip", "network", "ua", "key", "user", "model", "prompt", "day")
HOURS = tuple(f"h{h:02d}" for h in range(24))
#: Feature columns the gateway cannot compute per request (see the module docstring).
BATCH_ONLY = (
    "max_template_accounts",
    "n_shared_templates",
    "templated_share",
    "n_asns",
    *(f"cap_{area}_share" for area in CAPABILITY_PATTERNS),
    "capability_breadth",
    "capability_top_share",
    "capability_entropy",
    "new_model_lag_hours",
    "new_model_day_share",
    "new_model_share",
)


@dataclass(frozen=True, slots=True)
class Observation:
    """What is known about a request before it is forwarded."""

    ts: float
    system: str
    user: str
    n_user_turns: int
    model: str
    ip: str | None
    user_agent: str | None
    api_key_id: str
    user_id: str | None
    content: dict[str, float]  # content detector name -> score
    #: Every client-written turn the content detectors read (``features.content.turns``); empty means the
    #: system text and the last user turn alone, as for a request known only by those.
    turns: tuple[Turn, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What is known once the response is complete."""

    status: int = 200
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    tool_calls: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An account's running features as stored: counters, distinct counts and creation time."""

    counters: dict[str, float] = field(default_factory=dict)
    distinct: dict[str, int] = field(default_factory=dict)
    created_at: float | None = None
    hour_count: int = 0  # learned requests in the current UTC hour


@dataclass(frozen=True, slots=True)
class Update:
    """What learning one request adds: counter increments, members of distinct sets, the newest time."""

    increments: dict[str, float]
    members: dict[str, str]
    ts: float


def network_of(ip: str | None) -> str | None:
    """The /24 of an IPv4 address or the /48 of an IPv6 one, as the scan's SQL computes it."""
    if not ip:
        return None
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + "::/48"
    head, _, _ = ip.rpartition(".")
    return f"{head}.0/24" if head else None


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def learn_update(obs: Observation, outcome: Outcome, detectors: list[ContentDetector], last_t: float | None) -> Update:
    """The increments learning ``obs`` adds, with the gap since the account's previous learned request."""
    hour = int(obs.ts // 3600) % 24
    increments = {
        "n": 1.0,
        "sum_pt": float(outcome.prompt_tokens),
        "sum_ct": float(outcome.completion_tokens),
        "sum_rt": float(outcome.reasoning_tokens),
        "n_tool": float(outcome.tool_calls > 0),
        "n_multi": float(obs.n_user_turns > 1),
        "n_429": float(outcome.status == 429),
        HOURS[hour]: 1.0,
    }
    if last_t is not None and obs.ts >= last_t:
        gap = obs.ts - last_t
        increments.update(n_gap=1.0, sum_gap=gap, sum_gap2=gap * gap)
    for d in detectors:
        score = obs.content.get(d.name, 0.0)
        increments[f"{d.name}_hits"] = float(score >= d.threshold)
        increments[f"{d.name}_sum"] = score
    members = {
        "ip": obs.ip,
        "network": network_of(obs.ip),
        "ua": obs.user_agent,
        "key": obs.api_key_id,
        "user": obs.user_id,
        "model": obs.model,
        "prompt": _digest(obs.user),
        "day": str(int(obs.ts // 86400)),
    }
    return Update({k: v for k, v in increments.items() if v}, {k: v for k, v in members.items() if v}, obs.ts)


def features(snap: Snapshot, obs: Observation | None, detectors: list[ContentDetector]) -> dict[str, float]:
    """One account-feature row (the scan's column names) from the stored state plus this request, if any.

    With ``obs`` the row counts the request about to be scored (its time, turns and
    content; its tokens are not known yet, so token means are over learned requests).
    Without it the row describes exactly the learned requests, as the scan would.
    """
    c, d = snap.counters, snap.distinct
    learned = c.get("n", 0.0)
    one = 1.0 if obs is not None else 0.0
    n = max(learned + one, 1.0)
    now = obs.ts if obs is not None else c.get("last_t", 0.0)
    days = max(d.get("day", 0), 1)
    first_t = c.get("first_t", now)
    seen = obs is not None
    ip, agent = (obs.ip, obs.user_agent) if obs is not None else (None, None)
    multi = obs is not None and obs.n_user_turns > 1
    row = {
        "n_requests": learned + one,
        "n_active_days": float(days),
        "span_hours": (now - first_t) / 3600.0,
        "first_t": first_t,
        "last_t": now,
        "n_ips": float(max(d.get("ip", 0), 1 if ip else 0)),
        "n_networks": float(max(d.get("network", 0), 1 if ip else 0)),
        "n_user_agents": float(max(d.get("ua", 0), 1 if agent else 0)),
        "n_keys": float(max(d.get("key", 0), 1)),
        "n_end_users": float(d.get("user", 0)),
        "n_models": float(max(d.get("model", 0), 1)),
        "mean_prompt_tokens": _mean(c, "sum_pt", learned),
        "mean_completion_tokens": _mean(c, "sum_ct", learned),
        "mean_reasoning_tokens": _mean(c, "sum_rt", learned),
        "tool_call_share": _mean(c, "n_tool", learned),
        "multi_turn_share": (c.get("n_multi", 0.0) + multi) / n,
        "rate_limited_share": _mean(c, "n_429", learned),
        "distinct_prompt_share": min(1.0, (d.get("prompt", 0) + one) / n),
        "gap_cv": _gap_cv(c),
        "age_at_first_request_hours": (first_t - snap.created_at) / 3600.0 if snap.created_at else math.nan,
        "hour_entropy": _hour_entropy(c, int(now // 3600) % 24 if seen else None),
        "peak_hour_requests": max(c.get("peak_hour", 0.0), snap.hour_count + one),
        "requests_per_active_day": (learned + one) / days,
        **dict.fromkeys(BATCH_ONLY, 0.0),
    }
    for det in detectors:
        score = obs.content.get(det.name, 0.0) if obs is not None else 0.0
        hits = c.get(f"{det.name}_hits", 0.0) + (seen and score >= det.threshold)
        row[f"{det.name}_hits"] = hits
        row[f"{det.name}_share"] = hits / n
        row[f"{det.name}_mean"] = (c.get(f"{det.name}_sum", 0.0) + score) / n
    return row


def _mean(counters: dict[str, float], key: str, n: float) -> float:
    return counters.get(key, 0.0) / n if n else 0.0


def _gap_cv(c: dict[str, float]) -> float:
    k = c.get("n_gap", 0.0)
    if k < 2:
        return 0.0
    mean = c.get("sum_gap", 0.0) / k
    var = max(0.0, (c.get("sum_gap2", 0.0) - k * mean * mean) / (k - 1))
    return math.sqrt(var) / mean if mean > 0 else 0.0


def _hour_entropy(c: dict[str, float], hour: int | None) -> float:
    # Plain Python: for 24 numbers numpy's per-call overhead costs more than the arithmetic.
    counts = [c.get(h, 0.0) for h in HOURS]
    if hour is not None:
        counts[hour] += 1.0
    total = sum(counts)
    if not total:
        return 0.0
    return -sum(x / total * math.log(x / total) for x in counts if x > 0) / math.log(24)


@dataclass(frozen=True, slots=True)
class Score:
    risk: float
    signals: tuple[Signal, ...]


class OnlineScorer:
    """The scan's content detectors and account scorers, applied to requests as they come.

    The ``*_many`` forms score several requests in one call: the content models and
    the scorers are vectorised, so a batch of 16 costs little more than one request.
    """

    def __init__(
        self,
        *,
        detectors: list[ContentDetector],
        scorers: list[AccountScorer],
        cache_size: int = 2048,
        settings: Settings | None = None,
        model: DetectionModel | None = None,
    ) -> None:
        """``model``: a learned overlay (``serve --model``) scaling each signal's weight by its family, as a
        scan with it does; its note leads every trace. Its thresholds are expected in ``settings``."""
        self.detectors = detectors
        self.model = model
        self.scorers = scorers
        # The scan's corroboration rule applies online too: content alone never blocks.
        self.settings = settings or Settings()
        self.cache_size = cache_size
        # Columns a scorer reads that the online row cannot compute (a scan feature added since):
        # they are 0 online, as the batch-only ones are, so that such a scorer degrades, not fails.
        row = features(Snapshot(), None, detectors)
        self.unknown = sorted({c for s in scorers for c in s.reads} - set(row))
        if self.unknown:
            log.warning("online scoring has no value for %s: scored as 0 (batch-only)", ", ".join(self.unknown))
        # Content scores of recent distinct texts: retries, and apps sending one prompt many times,
        # are scored once. Content detectors are pure functions of the text, so a hit is exact.
        self._cache: OrderedDict[tuple[Turn, ...], dict[str, float]] = OrderedDict()

    def content(
        self, system: str, user: str, messages: str | None = None, extra: str | None = None
    ) -> dict[str, float]:
        """Scores of one request: its system text and last user turn, and (when given, as stored JSON) the
        other client-written turns in ``messages`` and ``extra``, read as the scan reads them."""
        return self.content_many([system], [user], [scan_turns(system, user, messages, extra)])[0]

    def content_many(
        self, system: Sequence[str], user: Sequence[str], turns: Sequence[tuple[Turn, ...]] | None = None
    ) -> list[dict[str, float]]:
        keys = list(turns) if turns is not None else [pair_turns(s, u) for s, u in zip(system, user, strict=True)]
        found = {k: hit for k in keys if (hit := self._cache.get(k)) is not None}
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            scored = self._score_requests(missing)
            for key, scores in zip(missing, scored, strict=True):
                found[key] = scores
                self._remember(key, scores)
        for key in found.keys() - set(missing):
            self._cache.move_to_end(key)
        return [found[k] for k in keys]

    def _remember(self, key: tuple[Turn, ...], scores: dict[str, float]) -> None:
        self._cache[key] = scores
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _score_requests(self, requests: Sequence[tuple[Turn, ...]]) -> list[dict[str, float]]:
        columns = {d.name: d.score_requests(requests) for d in self.detectors}
        return [{name: float(scores[i]) for name, scores in columns.items()} for i in range(len(requests))]

    def score(self, account_id: str, snap: Snapshot, obs: Observation) -> Score:
        return self.score_many([account_id], [snap], [obs])[0]

    def score_many(
        self, account_ids: Sequence[str], snaps: Sequence[Snapshot], obs: Sequence[Observation]
    ) -> list[Score]:
        rows = [features(s, o, self.detectors) for s, o in zip(snaps, obs, strict=True)]
        for row in rows if self.unknown else ():
            row.update(dict.fromkeys(self.unknown, 0.0))
        names = list(rows[0])
        # One array for the whole batch, then a column view per feature: one allocation, not sixty.
        matrix = np.array([[row[k] for k in names] for row in rows], dtype=np.float64)
        frame = AccountFrame(tuple(account_ids), {k: matrix[:, j] for j, k in enumerate(names)})
        scores = []
        model = self.model
        for signals in own_signals(frame, self.scorers):
            if model is None:
                risk, trace = corroborate(signals, self.settings)
            else:
                risk, trace = corroborate([model.weigh(s) for s in signals], self.settings)
                trace = [model.note(), *trace]
            scores.append(Score(risk, tuple(trace)))
        return scores

    def update(self, snap: Snapshot, obs: Observation, outcome: Outcome) -> Update:
        return learn_update(obs, outcome, self.detectors, snap.counters.get("last_t"))
