"""The local intelligence store: partners' bundles, every version kept, the latest one used.

Objects live in a stix2 ``FileSystemStore`` (one file per version), so a new version of an
object never overwrites the old one and a revocation is simply the latest version saying
``revoked: true``. Partners' custom content (``x_opencti_*``, ``x_misp_*``) is accepted and
kept; markings are read in every variant :mod:`~distillshield.intel.markings` knows.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stix2
from stix2.exceptions import STIXError

from distillshield.errors import InputError, Location, UnreadableFileError
from distillshield.intel import limits, markings


@dataclass
class ImportStats:
    """What one import did: new objects, new versions, duplicates, revocations, levels by TLP."""

    added: int = 0
    new_versions: int = 0
    duplicates: int = 0
    revoked: int = 0
    tlp: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "new_versions": self.new_versions,
            "duplicates": self.duplicates,
            "revoked": self.revoked,
            "tlp": dict(sorted(self.tlp.items())),
            "types": dict(sorted(self.types.items())),
        }


class IntelStore:
    """A directory of imported STIX 2.1 objects."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "stix").mkdir(parents=True, exist_ok=True)
        self._fs = stix2.FileSystemStore(str(root / "stix"), allow_custom=True)

    def import_file(self, path: Path) -> ImportStats:
        try:
            if path.stat().st_size > limits.MAX_BUNDLE_BYTES:
                raise InputError(f"bundle larger than {limits.MAX_BUNDLE_BYTES} bytes", Location(path))
            raw = path.read_bytes()
        except OSError as exc:
            raise UnreadableFileError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
        data = limits.load_bundle(raw, Location(path))
        return self.import_objects(_objects_of(data, path), path)

    def import_objects(self, objects: list[dict[str, Any]], source: Path | None = None) -> ImportStats:
        """Add every object not already held; raise :class:`InputError` on one STIX rejects."""
        stats = ImportStats()
        if len(objects) > limits.MAX_OBJECTS:
            raise InputError(f"more than {limits.MAX_OBJECTS} objects", Location(source or Path("<objects>")))
        problem = limits.depth_problem(objects)
        if problem:
            raise InputError(problem, Location(source or Path("<objects>")))
        definitions = {**self.marking_definitions(), **{o["id"]: o for o in objects if _is_marking(o)}}
        for i, obj in enumerate(objects):
            where = Location(source or Path("<objects>"), 0, f"objects[{i}]")
            self._import_one(obj, where, stats, definitions)
        return stats

    def _import_one(self, obj: dict[str, Any], where: Location, stats: ImportStats, defs: dict[str, Any]) -> None:
        # type and id become a directory and a file name in the store: check them before it sees them
        problem = limits.identifier_problem(obj)
        if problem is None and obj.get("type") == "indicator" and obj.get("pattern_type") == "stix":
            problem = limits.pattern_problem(obj.get("pattern"))  # before the stix2 library parses it
        if problem:
            raise InputError(problem, where)
        try:
            parsed = stix2.parse(obj, allow_custom=True)
        except (STIXError, ValueError, TypeError, KeyError, RecursionError) as exc:
            raise InputError(f"{obj.get('id', 'object')} is not valid STIX 2.1: {exc}", where) from exc
        existing = self._versions(obj["id"])
        if _version_of(obj) in existing:
            stats.duplicates += 1
            return
        self._fs.add(parsed)
        stats.new_versions += bool(existing)
        stats.added += not existing
        stats.revoked += bool(obj.get("revoked"))
        stats.types[obj["type"]] += 1
        level = object_tlp(obj, defs)
        stats.tlp[level or "unmarked"] += 1

    def _versions(self, stix_id: str) -> set[str]:
        found = self._fs.source.all_versions(stix_id) or []
        return {_version_of(_as_dict(o)) for o in found}

    def latest(self, stix_type: str, *, include_revoked: bool = False) -> list[dict[str, Any]]:
        """The newest version of every object of ``stix_type``; revoked ones left out by default."""
        newest: dict[str, dict[str, Any]] = {}
        for obj in self._held(stix_type):
            held = newest.get(obj["id"])
            if held is None or str(obj.get("modified", "")) > str(held.get("modified", "")):
                newest[obj["id"]] = obj
        return [o for o in newest.values() if include_revoked or not o.get("revoked")]

    def _held(self, stix_type: str) -> Iterator[dict[str, Any]]:
        """Every stored version of ``stix_type``, read as JSON: the stix2 library would re-parse (and re-validate)
        each one, and one hostile object written by an older version must not stop every later read."""
        if limits.TYPE_RE.match(stix_type) is None:
            return
        for path in sorted((self.root / "stix" / stix_type).rglob("*.json")):
            try:
                obj = limits.load_bundle(path.read_bytes(), Location(path))
            except (OSError, InputError):
                continue
            if isinstance(obj, dict) and obj.get("type") == stix_type and limits.identifier_problem(obj) is None:
                yield obj

    def marking_definitions(self) -> dict[str, dict[str, Any]]:
        return {o["id"]: o for o in self.latest("marking-definition")}


@contextmanager
def open_intel(path: Path) -> Iterator[IntelStore]:
    """A store directory as is, or a folder of bundle files imported into a temporary store."""
    if (path / "stix").is_dir():
        yield IntelStore(path)
        return
    if not path.is_dir():
        raise InputError("expected an intelligence store (intel import) or a folder of bundles", Location(path))
    with tempfile.TemporaryDirectory(prefix="distillshield-intel-") as tmp:
        store = IntelStore(Path(tmp))
        for bundle in sorted(path.glob("*.json")):
            store.import_file(bundle)
        yield store


def object_tlp(obj: Mapping[str, Any], definitions: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The most restrictive TLP level among an object's markings (any variant), or None."""
    levels = [markings.tlp_level(ref, definitions) for ref in obj.get("object_marking_refs") or []]
    return markings.most_restrictive([lv for lv in levels if lv])


def _objects_of(data: object, path: Path) -> list[dict[str, Any]]:
    """The objects of a bundle, a TAXII envelope or a single object."""
    if isinstance(data, dict) and isinstance(data.get("objects"), list):
        objects = data["objects"]
    elif isinstance(data, dict) and "type" in data and "id" in data:
        objects = [data]
    else:
        raise InputError("expected a STIX bundle, a TAXII envelope or one STIX object", Location(path, 1, "objects"))
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict) or not {"type", "id"} <= obj.keys():
            raise InputError("not a STIX object (needs type and id)", Location(path, 0, f"objects[{i}]"))
    return list(objects)


def _version_of(obj: Mapping[str, Any]) -> str:
    """Objects without versions (SCOs) have one implicit version, the empty string."""
    return str(obj.get("modified") or obj.get("created") or "")


def _is_marking(obj: Mapping[str, Any]) -> bool:
    return obj.get("type") == "marking-definition"


def _as_dict(obj: object) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    data: dict[str, Any] = json.loads(obj.serialize())  # type: ignore[attr-defined]
    return data
