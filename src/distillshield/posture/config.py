"""A provider's deployment settings, read from YAML into frozen dataclasses.

Every section and field is optional (a missing one reads as "not set", which the
baseline then marks as failing), but whatever is present must be known and well
typed: a misspelt field would otherwise pass silently as "not set". Errors name
the file, the line and the dotted field path.

Example (``docs/posture.md`` has the full format)::

    provider: Example AI
    tiers:
      free: {requests_per_minute: 20, tokens_per_day: 200000}
    new_accounts: {verification: card, probation_days: 14, probation_tokens_per_day: 100000}
    reasoning: {exposure: summary}
    watermarking: {enabled: true}
    logging: {retention_days: 180}
    intel_sharing: {enabled: true}
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from distillshield.errors import InputError, Location
from distillshield.yamlfile import Mapping, line_of, load_yaml

VERIFICATION_LEVELS = ("none", "email", "phone", "card", "identity")
REASONING_EXPOSURE = ("full", "summary", "hidden")


def _field(kind: str, help: str, choices: tuple[str, ...] = ()) -> Any:
    """A config field: ``kind`` is int, bool, str or strs (a list of strings)."""
    return field(default=() if kind == "strs" else None, metadata={"kind": kind, "help": help, "choices": choices})


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    requests_per_minute: int | None = _field("int", "Requests a minute one account may send")
    tokens_per_day: int | None = _field("int", "Prompt plus completion tokens a day per account")
    max_concurrency: int | None = _field("int", "Requests one account may have in flight")


@dataclass(frozen=True, slots=True)
class NewAccounts:
    verification: str | None = _field("str", "Check at sign-up", VERIFICATION_LEVELS)
    risk_triggered_verification: bool | None = _field("bool", "Re-verify identity when abuse signals appear")
    probation_days: int | None = _field("int", "Days a new account runs under reduced limits")
    probation_tokens_per_day: int | None = _field("int", "Token cap a day during probation")


@dataclass(frozen=True, slots=True)
class Reasoning:
    exposure: str | None = _field("str", "What callers see of the model's reasoning", REASONING_EXPOSURE)
    verified_only: bool | None = _field("bool", "Reasoning output only for verified organisations")


@dataclass(frozen=True, slots=True)
class Watermarking:
    enabled: bool | None = _field("bool", "Responses carry a statistical watermark")
    scheme: str | None = _field("str", "Watermark scheme id")


@dataclass(frozen=True, slots=True)
class Logging:
    retention_days: int | None = _field("int", "Days API request logs are kept")
    fields: tuple[str, ...] = _field("strs", "Traffic-log fields recorded per request")


@dataclass(frozen=True, slots=True)
class IntelSharing:
    enabled: bool | None = _field("bool", "Campaign indicators are shared with other providers")
    format: str | None = _field("str", "Exchange format, e.g. stix-2.1")
    partners: tuple[str, ...] = _field("strs", "Who receives them")


@dataclass(frozen=True, slots=True)
class Detection:
    campaign_linking: bool | None = _field("bool", "Accounts are linked into campaigns before banning")
    extraction_alerts: bool | None = _field("bool", "Alerts carry principal, volume and input statistics")


#: Section name -> its dataclass, in the order the docs list them.
SECTIONS: dict[str, type] = {
    "new_accounts": NewAccounts,
    "reasoning": Reasoning,
    "watermarking": Watermarking,
    "logging": Logging,
    "intel_sharing": IntelSharing,
    "detection": Detection,
}


@dataclass(frozen=True, slots=True)
class Deployment:
    """One provider's deployment settings, as audited by ``distillshield posture``."""

    path: Path
    provider: str | None
    tiers: tuple[Tier, ...]
    new_accounts: NewAccounts = NewAccounts()
    reasoning: Reasoning = Reasoning()
    watermarking: Watermarking = Watermarking()
    logging: Logging = Logging()
    intel_sharing: IntelSharing = IntelSharing()
    detection: Detection = Detection()
    #: Dotted field path -> line, for pointing a finding at the config line it is about.
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def get(self, dotted: str) -> object:
        """The value at ``section.field`` (None when not set); unknown paths raise KeyError."""
        section, _, name = dotted.partition(".")
        if section not in SECTIONS or name not in {f.name for f in fields(SECTIONS[section])}:
            raise KeyError(dotted)
        return getattr(getattr(self, section), name)


def load_deployment(path: Path) -> Deployment:
    """Read and validate a deployment config; the first mistake raises :class:`InputError`."""
    data = load_yaml(path)
    _reject_unknown(path, data, {"provider", "tiers", *SECTIONS}, "")
    lines: dict[str, int] = {}
    sections = {name: _section(path, data, name, cls, lines) for name, cls in SECTIONS.items()}
    provider = data.get("provider")
    if provider is not None and not isinstance(provider, str):
        raise InputError("provider must be text", Location(path, line_of(data, "provider"), "provider"))
    return Deployment(path, provider, _tiers(path, data, lines), **sections, lines=lines)


def _tiers(path: Path, data: Mapping, lines: dict[str, int]) -> tuple[Tier, ...]:
    raw = data.get("tiers")
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or not raw:
        raise InputError("tiers must map each tier name to its limits", Location(path, line_of(data, "tiers"), "tiers"))
    return tuple(_record(path, raw, str(name), Tier, lines, f"tiers.{name}", name=str(name)) for name in raw)


def _section(path: Path, data: Mapping, name: str, cls: type, lines: dict[str, int]) -> Any:
    if data.get(name) is None:
        return cls()
    return _record(path, data, name, cls, lines, name)


def _record(path: Path, parent: Mapping, key: str, cls: type, lines: dict[str, int], where: str, **given: Any) -> Any:
    raw = parent[key]
    if not isinstance(raw, Mapping):
        raise InputError(f"{where} must be a mapping of fields", Location(path, line_of(parent, key), where))
    specs = {f.name: f for f in fields(cls) if f.name not in given}
    _reject_unknown(path, raw, set(specs), f"{where}.")
    values = dict(given)
    for name, value in raw.items():
        spec, line = specs[name], line_of(raw, name)
        lines[f"{where}.{name}"] = line
        values[name] = _value(value, spec.metadata, Location(path, line, f"{where}.{name}"))
    lines.setdefault(where, raw.line)
    assert all(f.default is not MISSING for f in specs.values())  # every field has a default: absent means not set
    return cls(**values)


def _value(value: object, spec: Any, where: Location) -> object:
    kind, choices = spec["kind"], spec["choices"]
    if value is None:
        return () if kind == "strs" else None
    if kind == "int" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise InputError(f"{value!r} is not a whole number >= 0", where)
    if kind == "bool" and not isinstance(value, bool):
        raise InputError(f"{value!r} is not true or false", where)
    if kind == "str" and (not isinstance(value, str) or (choices and value not in choices)):
        expected = f"one of {', '.join(choices)}" if choices else "text"
        raise InputError(f"{value!r} is not {expected}", where)
    if kind == "strs":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InputError(f"{value!r} is not a list of text", where)
        return tuple(value)
    return value


def _reject_unknown(path: Path, raw: Mapping, known: set[str], prefix: str) -> None:
    for key in raw:
        if key not in known:
            reason = f"unknown field {key!r}; expected one of {', '.join(sorted(known))}"
            raise InputError(reason, Location(path, line_of(raw, key), f"{prefix}{key}"))
