"""Stable identities across re-exports: a re-exported campaign is a new version, not a new object.

The state file remembers, for each STIX id we published, when it was created, its current
version and a digest of its content, plus each campaign's members as pseudonyms (never raw
ids). A later export reuses the id of the earlier campaign its members overlap most, keeps
``created``, and moves ``modified`` forward only when the content changed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from distillshield.errors import InputError, Location

#: Campaign members must overlap at least this much (Jaccard) for a re-export to reuse the id.
MIN_OVERLAP = 0.3
_VOLATILE = ("created", "modified", "published")


def stable_id(stix_type: str, *parts: str) -> str:
    """A deterministic id for ``parts``, shaped as a UUIDv4 as STIX asks of SDOs and SROs.

    The bits come from SHA-256 rather than a random source so that the same input always
    names the same object; the version and variant bits are then set as for a v4 UUID.
    """
    digest = hashlib.sha256("\x1f".join((stix_type, *parts)).encode()).digest()[:16]
    return f"{stix_type}--{uuid.UUID(bytes=digest, version=4)}"


def timestamp(moment: datetime) -> str:
    """STIX timestamp with millisecond precision, in UTC."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class ExportState:
    path: Path | None
    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    campaigns: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> ExportState:
        if path is None or not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, dict(data["objects"]), dict(data["campaigns"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not an intel state file: {exc}", Location(path)) from exc

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            body = {"objects": self.objects, "campaigns": self.campaigns}
            self.path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    def campaign_id(self, producer_id: str, members: list[str]) -> str:
        """The id of the earlier campaign these members overlap most, else a fresh stable one."""
        mine = set(members)
        best, score = None, 0.0
        for stix_id, earlier in self.campaigns.items():
            overlap = len(mine & set(earlier)) / max(1, len(mine | set(earlier)))
            if overlap > score:
                best, score = stix_id, overlap
        chosen = best if best and score >= MIN_OVERLAP else stable_id("campaign", producer_id, *sorted(members))
        self.campaigns[chosen] = sorted(members)
        return chosen

    def stamp(self, obj: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Fill created/modified (and published) so that only a changed object gets a new version."""
        digest = _digest(obj)
        seen = self.objects.get(obj["id"])
        if seen and seen["digest"] == digest:
            stamps = {k: seen[k] for k in _VOLATILE if k in seen}
        elif seen:
            later = max(now, _parse(seen["modified"]) + timedelta(milliseconds=1))
            stamps = {"created": seen["created"], "modified": timestamp(later), "published": timestamp(later)}
        else:
            stamps = {"created": timestamp(now), "modified": timestamp(now), "published": timestamp(now)}
        if obj["type"] != "report":
            stamps.pop("published", None)
        obj.update(stamps)
        self.objects[obj["id"]] = {"digest": digest, **stamps}
        return obj


def _digest(obj: dict[str, Any]) -> str:
    body = {k: v for k, v in obj.items() if k not in _VOLATILE}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
