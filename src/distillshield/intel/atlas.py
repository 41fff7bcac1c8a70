"""The pinned MITRE ATLAS subset (``data/atlas.yaml``) and its STIX attack-pattern objects.

ATLAS's own STIX generator derives ids as ``uuid5(UUID(hex("atlas.mitre.org.")), atlas_id)``,
so our attack-patterns carry the same ids as MITRE's distribution; consumers should still
match on ``external_references[].external_id``, since ATLAS ids changed in the past.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml

ATLAS_NAMESPACE = uuid.UUID(b"atlas.mitre.org.".hex())
SOURCE_NAME = "mitre-atlas"


@dataclass(frozen=True, slots=True)
class Technique:
    atlas_id: str
    name: str
    tactics: tuple[str, ...]
    created: date
    modified: date
    misp_galaxy: str | None  # value in MISP's mitre-atlas-attack-pattern galaxy, None when absent there

    @property
    def stix_id(self) -> str:
        return f"attack-pattern--{uuid.uuid5(ATLAS_NAMESPACE, self.atlas_id)}"

    @property
    def url(self) -> str:
        return f"https://atlas.mitre.org/techniques/{self.atlas_id}"


@dataclass(frozen=True, slots=True)
class Atlas:
    version: str
    techniques: dict[str, Technique]

    def technique(self, atlas_id: str) -> Technique:
        return self.techniques[atlas_id]

    def by_stix_id(self, stix_id: str) -> Technique | None:
        return next((t for t in self.techniques.values() if t.stix_id == stix_id), None)


@cache
def load_atlas() -> Atlas:
    """The vendored ATLAS subset, read once."""
    text = resources.files("distillshield.intel").joinpath("data/atlas.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    techniques = {
        t["id"]: Technique(t["id"], t["name"], tuple(t["tactics"]), t["created"], t["modified"], t["misp_galaxy"])
        for t in data["techniques"]
    }
    return Atlas(str(data["version"]), techniques)


def attack_pattern(technique: Technique, version: str, marking: str) -> dict[str, Any]:
    """A STIX 2.1 attack-pattern for ``technique``, referencing ATLAS ``version``."""
    return {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": technique.stix_id,
        "created": f"{technique.created.isoformat()}T00:00:00.000Z",
        "modified": f"{technique.modified.isoformat()}T00:00:00.000Z",
        "name": technique.name,
        "description": f"MITRE ATLAS {version} technique {technique.atlas_id}; see {technique.url}.",
        "external_references": [
            {"source_name": SOURCE_NAME, "external_id": technique.atlas_id, "url": technique.url},
        ],
        "kill_chain_phases": [
            {"kill_chain_name": SOURCE_NAME, "phase_name": t.lower().replace(" ", "-")} for t in technique.tactics
        ],
        "object_marking_refs": [marking],
    }
