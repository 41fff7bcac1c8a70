"""Combine scorer signals and linked communities into verdicts and campaigns.

Risk is a noisy-OR of signal weights: ``risk = 1 - prod(1 - w)``. An account's
own risk comes from its own signals. A community of linked accounts is judged
as a whole by the same rule over campaign-level signals; when it is judged a
campaign, each member's risk rises to the campaign's risk scaled by how
strongly the member is linked into it, so an account with 20 requests inside a
1,000-account campaign is caught even though it looks small on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillshield.db import query_arrow, registered
from distillshield.detect.link.base import Linker, LinkPairs
from distillshield.detect.link.coordination import GroupStats, group_stats
from distillshield.detect.link.graph import Community, LinkRules, find_communities
from distillshield.detect.model import SHIPPED, DetectionModel
from distillshield.detect.rules import Rule, rule_signals
from distillshield.detect.scorers.base import AccountScorer
from distillshield.detect.scorers.behaviour import round_the_clock
from distillshield.detect.verdict import (
    below_distiller,
    corroborate,
    families_note,
    noisy_or,
    note,
    strong_families,
    verdict_for,
)
from distillshield.engines import Connection
from distillshield.engines.spark import SparkEngine
from distillshield.features.frame import AccountFrame
from distillshield.progress import SILENT, Progress
from distillshield.records import FAMILIES, Campaign, Signal, Verdict
from distillshield.settings import Settings

CAMPAIGN_SOURCE = "detect.engine.campaign"

__all__ = [
    "DetectionResult",
    "ExternalEvidence",
    "Gathered",
    "Judged",
    "detect",
    "gather",
    "judge",
    "noisy_or",
    "own_signals",
    "results",
    "verdict_for",
]


@dataclass(frozen=True, slots=True)
class ExternalEvidence:
    """Evidence about accounts that does not come from the log itself."""

    signals: Mapping[str, Sequence[Signal]] = field(default_factory=dict)
    links: Sequence[LinkPairs] = ()
    #: Accounts of one known organisation (account id -> organisation name): not linked to each other.
    units: Mapping[str, str] = field(default_factory=dict)
    #: Accounts that links alone never make distillers (verified or enterprise organisations).
    protected: frozenset[str] = frozenset()
    #: Analyst-confirmed benign accounts -> the risk they had when confirmed: they stay benign until their
    #: own risk rises past it.
    confirmed: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupContext:
    """What the judge of a group knows about its members beyond their features."""

    #: Share of members at least ``established_age_days`` old.
    established_share: float = 0.0
    #: Share of members that are not established and share a payment card with another member: a farm
    #: funds new accounts from a few virtual cards, a lab's grant card pays for accounts months old.
    young_card_share: float = 0.0
    #: Share of members that are not established, share a network with another member and run round the
    #: clock: one machine-driven workload split over new keys. A person keeps a daily rhythm, and colleagues
    #: behind one office or campus network keep theirs; a farm's workers do not sleep.
    young_fleet_share: float = 0.0


@dataclass(frozen=True, slots=True)
class DetectionResult:
    verdicts: list[Verdict]
    campaigns: list[Campaign]


def established_mask(age_hours: npt.NDArray[np.float64], settings: Settings) -> npt.NDArray[np.bool_]:
    """Whether each account was at least ``established_age_days`` old at its first request (unknown age,
    NaN, is not): the one definition the scan and the gateway's online judge share."""
    mask: npt.NDArray[np.bool_] = np.nan_to_num(age_hours, nan=-1.0) >= settings.established_age_days * 24
    return mask


def established_accounts(frame: AccountFrame, settings: Settings) -> frozenset[int]:
    """Row indices of the established accounts (:func:`established_mask`)."""
    return frozenset(int(i) for i in np.flatnonzero(established_mask(frame["age_at_first_request_hours"], settings)))


def link_rules(
    frame: AccountFrame, linkers: Sequence[Linker], settings: Settings, units: Mapping[str, str]
) -> LinkRules:
    index = {a: i for i, a in enumerate(frame.account_ids)}
    established = established_accounts(frame, settings)
    age_days = frame["age_at_first_request_hours"] / 24
    return LinkRules(
        established=established,
        copyable=frozenset(linker.kind for linker in linkers if linker.copyable),
        unit={index[a]: unit for a, unit in units.items() if a in index},
        age_days={i: float(age_days[i]) for i in established},
        age_ratio=settings.copyable_age_ratio,
    )


def own_signals(frame: AccountFrame, scorers: list[AccountScorer]) -> list[list[Signal]]:
    per_account: list[list[Signal]] = [[] for _ in range(len(frame))]
    for scorer in scorers:
        for i, signal in scorer.signals(frame):
            per_account[i].append(signal)
    return per_account


#: Columns that add up across accounts, and shares recomputed from them, for judging a group as a whole.
_SUMMED = ("n_requests",)


def group_frame(frame: AccountFrame, members: npt.NDArray[np.int64], label: str) -> AccountFrame:
    """One row for the whole group: summed counts, shares over the summed requests."""
    n = frame["n_requests"][members]
    total = float(n.sum()) or 1.0
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for name, values in frame.columns.items():
        if name in _SUMMED or name.endswith("_hits"):
            columns[name] = np.array([float(values[members].sum())])
        elif name.endswith("_share"):
            columns[name] = np.array([float((values[members] * n).sum()) / total])
    return AccountFrame((label,), columns)


def campaign_signals(
    frame: AccountFrame,
    members: npt.NDArray[np.int64],
    member_families: Sequence[tuple[str, ...]],
    community: Community,
    stats: GroupStats | None,
    scorers: Sequence[AccountScorer],
    settings: Settings,
    context: GroupContext | None = None,
) -> list[Signal]:
    """Signals about the group as a whole, separating observed facts from inferences."""
    context = context or GroupContext()
    signals = coordination_signals(stats, len(members), context.established_share) if stats else []
    signals += member_family_signals(members, member_families)
    group = group_frame(frame, members, "group")
    # A pool spreads its asks thin, so a group is tested against a lower alternative rate; one
    # organisation's members are people, each judged at an account's rate, and so is their sum.
    organisation = looks_like_organisation(signals, community, context.established_share)
    for scorer in scorers:
        if scorer.judges_groups:
            judged = scorer.signals(group) if organisation else scorer.group_signals(group)
            signals += [signal for _, signal in judged]
    age = np.nan_to_num(frame["age_at_first_request_hours"][members], nan=1e9)
    fresh = float(np.mean(age <= 48))
    if fresh >= 0.5:
        signals.append(
            Signal(
                CAMPAIGN_SOURCE,
                "fresh_member_share",
                fresh,
                0.35 * fresh,
                detail="share of members whose first request came within 48 h of sign-up",
                family="infrastructure",
            )
        )
    if "template" in community.links:
        signals.append(
            Signal(
                CAMPAIGN_SOURCE,
                "shared_template_pairs",
                float(_pairs(community, "template")),
                0.15,
                detail="member pairs sending the same prompt template",
                family="coordination",
            )
        )
    if len(members) >= settings.fleet_min_members and context.young_fleet_share >= 0.5:
        signals.append(
            Signal(
                CAMPAIGN_SOURCE,
                "round_the_clock_fleet",
                context.young_fleet_share,
                0.5 * context.young_fleet_share,
                detail="share of members, none established, on a network another member uses and active round "
                "the clock with no daily rhythm: one machine-driven workload split over new keys",
                family="volume",
            )
        )
    if context.young_card_share > 0:
        signals.append(
            Signal(
                CAMPAIGN_SOURCE,
                "young_shared_card",
                context.young_card_share,
                0.45 * context.young_card_share,
                detail="share of members, none of them established, paying with a card another member uses",
                family="infrastructure",
            )
        )
    return organisation_view(signals, context.established_share) if organisation else signals


#: Link kinds only an insider shares (a card, a network): what holds an organisation together.
FIRM_KINDS = frozenset({"payment", "network"})


def organisation_view(signals: list[Signal], established_share: float) -> list[Signal]:
    """The signals of a group that looks like one organisation (:func:`looks_like_organisation`), whose
    sharing is not evidence of coordination.

    Lab mates and colleagues share a card, a /24 and the wrappers their benchmark harness adds, and
    their accounts are months old; a farm's accounts are new. So the coordination family is set aside (the
    trace says so): the members' own evidence, their content and their infrastructure still count, but
    sharing is not the second family. A pool of aged accounts with cards and lines of their own is held
    together by what it sends, not by firm links, so it keeps its coordination evidence.
    """
    kept = [s for s in signals if s.family != "coordination"]
    why = (
        f"{established_share:.0%} of members established, held together by shared card or network, no "
        "load-balanced stream: looks like one organisation, so coordination evidence is set aside"
    )
    return [*kept, note(CAMPAIGN_SOURCE, "organisation", established_share, why)]


def looks_like_organisation(signals: Sequence[Signal], community: Community, established_share: float) -> bool:
    """Mostly established members, held together by firm links (card, network), with no load-balanced stream.

    Held together: firm links make at least half of the group's links, or at least half of the members have
    a firm link inside the group. The second reading covers several labs that each share a grant card and a
    /24, joined to one another only by the public benchmark prompt they all send.
    """
    round_robin = any(s.name == "merged_gap_cv" for s in signals)
    if established_share < 0.75 or round_robin:
        return False
    pairs = {kind: _pairs(community, kind) for kind in community.links}
    firm = sum(n for kind, n in pairs.items() if kind in FIRM_KINDS)
    firm_members = float(np.mean([bool(community.kinds_of(i) & FIRM_KINDS) for i in community.members]))
    return firm >= 0.5 * max(sum(pairs.values()), 1) or firm_members >= 0.5


def member_family_signals(members: npt.NDArray[np.int64], member_families: Sequence[tuple[str, ...]]) -> list[Signal]:
    """Per evidence family, the share of members with strong evidence of it on their own.

    Each counts in its own family: members flagged on content alone make the group's content evidence,
    not evidence of coordination, so a lab whose members each ask for steps is not corroborated by
    sharing a card.
    """
    signals = []
    for family in FAMILIES:
        share = float(np.mean([family in member_families[i] for i in members]))
        if share > 0:
            signals.append(
                Signal(
                    CAMPAIGN_SOURCE,
                    f"members_{family}",
                    share,
                    0.9 * share,
                    observed=False,
                    detail=f"share of members with strong {family} evidence of their own",
                    family=family,
                )
            )
    return signals


def coordination_signals(stats: GroupStats, size: int, established_share: float = 0.0) -> list[Signal]:
    """Round-robin timing and template breadth (see :mod:`distillshield.detect.link.coordination`)."""
    signals = []
    if stats.requests >= 100 and stats.merged_gap_cv < 0.5 and stats.alternation >= 0.8:
        signals.append(
            Signal(
                CAMPAIGN_SOURCE,
                "merged_gap_cv",
                stats.merged_gap_cv,
                # One stream spread over accounts is itself evasion of per-account limits: weighty.
                0.75 * min(1.0, (0.5 - stats.merged_gap_cv) / 0.3),
                detail=f"members' merged requests arrive on a fixed cadence, {stats.alternation:.0%} alternating "
                "accounts (round-robin load balancing; independent users give a CV near 1)",
                family="coordination",
            )
        )
    if stats.template_members >= 5:
        signals.append(_template_breadth(stats, size, established_share))
    return signals


def _template_breadth(stats: GroupStats, size: int, established_share: float) -> Signal:
    """One instruction block sent by most of a group is coordination; by a few members of a big group
    it is a popular wrapper. Five senders are the least that count (template_min_accounts), ten the full
    weight. Long-standing customers who share one block and nothing else are most often users of one
    framework's or vendor's default prompt, so that case counts half; a pool working from one prompt set
    shares several blocks, and a farm's accounts are new."""
    share = stats.template_members / max(size, 1)
    weight = 0.6 * share * min(1.0, (stats.template_members - 2) / 8)
    one_default_prompt = stats.shared_templates < 2 and established_share >= 0.75
    if one_default_prompt:
        weight *= 0.5
    why = " (one block among long-standing customers: a common default prompt, counted half)"
    return Signal(
        CAMPAIGN_SOURCE,
        "template_members",
        float(stats.template_members),
        weight,
        detail=f"members sending the group's most shared instruction block ({share:.0%} of the group)"
        + (why if one_default_prompt else ""),
        family="coordination",
    )


def _pairs(community: Community, kind: str) -> int:
    value = community.links[kind]["pairs"]
    return value if isinstance(value, int) else 0


@dataclass(frozen=True, slots=True)
class Gathered:
    """What detection reads off the log and the graph before weighing anything: the model-free half.

    :func:`judge` turns it into verdicts under a :class:`DetectionModel`; ``learn`` gathers once and judges
    many candidate models, since gathering (SQL linkers, group statistics) costs most of the time.
    """

    frame: AccountFrame
    #: Per account: its own scorer, rule and external signals, unweighed.
    signals: tuple[tuple[Signal, ...], ...]
    communities: list[Community]
    stats: dict[int, GroupStats]
    established: frozenset[int]
    external: ExternalEvidence


@dataclass(frozen=True, slots=True)
class Judged:
    """Risks and traces of every account, and the communities judged campaigns, under one model."""

    risk: npt.NDArray[np.float64]
    #: Own risk (own signals, corroborated, before campaigns): what a dismissal is remembered at.
    own_risk: npt.NDArray[np.float64]
    signals: list[list[Signal]]
    campaign_of: dict[int, str]
    campaigns: list[tuple[str, Community, float, list[Signal]]]


def gather(
    con: Connection,
    frame: AccountFrame,
    scorers: Sequence[AccountScorer],
    linkers: Sequence[Linker],
    settings: Settings,
    progress: Progress = SILENT,
    rules: Sequence[Rule] = (),
    external: ExternalEvidence | None = None,
) -> Gathered:
    """Every account's own signals, the communities linking them and each community's statistics."""
    task = progress.task("Scoring and linking accounts", total=2)
    external = external or ExternalEvidence()
    signals = own_signals(frame, list(scorers))
    fired = rule_signals(con, rules)
    for i, account_id in enumerate(frame.account_ids):
        signals[i] += fired.get(account_id, []) + list(external.signals.get(account_id, ()))
    task.advance()
    joining = link_rules(frame, list(linkers), settings, external.units)
    communities = _link(con, frame, list(linkers), settings, external, joining)
    stats = group_stats(con, frame.account_ids, communities)
    task.advance()
    task.close()
    return Gathered(frame, tuple(tuple(s) for s in signals), communities, stats, joining.established, external)


def judge(
    gathered: Gathered, scorers: Sequence[AccountScorer], settings: Settings, model: DetectionModel = SHIPPED
) -> Judged:
    """Weigh the gathered evidence under ``model`` (its scales, thresholds and dismissed accounts).

    ``settings`` are taken as they are: the caller applies :meth:`DetectionModel.settings` (scan does).
    """
    frame = gathered.frame
    signals = [[model.weigh(s) for s in sig] for sig in gathered.signals]
    own_risk = np.zeros(len(signals))
    for i, sig in enumerate(signals):
        own_risk[i], signals[i] = corroborate(sig, settings)
    member_families = [strong_families(sig, settings) for sig in signals]
    risk, campaign_of, judged = _judge_communities(
        frame,
        gathered.communities,
        gathered.stats,
        own_risk,
        member_families,
        signals,
        scorers,
        settings,
        gathered.established,
        model,
    )
    _honour_known_accounts(frame, gathered.external, own_risk, risk, signals, settings, model)
    for i, sig in enumerate(signals):
        if risk[i] >= settings.distiller_threshold and (named := families_note(sig, settings)) is not None:
            sig.append(named)
    return Judged(risk, own_risk, signals, campaign_of, judged)


def detect(
    con: Connection,
    frame: AccountFrame,
    scorers: list[AccountScorer],
    linkers: list[Linker],
    settings: Settings,
    progress: Progress = SILENT,
    rules: Sequence[Rule] = (),
    external: ExternalEvidence | None = None,
    model: DetectionModel = SHIPPED,
) -> DetectionResult:
    """Verdicts for every account of ``frame`` and the campaigns found among them.

    ``external`` carries evidence from outside the log, such as a partner's
    intelligence matched against it: signals per account and groups to link.
    ``model`` is a learned overlay (:mod:`distillshield.detect.model`); its
    thresholds are expected in ``settings`` already.
    """
    gathered = gather(con, frame, scorers, linkers, settings, progress, rules, external)
    judged = judge(gathered, scorers, settings, model)
    return results(con, gathered, judged, settings, model)


def results(
    con: Connection, gathered: Gathered, judged: Judged, settings: Settings, model: DetectionModel = SHIPPED
) -> DetectionResult:
    """Verdict and campaign records of one judgement (campaign volumes are read from the log)."""
    frame, risk = gathered.frame, judged.risk
    marked = model is not SHIPPED
    verdicts = [
        Verdict(
            a,
            round(float(risk[i]), 4),
            verdict_for(float(risk[i]), settings),
            judged.campaign_of.get(i),
            tuple([model.note(), *judged.signals[i]] if marked else judged.signals[i]),
        )
        for i, a in enumerate(frame.account_ids)
    ]
    campaigns = _campaign_records(con, frame, judged.campaigns, risk)
    if marked:
        campaigns = [_marked(c, model) for c in campaigns]
    return DetectionResult(verdicts, campaigns)


def _marked(campaign: Campaign, model: DetectionModel) -> Campaign:
    """The campaign with the model named in its evidence (``model``: the file's SHA-256)."""
    evidence = dict(campaign.evidence)
    signals = evidence.get("signals")
    evidence["signals"] = [_signal_json(model.note()), *(signals if isinstance(signals, list) else [])]
    evidence["model"] = model.digest
    return replace(campaign, evidence=evidence)


def _link(
    con: Connection,
    frame: AccountFrame,
    linkers: list[Linker],
    settings: Settings,
    external: ExternalEvidence,
    joining: LinkRules,
) -> list[Community]:
    """The linked communities: on Spark where the pairs are (see ``detect.link.spark``), else in this process."""
    if isinstance(con, SparkEngine) and not external.links:
        # Imported here: the Spark engine's linking needs igraph on the executors, and pyspark.
        from distillshield.detect.link.spark import spark_communities

        return spark_communities(con, frame.account_ids, linkers, settings, joining)
    link_sets = [linker.pairs(con, settings) for linker in linkers] + list(external.links)
    saturation = {linker.kind: linker.saturation for linker in linkers}
    return find_communities(frame.account_ids, link_sets, saturation, rules=joining)


def _judge_communities(
    frame: AccountFrame,
    communities: list[Community],
    stats: dict[int, GroupStats],
    own_risk: npt.NDArray[np.float64],
    member_families: Sequence[tuple[str, ...]],
    signals: list[list[Signal]],
    scorers: Sequence[AccountScorer],
    settings: Settings,
    established: frozenset[int],
    model: DetectionModel = SHIPPED,
) -> tuple[npt.NDArray[np.float64], dict[int, str], list[tuple[str, Community, float, list[Signal]]]]:
    risk = own_risk.copy()
    campaign_of: dict[int, str] = {}
    judged: list[tuple[Community, float, list[Signal]]] = []
    clock = round_the_clock(frame)
    for k, community in enumerate(communities):
        members = np.array(community.members, dtype=np.int64)
        context = GroupContext(
            established_share=float(np.mean([i in established for i in community.members])),
            young_card_share=_young_share_linked_by(community, established, "payment"),
            young_fleet_share=_young_share_linked_by(community, established, "network", where=clock),
        )
        raw = campaign_signals(frame, members, member_families, community, stats.get(k), scorers, settings, context)
        group_risk, group_signals = corroborate([model.weigh(s) for s in raw], settings)
        if group_risk >= settings.suspicious_threshold:
            judged.append((community, group_risk, group_signals))
    judged.sort(key=lambda item: (-len(item[0].members), frame.account_ids[item[0].members[0]]))
    named = []
    for number, (community, group_risk, group_signals) in enumerate(judged, start=1):
        campaign_id = f"C{number:04d}"
        named.append((campaign_id, community, group_risk, group_signals))
        families = "+".join(strong_families(group_signals, settings)) or "none"
        for i in community.members:
            strength = min(1.0, community.strength[i])
            inherited = group_risk * strength
            campaign_of[i] = campaign_id
            signals[i].append(
                Signal(
                    CAMPAIGN_SOURCE,
                    "campaign_member",
                    campaign_id,
                    inherited,
                    observed=False,
                    detail=f"linked into a campaign judged at risk {group_risk:.2f} on {families} evidence",
                    family="coordination",
                )
            )
            risk[i] = max(risk[i], inherited)
    return risk, campaign_of, named


def _young_share_linked_by(
    community: Community, established: frozenset[int], kind: str, where: npt.NDArray[np.bool_] | None = None
) -> float:
    """Share of members that are not established and hold a ``kind`` link inside the group (and, given
    ``where``, for which it is true)."""
    return float(
        np.mean(
            [
                i not in established and kind in community.kinds_of(i) and (where is None or bool(where[i]))
                for i in community.members
            ]
        )
    )


def _honour_known_accounts(
    frame: AccountFrame,
    external: ExternalEvidence,
    own_risk: npt.NDArray[np.float64],
    risk: npt.NDArray[np.float64],
    signals: list[list[Signal]],
    settings: Settings,
    model: DetectionModel = SHIPPED,
) -> None:
    """Apply what the provider knows: protected accounts are not made distillers by links, confirmed
    benign accounts stay benign while their own risk stays at or under the risk they were confirmed at.

    Accounts the model remembers as dismissed count as confirmed benign at the risk they were dismissed at."""
    confirmed = {**external.confirmed, **model.dismissed}
    for i, account_id in enumerate(frame.account_ids):
        unit = external.units.get(account_id)
        if unit is not None:
            signals[i].append(
                note(CAMPAIGN_SOURCE, "known_organisation", unit, "member of a known organisation: not linked to it")
            )
        if account_id in external.protected and risk[i] > own_risk[i]:
            capped = min(risk[i], max(own_risk[i], below_distiller(settings)))
            if capped < risk[i]:
                risk[i] = capped
                signals[i].append(
                    note(
                        CAMPAIGN_SOURCE,
                        "protected",
                        unit or account_id,
                        "links alone never make this account a distiller",
                    )
                )
        if account_id in confirmed:
            confirmed_at = confirmed[account_id]
            if own_risk[i] <= confirmed_at:
                risk[i] = min(risk[i], max(0.0, settings.suspicious_threshold - 1e-4))
                signals[i].append(
                    note(CAMPAIGN_SOURCE, "confirmed_benign", confirmed_at, "an analyst confirmed this account benign")
                )
            else:
                signals[i].append(
                    note(
                        CAMPAIGN_SOURCE,
                        "confirmed_benign_lapsed",
                        confirmed_at,
                        f"own risk {own_risk[i]:.2f} rose past the confirmed risk",
                    )
                )


def _campaign_records(
    con: Connection,
    frame: AccountFrame,
    judged: list[tuple[str, Community, float, list[Signal]]],
    risk: npt.NDArray[np.float64],
) -> list[Campaign]:
    if not judged:
        return []
    membership = pa.table(
        {
            "account_id": [frame.account_ids[i] for _, c, _, _ in judged for i in c.members],
            "campaign_id": [cid for cid, c, _, _ in judged for _ in c.members],
        }
    )
    volume = _campaign_volume(con, membership)
    campaigns = []
    for campaign_id, community, group_risk, group_signals in judged:
        stats = volume[campaign_id]
        evidence: dict[str, object] = {
            "links": community.links,
            "signals": [_signal_json(s) for s in group_signals],
            **{k: v for k, v in stats.items() if k not in ("first_seen", "last_seen", "requests")},
        }
        campaigns.append(
            Campaign(
                campaign_id,
                tuple(frame.account_ids[i] for i in community.members),
                round(group_risk, 4),
                _as_datetime(stats["first_seen"]),
                _as_datetime(stats["last_seen"]),
                int(str(stats["requests"])),
                evidence,
            )
        )
    return campaigns


_VOLUME_SQL = """
SELECT m.campaign_id, min(r.ts) AS first_seen, max(r.ts) AS last_seen, count(*) AS requests,
       CAST(sum(coalesce(r.prompt_tokens, 0)) AS BIGINT) AS prompt_tokens,
       CAST(sum(coalesce(r.completion_tokens, 0)) AS BIGINT) AS completion_tokens,
       CAST(sum(coalesce(r.reasoning_tokens, 0)) AS BIGINT) AS reasoning_tokens
FROM requests r JOIN campaign_membership m USING (account_id)
GROUP BY m.campaign_id
"""

#: Models per campaign as rows: an ordered distinct list() aggregate has no portable spelling.
_MODELS_SQL = """
SELECT DISTINCT m.campaign_id, r.model
FROM requests r JOIN campaign_membership m USING (account_id)
WHERE r.model IS NOT NULL
"""


def _campaign_volume(con: Connection, membership: pa.Table) -> dict[str, dict[str, object]]:
    with registered(con, "campaign_membership", membership):
        rows = query_arrow(con, _VOLUME_SQL).to_pylist()
        models = query_arrow(con, _MODELS_SQL).to_pylist()
    by_campaign: dict[str, list[str]] = defaultdict(list)
    for row in sorted(models, key=lambda r: str(r["model"])):
        by_campaign[str(row["campaign_id"])].append(str(row["model"]))
    out: dict[str, dict[str, object]] = defaultdict(dict)
    for row in rows:
        campaign_id = str(row.pop("campaign_id"))
        out[campaign_id] = {**row, "models": by_campaign[campaign_id]}
    return out


def _as_datetime(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp, got {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _signal_json(signal: Signal) -> dict[str, object]:
    return {
        "source": signal.source,
        "name": signal.name,
        "value": signal.value,
        "weight": round(signal.weight, 4),
        "observed": signal.observed,
        "detail": signal.detail,
    }
