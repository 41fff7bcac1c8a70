"""The published baseline: controls, each with a check, a weight and the guidance it cites.

A baseline is YAML (``data/posture/baseline-2026.yml`` ships with the package)::

    baseline: distillshield-2026.1
    reference: docs/posture.md
    controls:
      - id: verification.new-accounts
        title: New accounts are verified beyond e-mail
        weight: 3
        check: {type: one_of, path: new_accounts.verification, values: [card, identity]}
        cites: ["Anthropic, 23 Feb 2026: stronger verification on the most-exploited sign-up paths"]
        remedy: Require a card or identity check before API access.

``check.type`` picks a class through :data:`CHECK_TYPES`; an unknown type, an
unknown config path, a control without a citation or a repeated id is an error
naming the baseline's file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar, Protocol

from distillshield.errors import InputError, Location
from distillshield.posture.config import SECTIONS, Deployment
from distillshield.yamlfile import Mapping, line_of, load_yaml

DEFAULT_BASELINE = "baseline-2026.yml"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check found: ``passed``, the value it saw (as text) and what it wanted."""

    passed: bool
    found: str
    expected: str
    #: The config path the outcome is about, for pointing at its line.
    path: str


class Check(Protocol):
    type: ClassVar[str]

    def evaluate(self, deployment: Deployment) -> Outcome: ...


def _shown(value: object) -> str:
    if value is None or value == ():
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return f"{value:,}" if isinstance(value, int) else str(value)


@dataclass(frozen=True, slots=True)
class OneOf:
    """The value is one of ``values``."""

    type: ClassVar[str] = "one_of"
    path: str
    values: tuple[object, ...]

    def evaluate(self, deployment: Deployment) -> Outcome:
        value = deployment.get(self.path)
        wanted = "one of " + ", ".join(_shown(v) for v in self.values)
        return Outcome(value is not None and value in self.values, _shown(value), wanted, self.path)


@dataclass(frozen=True, slots=True)
class Equals:
    """The value is exactly ``value``."""

    type: ClassVar[str] = "equals"
    path: str
    value: object

    def evaluate(self, deployment: Deployment) -> Outcome:
        found = deployment.get(self.path)
        return Outcome(found == self.value, _shown(found), _shown(self.value), self.path)


@dataclass(frozen=True, slots=True)
class AtLeast:
    """The value is a number >= ``value``."""

    type: ClassVar[str] = "at_least"
    path: str
    value: int

    def evaluate(self, deployment: Deployment) -> Outcome:
        found = deployment.get(self.path)
        passed = isinstance(found, int) and found >= self.value
        return Outcome(passed, _shown(found), f">= {self.value:,}", self.path)


@dataclass(frozen=True, slots=True)
class Includes:
    """The value, a list, holds every one of ``values``."""

    type: ClassVar[str] = "includes"
    path: str
    values: tuple[str, ...]

    def evaluate(self, deployment: Deployment) -> Outcome:
        found = deployment.get(self.path)
        have = set(found) if isinstance(found, tuple) else set()
        missing = [v for v in self.values if v not in have]
        shown = f"missing {', '.join(missing)}" if missing and have else _shown(found)
        return Outcome(not missing, shown, "includes " + ", ".join(self.values), self.path)


@dataclass(frozen=True, slots=True)
class EveryTier:
    """Every tier sets each of ``fields``; there is at least one tier."""

    type: ClassVar[str] = "every_tier"
    fields: tuple[str, ...]

    def evaluate(self, deployment: Deployment) -> Outcome:
        wanted = "every tier sets " + ", ".join(self.fields)
        if not deployment.tiers:
            return Outcome(False, "no tiers", wanted, "tiers")
        gaps = [f"{t.name}: {f}" for t in deployment.tiers for f in self.fields if getattr(t, f) in (None, 0)]
        return Outcome(not gaps, "missing " + "; ".join(gaps) if gaps else "all set", wanted, "tiers")


#: ``check.type`` -> class; the one place check types are enumerated.
CHECK_TYPES: dict[str, type[Any]] = {cls.type: cls for cls in (OneOf, Equals, AtLeast, Includes, EveryTier)}


@dataclass(frozen=True, slots=True)
class Control:
    """One line of the checklist."""

    id: str
    title: str
    weight: int
    check: Check
    cites: tuple[str, ...]
    remedy: str


@dataclass(frozen=True, slots=True)
class Baseline:
    name: str
    reference: str
    controls: tuple[Control, ...]
    path: Path


def default_baseline_path() -> Path:
    return Path(str(files("distillshield.data").joinpath("posture", DEFAULT_BASELINE)))


def load_baseline(path: Path | None = None) -> Baseline:
    """Read and validate a baseline (the shipped one by default)."""
    path = path or default_baseline_path()
    data = load_yaml(path)
    for key in ("baseline", "controls"):
        if key not in data:
            raise InputError("missing", Location(path, 1, key))
    raw = data["controls"]
    if not isinstance(raw, list) or not raw:
        raise InputError("controls must be a non-empty list", Location(path, line_of(data, "controls"), "controls"))
    controls = [_control(path, item, i) for i, item in enumerate(raw)]
    _unique(path, controls, raw)
    return Baseline(str(data["baseline"]), str(data.get("reference", "")), tuple(controls), path)


def _control(path: Path, item: object, index: int) -> Control:
    where = f"controls[{index}]"
    if not isinstance(item, Mapping):
        raise InputError("a control must be a mapping", Location(path, 0, where))
    known = {"id", "title", "weight", "check", "cites", "remedy"}
    for key in item:
        if key not in known:
            raise InputError(f"unknown field {key!r}", Location(path, line_of(item, key), f"{where}.{key}"))
    for key in known:
        if item.get(key) in (None, "", [], {}):
            raise InputError("missing or empty", Location(path, line_of(item, key), f"{where}.{key}"))
    cites = item["cites"] if isinstance(item["cites"], list) else [item["cites"]]
    weight = item["weight"]
    if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
        where_weight = Location(path, line_of(item, "weight"), f"{where}.weight")
        raise InputError(f"{weight!r} is not a whole number >= 1", where_weight)
    check = _check(path, item["check"], f"{where}.check")
    citations = tuple(str(c) for c in cites)
    return Control(str(item["id"]), str(item["title"]), weight, check, citations, str(item["remedy"]))


def _check(path: Path, raw: object, where: str) -> Check:
    if not isinstance(raw, Mapping) or raw.get("type") not in CHECK_TYPES:
        line = raw.line if isinstance(raw, Mapping) else 0
        raise InputError(f"check.type must be one of {', '.join(sorted(CHECK_TYPES))}", Location(path, line, where))
    cls = CHECK_TYPES[raw["type"]]
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k != "type"}
    names = {f.name for f in fields(cls)}
    if set(params) != names:
        reason = f"a {raw['type']} check takes exactly: {', '.join(sorted(names))}"
        raise InputError(reason, Location(path, raw.line, where))
    check: Check = cls(**params)
    _check_paths(path, check, raw, where)
    return check


def _check_paths(path: Path, check: Check, raw: Mapping, where: str) -> None:
    dotted = getattr(check, "path", None)
    if dotted is not None:
        section, _, name = str(dotted).partition(".")
        if section not in SECTIONS or name not in {f.name for f in fields(SECTIONS[section])}:
            raise InputError(f"no config field {dotted!r}", Location(path, line_of(raw, "path"), f"{where}.path"))


def _unique(path: Path, controls: Sequence[Control], raw: list[Any]) -> None:
    seen: set[str] = set()
    for control, item in zip(controls, raw, strict=True):
        if control.id in seen:
            raise InputError(f"control id {control.id!r} appears twice", Location(path, line_of(item, "id"), "id"))
        seen.add(control.id)
