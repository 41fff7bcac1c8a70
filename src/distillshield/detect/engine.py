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
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillshield.db import query_arrow, registered
from distillshield.detect.link.base import Linker, LinkPairs
from distillshield.detect.link.coordination import GroupStats, group_stats
from distillshield.detect.link.graph import Community, find_communities
from distillshield.detect.rules import Rule, rule_signals
from distillshield.detect.scorers.base import AccountScorer
from distillshield.engines import Connection
from distillshield.features.frame import AccountFrame
from distillshield.progress import SILENT, Progress
from distillshield.records import Campaign, Signal, Verdict
from distillshield.settings import Settings

CAMPAIGN_SOURCE = "detect.engine.campaign"


@dataclass(frozen=True, slots=True)
class ExternalEvidence:
    """Evidence about accounts that does not come from the log itself."""

    signals: Mapping[str, Sequence[Signal]] = field(default_factory=dict)
    links: Sequence[LinkPairs] = ()


@dataclass(frozen=True, slots=True)
class DetectionResult:
    verdicts: list[Verdict]
    campaigns: list[Campaign]


def noisy_or(weights: Sequence[float]) -> float:
    """``1 - prod(1 - w)``: 0 with no signal, near 1 with one strong or many weak signals."""
    keep = 1.0
    for w in weights:
        keep *= 1.0 - min(max(w, 0.0), 1.0)
    return 1.0 - keep


def verdict_for(risk: float, settings: Settings) -> str:
    if risk >= settings.distiller_threshold:
        return "distiller"
    if risk >= settings.suspicious_threshold:
        return "suspicious"
    return "benign"


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
    own_risk: npt.NDArray[np.float64],
    community: Community,
    stats: GroupStats | None,
    scorers: Sequence[AccountScorer],
    settings: Settings,
) -> list[Signal]:
    """Signals about the group as a whole, separating observed facts from inferences."""
    signals = coordination_signals(stats) if stats else []
    flagged = float(np.mean(own_risk[members] >= settings.suspicious_threshold))
    if flagged > 0:
        signals.append(
            Signal(
                CAMPAIGN_SOURCE,
                "members_flagged_share",
                flagged,
                0.9 * flagged,
                observed=False,
                detail="share of members suspicious on their own evidence",
            )
        )
    group = group_frame(frame, members, "group")
    for scorer in scorers:
        if scorer.judges_groups:
            signals += [signal for _, signal in scorer.signals(group)]
    age = np.nan_to_num(frame["age_at_first_request_hours"][members], nan=1e9)
    fresh = float(np.mean(age <= 48))
    if fresh >= 0.5:
        signals.append(
            Signal(
                CAMPAIGN_SOURCE,
                "fresh_member_share",
                fresh,
                0.2 * fresh,
                detail="share of members whose first request came within 48 h of sign-up",
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
            )
        )
    return signals


def coordination_signals(stats: GroupStats) -> list[Signal]:
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
            )
        )
    if stats.template_members > 5:
        signals.append(
            Signal(
                CAMPAIGN_SOURCE,
                "template_members",
                float(stats.template_members),
                0.6 * min(1.0, (stats.template_members - 5) / 45),
                detail="members sending the group's most shared prompt template",
            )
        )
    return signals


def _pairs(community: Community, kind: str) -> int:
    value = community.links[kind]["pairs"]
    return value if isinstance(value, int) else 0


def detect(
    con: Connection,
    frame: AccountFrame,
    scorers: list[AccountScorer],
    linkers: list[Linker],
    settings: Settings,
    progress: Progress = SILENT,
    rules: Sequence[Rule] = (),
    external: ExternalEvidence | None = None,
) -> DetectionResult:
    """Verdicts for every account of ``frame`` and the campaigns found among them.

    ``external`` carries evidence from outside the log, such as a partner's
    intelligence matched against it: signals per account and groups to link.
    """
    task = progress.task("Scoring and linking accounts", total=3)
    external = external or ExternalEvidence()
    signals = own_signals(frame, scorers)
    fired = rule_signals(con, rules)
    for i, account_id in enumerate(frame.account_ids):
        signals[i] += fired.get(account_id, []) + list(external.signals.get(account_id, ()))
    own_risk = np.array([noisy_or([s.weight for s in sig]) for sig in signals])
    task.advance()
    link_sets = [linker.pairs(con, settings) for linker in linkers] + list(external.links)
    saturation = {linker.kind: linker.saturation for linker in linkers}
    communities = find_communities(frame.account_ids, link_sets, saturation)
    task.advance()
    stats = group_stats(con, frame.account_ids, communities)
    risk, campaign_of, judged = _judge_communities(frame, communities, stats, own_risk, signals, scorers, settings)
    verdicts = [
        Verdict(
            a,
            round(float(risk[i]), 4),
            verdict_for(float(risk[i]), settings),
            campaign_of.get(i),
            tuple(signals[i]),
        )
        for i, a in enumerate(frame.account_ids)
    ]
    campaigns = _campaign_records(con, frame, judged, risk)
    task.advance()
    task.close()
    return DetectionResult(verdicts, campaigns)


def _judge_communities(
    frame: AccountFrame,
    communities: list[Community],
    stats: dict[int, GroupStats],
    own_risk: npt.NDArray[np.float64],
    signals: list[list[Signal]],
    scorers: Sequence[AccountScorer],
    settings: Settings,
) -> tuple[npt.NDArray[np.float64], dict[int, str], list[tuple[str, Community, float, list[Signal]]]]:
    risk = own_risk.copy()
    campaign_of: dict[int, str] = {}
    judged: list[tuple[Community, float, list[Signal]]] = []
    for k, community in enumerate(communities):
        members = np.array(community.members, dtype=np.int64)
        group_signals = campaign_signals(frame, members, own_risk, community, stats.get(k), scorers, settings)
        group_risk = noisy_or([s.weight for s in group_signals])
        if group_risk >= settings.suspicious_threshold:
            judged.append((community, group_risk, group_signals))
    judged.sort(key=lambda item: (-len(item[0].members), frame.account_ids[item[0].members[0]]))
    named = []
    for number, (community, group_risk, group_signals) in enumerate(judged, start=1):
        campaign_id = f"C{number:04d}"
        named.append((campaign_id, community, group_risk, group_signals))
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
                    detail=f"linked into a campaign judged at risk {group_risk:.2f}",
                )
            )
            risk[i] = max(risk[i], inherited)
    return risk, campaign_of, named


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
