"""Link accounts into campaigns as their requests arrive, and judge each campaign as ``scan`` does.

The scan links accounts in SQL over a whole log (``detect.link``): pairs that
share a payment card, /24 networks, a prompt template, a sign-up burst or a
User-Agent get an edge of summed linker weights; edges of at least
``MIN_EDGE`` join accounts; groups of three or more are judged as a whole by
``detect.engine.campaign_signals``. :class:`LinkGraph` keeps the same edges
incrementally, key by key, with the scan's weights, saturations and caps, and
joins accounts with a union-find as soon as an edge is strong enough.

Where online differs from the batch scan (each because the gateway sees one request at a time):

* Groups only grow: a link, once made, is never undone, and a key shared by
  more than ``shared_infra_max_accounts`` accounts stops adding links once it
  passes the cap (the scan drops it altogether).
* Templates: a long system prompt links once ``template_min_accounts`` accounts
  send it, as in the scan; a fixed head or tail of long user prompts counts for
  an account once it framed ``template_min_variants_per_account`` distinct
  prompts with it (the scan's per-account variant rule; its global
  ``template_min_variants`` is not checked).
* ASNs are not resolved online, and the round-robin timing statistics are
  batch-only; every other campaign signal is computed from running evidence.

Evidence counts every scored request, refused ones included (a refused request
says as much about its sender as a served one); it is not the account's learned
features, which only served, unflagged traffic may teach.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from distillshield.detect.engine import GroupContext, campaign_signals, established_mask, own_signals
from distillshield.detect.link.coordination import GroupStats
from distillshield.detect.link.graph import MIN_EDGE, Community
from distillshield.detect.link.linkers import (
    CreationBurst,
    SharedNetwork,
    SharedPayment,
    SharedTemplate,
    SharedUserAgent,
)
from distillshield.detect.scorers.base import AccountScorer
from distillshield.detect.verdict import corroborate, strong_families
from distillshield.features.content.base import ContentDetector
from distillshield.features.frame import AccountFrame
from distillshield.records import Signal
from distillshield.respond.identity import Identity
from distillshield.respond.online import Observation, Score, network_of
from distillshield.respond.seed import Seed
from distillshield.respond.standing import Standing
from distillshield.respond.state import StateStore
from distillshield.settings import Settings

log = logging.getLogger("distillshield.gateway")

#: Link kind -> (weight, saturation), read from the scan's linkers so that both stay one definition.
_ONLINE_LINKERS = (SharedPayment, SharedNetwork, SharedTemplate, CreationBurst, SharedUserAgent)
KINDS: dict[str, tuple[float, int]] = {cls.kind: (cls.weight, cls.saturation) for cls in _ONLINE_LINKERS}
#: Link kinds an outsider can copy: they never join an established account to a younger one.
COPYABLE = frozenset(
    cls.kind for cls in (SharedPayment, SharedNetwork, SharedTemplate, CreationBurst, SharedUserAgent) if cls.copyable
)
#: Smallest group judged as a campaign (``find_communities``' default).
MIN_GROUP = 3
#: Request times kept per account, and the latest requests of a group its round-robin test reads.
TIMES_KEPT, STREAM_WINDOW = 64, 1024
#: Distinct user heads and tails remembered per account while they gather variants (memory bound).
MAX_PENDING_TEMPLATES = 256
_SPACE = re.compile(r"(\\n|\s)+")
_DIGITS = re.compile(r"[0-9]+")


def normalise(text: str) -> str:
    """The scan's ``NORMALISE``: lower case, whitespace runs to one space, digit runs to ``0``."""
    return _DIGITS.sub("0", _SPACE.sub(" ", text.lower()))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def link_keys(identity: Identity, obs: Observation) -> dict[str, str]:
    """Keys of this request that link its account to others, ``kind:value`` -> kind (templates excepted)."""
    keys = {}
    if identity.payment_fingerprint:
        keys[f"payment:{identity.payment_fingerprint}"] = "payment"
    network = network_of(obs.ip)
    if network:
        keys[f"network:{network}"] = "network"
    if identity.created_at is not None:
        keys[f"creation_burst:{int(identity.created_at // 600)}"] = "creation_burst"
    if obs.user_agent:
        keys[f"user_agent:{obs.user_agent}"] = "user_agent"
    return keys


def template_candidates(obs: Observation) -> tuple[dict[str, str], str]:
    """Template keys of this request (system prompt, user head and tail) and its text's digest."""
    system, user = normalise(obs.system), normalise(obs.user)
    out = {}
    if len(system) >= 80:
        out[f"template:system:{_digest(system)}"] = "system"
    if len(user) >= 220:
        out[f"template:prefix:{_digest(user[:100])}"] = "prefix"
        out[f"template:suffix:{_digest(user[-100:])}"] = "suffix"
    return out, _digest(user)


@dataclass
class Evidence:
    """What an account's scored requests showed: the campaign judge's per-member inputs."""

    requests: int = 0
    hits: dict[str, int] = field(default_factory=dict)
    tool_requests: int = 0
    first_t: float | None = None
    created_at: float | None = None
    risk: float = 0.0  # highest online score of any of its requests
    protected: str | None = None  # why links alone must not escalate it (respond.standing), as last seen
    fingerprint: str | None = None  # payment fingerprint, so that a new account on the same card joins at once
    times: deque[float] = field(default_factory=lambda: deque(maxlen=TIMES_KEPT))  # its latest request times
    keys: set[str] = field(default_factory=set)
    variants: dict[str, set[str]] = field(default_factory=dict)  # user head/tail key -> distinct texts

    def add(self, obs: Observation, score: Score, detectors: Sequence[ContentDetector], tool_calls: int) -> None:
        self.requests += 1
        for d in detectors:
            if obs.content.get(d.name, 0.0) >= d.threshold:
                self.hits[d.name] = self.hits.get(d.name, 0) + 1
        self.tool_requests += tool_calls > 0
        self.first_t = obs.ts if self.first_t is None else min(self.first_t, obs.ts)
        self.times.append(obs.ts)
        self.risk = max(self.risk, score.risk)


@dataclass
class Group:
    """A connected set of linked accounts, as it grows."""

    group_id: str
    members: set[str]
    template_pairs: int = 0
    judged_risk: float = 0.0
    pending: int = 0  # members' requests since the group was last judged
    pushed: int = 0  # members when its campaign was last put into the store


class LinkGraph:
    """Account pairs' summed link weights, and the groups their strong edges join (a union-find)."""

    def __init__(self, settings: Settings, established: Callable[[str], bool] | None = None) -> None:
        self.settings = settings
        # Copyable links (templates, User-Agents) never join an established account to a younger one.
        self.established = established or (lambda account: False)
        self._holders: dict[str, list[str]] = {}
        self._shared: dict[tuple[str, str, str], int] = {}  # (a, b, kind) -> keys of that kind shared
        self._weight: dict[tuple[str, str], float] = {}
        self.strength: dict[str, float] = {}  # summed weight of each account's strong edges
        self._parent: dict[str, str] = {}
        self._groups: dict[str, Group] = {}  # root -> group

    def add(self, account: str, key: str, kind: str) -> bool:
        """Give ``account`` the key; True when this joined two groups or grew one."""
        holders = self._holders.setdefault(key, [])
        holders.append(account)
        n, least = len(holders), self._least(kind)
        if n < least or n > self.settings.shared_infra_max_accounts:
            return False
        if n == least:  # the key starts to count: link every pair of its holders so far
            pairs = [(a, b) for i, a in enumerate(holders) for b in holders[i + 1 :]]
        else:
            pairs = [(other, account) for other in holders[:-1]]
        changed = False
        for a, b in pairs:
            changed |= self._link(a, b, kind)
        return changed

    def _least(self, kind: str) -> int:
        return self.settings.template_min_accounts if kind == "template" else 2

    def _link(self, a: str, b: str, kind: str) -> bool:
        if kind in COPYABLE and self.established(a) != self.established(b):
            return False
        pair = (min(a, b), max(a, b))
        weight, saturation = KINDS[kind]
        shared = self._shared.get((*pair, kind), 0)
        self._shared[(*pair, kind)] = shared + 1
        delta = weight * (min(1.0, (shared + 1) / saturation) - min(1.0, shared / saturation))
        before = self._weight.get(pair, 0.0)
        after = self._weight[pair] = before + delta
        if after < MIN_EDGE:
            return False
        added = after if before < MIN_EDGE else delta
        for member in pair:
            self.strength[member] = self.strength.get(member, 0.0) + added
        joined = self._union(*pair)
        if kind == "template":
            self._groups[self.find(a)].template_pairs += 1
        return joined

    def find(self, account: str) -> str:
        root = account
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        while account != root:  # path compression
            account, self._parent[account] = self._parent[account], root
        return root

    def _union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        ga = self._groups.pop(ra, None) or Group(f"live-{_digest(ra)}", {ra})
        gb = self._groups.pop(rb, None) or Group(f"live-{_digest(rb)}", {rb})
        big, small = (ga, gb) if len(ga.members) >= len(gb.members) else (gb, ga)
        root, other = (ra, rb) if big is ga else (rb, ra)
        self._parent[other] = root
        big.members |= small.members
        big.template_pairs += small.template_pairs
        big.judged_risk = max(big.judged_risk, small.judged_risk)
        big.pending += small.pending
        self._groups[root] = big
        return True

    def group(self, account: str) -> Group | None:
        return self._groups.get(self.find(account))


def judge_group(
    members: Sequence[str],
    evidence: dict[str, Evidence],
    strength: dict[str, float],
    template_pairs: int,
    stats: GroupStats | None = None,
    *,
    scorers: Sequence[AccountScorer],
    detectors: Sequence[ContentDetector],
    settings: Settings,
) -> tuple[float, list[Signal]]:
    """The group's campaign risk and signals, by the scan's own ``campaign_signals``."""
    rows = [evidence.get(m) or Evidence() for m in members]
    n = np.array([max(r.requests, 0) for r in rows], dtype=np.float64)
    safe = np.maximum(n, 1.0)
    columns = {"n_requests": n, "tool_call_share": np.array([r.tool_requests for r in rows]) / safe}
    for d in detectors:
        hits = np.array([r.hits.get(d.name, 0) for r in rows], dtype=np.float64)
        columns[f"{d.name}_hits"], columns[f"{d.name}_share"] = hits, hits / safe
    columns["age_at_first_request_hours"] = np.array([_age_hours(r) for r in rows])
    frame = AccountFrame(tuple(members), columns)
    index = np.arange(len(members), dtype=np.int64)
    links: dict[str, dict[str, object]] = {"template": {"pairs": template_pairs}} if template_pairs else {}
    community = Community(tuple(range(len(members))), {i: strength.get(m, 0.0) for i, m in enumerate(members)}, links)
    # Members' own evidence families, from the scorers that can read the running evidence (content, age).
    readable = [s for s in scorers if all(c in columns for c in s.reads)]
    families = [strong_families(sig, settings) for sig in own_signals(frame, readable)]
    context = _context(rows, settings)
    signals = campaign_signals(frame, index, families, community, stats, scorers, settings, context)
    return corroborate(signals, settings)


def _context(rows: Sequence[Evidence], settings: Settings) -> GroupContext:
    """Members' age and shared cards, as the scan's judge reads them (unknown age is not established)."""
    established = established_mask(np.array([_age_hours(r) for r in rows], dtype=np.float64), settings)
    cards: dict[str, int] = {}
    for r in rows:
        if r.fingerprint:
            cards[r.fingerprint] = cards.get(r.fingerprint, 0) + 1
    shared = np.array([r.fingerprint is not None and cards.get(r.fingerprint, 0) > 1 for r in rows])
    return GroupContext(
        established_share=float(established.mean()) if len(rows) else 0.0,
        young_card_share=float((shared & ~established).mean()) if len(rows) else 0.0,
    )


def merged_stream(times: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Gap CV and account alternation of the members' latest requests merged in time order.

    The scan's round-robin test (``detect.link.coordination``) over the last
    ``STREAM_WINDOW`` requests of the group; a CV of 1.0 (a Poisson stream's) when too few.
    """
    events = sorted((t, i) for i, member in enumerate(times) for t in member)[-STREAM_WINDOW:]
    if len(events) < 3:
        return 1.0, 0.0
    stamps = np.array([t for t, _ in events])
    owners = np.array([i for _, i in events])
    gaps = np.diff(stamps)
    mean = float(gaps.mean())
    cv = float(gaps.std(ddof=1)) / mean if mean > 0 else 1.0
    return cv, float(np.mean(owners[1:] != owners[:-1]))


def _age_hours(evidence: Evidence) -> float:
    if evidence.first_t is None or evidence.created_at is None:
        return float("nan")
    return (evidence.first_t - evidence.created_at) / 3600.0


class OnlineCampaigns:
    """Feeds every scored request to the link graph, judges the groups, and puts campaigns into shared state.

    A group judged at or above the scan's ``suspicious_threshold`` becomes a campaign:
    its members and its risk go to the state store exactly as a scan's seed would, so
    every member takes the campaign's risk from its next request on (and the policy
    blocks them all once that risk reaches the block rule). A group is judged again
    when it grows or after enough new requests from its members, not on every request.
    """

    def __init__(
        self,
        *,
        store: StateStore,
        detectors: Sequence[ContentDetector],
        scorers: Sequence[AccountScorer],
        settings: Settings | None = None,
        standing: Standing | None = None,
    ) -> None:
        self.store = store
        self.detectors = detectors
        self.scorers = scorers
        self.settings = settings or Settings()
        self.standing = standing or Standing(established_age_days=self.settings.established_age_days)
        self.evidence: dict[str, Evidence] = {}
        self.graph = LinkGraph(self.settings, established=lambda a: self._protected(a) is not None)

    async def observe(self, identity: Identity, obs: Observation, score: Score, tool_calls: int) -> None:
        """Learn what this scored request shows and links; re-judge its group when due."""
        account = identity.account_id
        evidence = self.evidence.get(account)
        if evidence is None:
            evidence = self.evidence[account] = Evidence(
                created_at=identity.created_at, fingerprint=identity.payment_fingerprint
            )
        evidence.add(obs, score, self.detectors, tool_calls)
        evidence.protected = self.standing.protection(identity, obs.ts)
        changed = self._link(account, evidence, identity, obs)
        group = self.graph.group(account)
        if group is None or len(group.members) < MIN_GROUP:
            return
        group.pending += 1
        if changed or group.pending >= max(3, len(group.members) // 4):
            await self._judge(group)

    def _link(self, account: str, evidence: Evidence, identity: Identity, obs: Observation) -> bool:
        changed = False
        for key, kind in link_keys(identity, obs).items():
            if key not in evidence.keys:
                evidence.keys.add(key)
                changed |= self.graph.add(account, key, kind)
        templates, text = template_candidates(obs)
        for key, part in templates.items():
            if key in evidence.keys or not self._framed_enough(evidence, key, part, text):
                continue
            evidence.keys.add(key)
            changed |= self.graph.add(account, key, "template")
        return changed

    def _framed_enough(self, evidence: Evidence, key: str, part: str, text: str) -> bool:
        """A system prompt counts at once; a user head or tail once it framed enough distinct prompts."""
        if part == "system":
            return True
        texts = evidence.variants.setdefault(key, set())
        texts.add(text)
        if len(texts) >= self.settings.template_min_variants_per_account:
            del evidence.variants[key]
            return True
        if len(evidence.variants) > MAX_PENDING_TEMPLATES:
            del evidence.variants[next(iter(evidence.variants))]
        return False

    def _stats(self, members: list[str]) -> GroupStats:
        """The scan's coordination measurements: merged stream timing, and the breadth of the top template."""
        holders: dict[str, int] = {}
        for m in members:
            for key in self.evidence[m].keys:
                if key.startswith("template:"):
                    holders[key] = holders.get(key, 0) + 1
        requests = sum(self.evidence[m].requests for m in members)
        cv, alternation = merged_stream([self.evidence[m].times for m in members])
        shared = sum(1 for n in holders.values() if n >= 2)
        return GroupStats(requests, cv, alternation, max(holders.values(), default=0), shared)

    async def _judge(self, group: Group) -> None:
        members = sorted(group.members)
        risk, signals = judge_group(
            members,
            self.evidence,
            self.graph.strength,
            group.template_pairs,
            self._stats(members),
            scorers=self.scorers,
            detectors=self.detectors,
            settings=self.settings,
        )
        group.pending = 0
        news = risk >= group.judged_risk + 0.005 or len(members) > group.pushed
        if risk < self.settings.suspicious_threshold or not news:
            return  # not a campaign (the scan's rule), or nothing new to tell the store
        group.judged_risk, group.pushed = max(risk, group.judged_risk), len(members)
        risk = group.judged_risk
        why = "; ".join(s.describe() for s in sorted(signals, key=lambda s: -s.weight)[:3])
        log.info("campaign %s: %d linked accounts judged at risk %.3f (%s)", group.group_id, len(members), risk, why)
        implicated = [m for m in members if self._implicated(m)]
        cards = {fp: group.group_id for m in implicated if (fp := self.evidence[m].fingerprint)}
        await self.store.seed(Seed({m: (risk, group.group_id) for m in implicated}, {group.group_id: risk}, cards))

    def _protected(self, account: str) -> str | None:
        evidence = self.evidence.get(account)
        return evidence.protected if evidence is not None else None

    def _implicated(self, account: str) -> bool:
        """A protected member is not marked with the campaign unless its own requests were flagged."""
        return self._protected(account) is None or self.evidence[account].risk >= self.settings.suspicious_threshold
