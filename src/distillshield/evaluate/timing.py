"""Time to detect, per archetype, from a replay's outputs and the benchmark's labels.

Three figures answer the questions a provider asks of a detector's speed: how
many requests a distiller account had made when first flagged; for accounts that
joined a campaign already flagged, the same count (a new proxy account of a
known campaign); and per campaign, how many requests all its accounts had made
by the first flag on any of them (``campaign_time_to_detect.csv``, matched to the
archetype most of its accounts belong to).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from distillshield.errors import InputError, Location
from distillshield.evaluate.labels import DISTILLER, LabelRow
from distillshield.report.contract import iter_csv

ACCOUNT_COLUMNS = ("account_id", "campaign_id", "first_flagged_at", "requests_at_flag", "joined_known_campaign")
CAMPAIGN_COLUMNS = ("campaign_id", "campaign_requests_at_flag")


@dataclass(frozen=True, slots=True)
class Flag:
    """One account's row of ``time_to_detect.csv``."""

    campaign_id: str | None
    requests_at_flag: int | None
    joined_known: bool


@dataclass(frozen=True, slots=True)
class TimeToDetect:
    """Per distiller archetype: how many were flagged and how many requests they had made by then."""

    archetype: str
    accounts: int
    flagged: int
    median_requests_at_flag: float | None
    max_requests_at_flag: int | None
    joined_known: int
    joined_max_requests_at_flag: int | None
    campaign_requests_at_flag: int | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def read_flags(path: Path) -> dict[str, Flag]:
    flags = {}
    for line, raw in iter_csv(path, ACCOUNT_COLUMNS, exact=False):
        flags[raw["account_id"]] = Flag(
            raw["campaign_id"] or None,
            _optional_int(raw["requests_at_flag"], Location(path, line, "requests_at_flag")),
            raw["joined_known_campaign"] == "True",
        )
    return flags


def read_campaign_flags(path: Path) -> dict[str, int | None]:
    return {
        raw["campaign_id"]: _optional_int(
            raw["campaign_requests_at_flag"], Location(path, line, "campaign_requests_at_flag")
        )
        for line, raw in iter_csv(path, CAMPAIGN_COLUMNS, exact=False)
    }


def _optional_int(text: str, where: Location) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{text!r} is not a whole number", where) from None


def time_to_detect(
    labels: Sequence[LabelRow], flags: Mapping[str, Flag], campaign_flags: Mapping[str, int | None]
) -> list[TimeToDetect]:
    """One row per distiller archetype of ``labels``."""
    by_archetype: dict[str, list[LabelRow]] = defaultdict(list)
    for row in labels:
        if row.label == DISTILLER:
            by_archetype[row.archetype].append(row)
    majority = _campaign_archetypes(labels, flags)
    return [
        _archetype(name, rows, flags, [n for c, n in campaign_flags.items() if majority.get(c) == name])
        for name, rows in sorted(by_archetype.items())
    ]


def _campaign_archetypes(labels: Sequence[LabelRow], flags: Mapping[str, Flag]) -> dict[str, str]:
    """The archetype most accounts of each predicted campaign belong to."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for row in labels:
        flag = flags.get(row.account_id)
        if flag and flag.campaign_id:
            votes[flag.campaign_id][row.archetype] += 1
    return {campaign: counts.most_common(1)[0][0] for campaign, counts in votes.items()}


def _archetype(
    name: str, rows: list[LabelRow], flags: Mapping[str, Flag], campaign_counts: list[int | None]
) -> TimeToDetect:
    found = [flags[r.account_id] for r in rows if r.account_id in flags]
    counts = [f.requests_at_flag for f in found if f.requests_at_flag is not None]
    joined = [f.requests_at_flag for f in found if f.joined_known and f.requests_at_flag is not None]
    campaign = [n for n in campaign_counts if n is not None]
    return TimeToDetect(
        name,
        len(rows),
        len(counts),
        statistics.median(counts) if counts else None,
        max(counts) if counts else None,
        len(joined),
        max(joined) if joined else None,
        max(campaign) if campaign else None,
    )
