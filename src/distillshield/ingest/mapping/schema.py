"""A mapping file loaded into frozen dataclasses; every mistake names the file, line and key.

See docs/input.md ("Field mappings") for the format. The loader checks everything it
can before a record is read: unknown keys, unknown spec fields, paths that do not
parse, unknown time zones and conversions, a rule with no source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

from distillshield.ingest.base import SPEC_FIELDS
from distillshield.ingest.mapping.convert import (
    timestamp_parser,
    timezone_named,
    to_int,
    to_json,
    to_messages,
    to_string,
    to_text,
)
from distillshield.ingest.mapping.paths import Path, PathError, compile_path
from distillshield.yamlfile import Fields, Mapping, line_of, load_yaml

TIMESTAMPS = frozenset({"ts", "account_created_at"})
INTS = frozenset({"asn", "prompt_tokens", "completion_tokens", "reasoning_tokens", "tool_calls", "status"})
TEXTS = frozenset({"response", "reasoning"})
#: What each spec field is converted to when the rule does not say (``type:``).
TYPES = ("string", "int", "timestamp", "messages", "text", "json", "any")
_RULE_KEYS = {"from", "const", "join", "sep", "type", "format", "timezone", "map", "default", "required", "system"}
_TOP_KEYS = {"name", "description", "version", "sniff", "records", "fields", "hash", "hash_salt_env", "extra"}
REQUIRED = ("request_id", "ts", "account_id", "model")


def default_type(target: str) -> str:
    if target in TIMESTAMPS:
        return "timestamp"
    if target in INTS:
        return "int"
    if target == "messages":
        return "messages"
    if target in TEXTS:
        return "text"
    return "any" if target == "extra" else "string"


@dataclass(frozen=True, slots=True)
class Rule:
    """How one spec field (or one ``extra`` key) gets its value."""

    target: str  # "ts", or "extra.gateway" for a key under extra
    where: str  # "fields.ts" (line below): how errors and quarantine entries name the rule
    line: int
    sources: tuple[Path, ...] = ()  # first one that finds a value wins
    join: tuple[Path, ...] = ()
    sep: str = ""
    const: Any = None
    value_map: tuple[tuple[str, Any], ...] = ()
    default: Any = None
    required: bool = False
    type: str = "any"
    convert: Callable[[Any], Any] | None = None
    system: Path | None = None  # with type messages: the system prompt kept beside them (Anthropic, Converse)
    time_format: str | None = None  # with type timestamp: iso, unix..., or a strptime pattern
    time_zone: str | None = None  # with type timestamp: the zone a time without an offset is read in

    def describe(self) -> str:
        """``fields.ts (line 7: from time)``: what a quarantine reason says about the rule."""
        if self.join:
            how = "join " + ", ".join(p.text for p in self.join)
        elif self.sources:
            how = "from " + " | ".join(p.text for p in self.sources)
        else:
            how = f"const {self.const!r}"
        return f"{self.where} (line {self.line}: {how})"


@dataclass(frozen=True, slots=True)
class Each:
    """One level of ``records``: the items at ``path``, reachable from later paths as ``$name``."""

    paths: tuple[Path, ...]  # the first that finds items wins (OTLP: resourceSpans or resourceLogs)
    name: str | None
    where: Path | None = None  # an item is kept only where this finds a value (GenAI spans among others)


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """A whole mapping file: how records of one log schema become traffic-log spec records."""

    name: str
    source: str  # the file it came from, or "builtin:NAME"
    rules: tuple[Rule, ...]
    records: tuple[Each, ...] = ()
    hashed: tuple[str, ...] = ()
    hash_salt_env: str | None = None
    extra: str = "unmapped"  # "unmapped": keys no rule reads go under extra; "none": they are dropped
    sniff_keys: frozenset[str] = frozenset()  # a first record with all of these ...
    sniff_any: frozenset[str] = frozenset()  # ... and one of these (when given) ...
    sniff_absent: frozenset[str] = frozenset()  # ... and none of these is in this schema

    def read_keys(self) -> frozenset[str]:
        """Top-level keys some rule reads (the rest are "unmapped")."""
        paths = [p for r in self.rules for p in (*r.sources, *r.join, *((r.system,) if r.system else ()))]
        return frozenset(p.keys[0] for p in paths if p.root is None and p.keys)

    def sniffs(self, keys: set[str]) -> bool:
        if not (self.sniff_keys or self.sniff_any) or keys & self.sniff_absent:
            return False
        return keys >= self.sniff_keys and (not self.sniff_any or bool(keys & self.sniff_any))


def load_mapping(path: FilePath, *, source: str | None = None) -> FieldMapping:
    """Read and check a mapping file; raises InputError naming the file, line and key."""
    return parse_mapping(load_yaml(path), path, source or str(path))


def parse_mapping(data: Mapping, path: FilePath, source: str) -> FieldMapping:
    top = Fields(data, path, "mapping", _TOP_KEYS, line=1)
    fields = Fields(top.raw("fields"), path, "fields", set(SPEC_FIELDS), line=line_of(data, "fields"))
    rules = [_rule(fields, target) for target in fields.mapping if target != "extra"]
    rules += _extra_rules(fields, path)
    hashed = _hashed(top, {r.target for r in rules})
    sniff = Fields(top.raw("sniff") or Mapping(), path, "sniff", {"keys", "any", "absent"}, line=line_of(data, "sniff"))
    extra = top.string("extra", "unmapped", choices=("unmapped", "none")) or "unmapped"
    return FieldMapping(
        name=top.string("name", path.stem) or path.stem,
        source=source,
        rules=tuple(rules),
        records=_records(top, path),
        hashed=hashed,
        hash_salt_env=top.string("hash_salt_env"),
        extra=extra,
        sniff_keys=frozenset(_strings(sniff, "keys")),
        sniff_any=frozenset(_strings(sniff, "any")),
        sniff_absent=frozenset(_strings(sniff, "absent")),
    )


def _strings(fields: Fields, key: str) -> list[str]:
    value = fields.raw(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fields.error(key, f"{key} must be a list of strings")
    return value


def _hashed(top: Fields, targets: set[str]) -> tuple[str, ...]:
    names = _strings(top, "hash")
    for name in names:
        if name not in targets:
            raise top.error("hash", f"hash names {name!r}, which no rule under fields maps")
        if name in TIMESTAMPS | INTS | {"messages", "extra"}:
            raise top.error("hash", f"hash takes text fields only, not {name!r}")
    return tuple(names)


def _records(top: Fields, path: FilePath) -> tuple[Each, ...]:
    value = top.raw("records")
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise top.error("records", "records must be a non-empty list of {each: PATH, as: NAME}")
    levels = []
    for i, item in enumerate(value):
        level = Fields(item, path, f"records[{i}]", {"each", "as", "where"}, line=line_of(top.mapping, "records"))
        where = _path(level, "where") if level.has("where") else None
        levels.append(Each(_paths(level, "each"), level.string("as"), where))
    return tuple(levels)


def _path(fields: Fields, key: str) -> Path:
    value = fields.raw(key)
    try:
        return compile_path(value)
    except PathError as exc:
        raise fields.error(key, str(exc)) from None


def _paths(fields: Fields, key: str) -> tuple[Path, ...]:
    value = fields.raw(key)
    items = value if isinstance(value, list) else [value]
    try:
        return tuple(compile_path(v) for v in items)
    except PathError as exc:
        raise fields.error(key, str(exc)) from None


def _extra_rules(fields: Fields, path: FilePath) -> list[Rule]:
    value = fields.raw("extra")
    if value is None:
        return []
    extra = Fields(value, path, "fields.extra", set(value) if isinstance(value, Mapping) else set(), line=fields.line)
    return [_rule(extra, key, target=f"extra.{key}") for key in extra.mapping]


def _rule(fields: Fields, key: str, *, target: str | None = None) -> Rule:
    target = target or key
    where = f"{fields.where}.{key}"
    value = fields.raw(key)
    line = line_of(fields.mapping, key)
    if isinstance(value, str):
        value = Mapping({"from": value})
        value.line, value.lines = line, {"from": line}
    rule = Fields(value, fields.path, where, _RULE_KEYS, line=line)
    given = [k for k in ("from", "const", "join") if rule.raw(k) is not None]
    if len(given) != 1:
        raise rule.error(key, f"{where} needs exactly one of from, const or join, not {given or 'none'}")
    kind = rule.string("type", default_type(target.split(".")[0]), choices=TYPES) or "any"
    return Rule(
        target=target,
        where=where,
        line=line,
        sources=_paths(rule, "from") if rule.has("from") else (),
        join=_paths(rule, "join") if rule.has("join") else (),
        sep=rule.string("sep", "") or "",
        const=rule.raw("const"),
        value_map=_value_map(rule),
        default=rule.raw("default"),
        required=_flag(rule, "required"),
        type=kind,
        convert=_converter(rule, kind),
        system=_path(rule, "system") if rule.has("system") else None,
        time_format=(rule.string("format", "iso") or "iso") if kind == "timestamp" else None,
        time_zone=rule.string("timezone") if kind == "timestamp" else None,
    )


def _flag(rule: Fields, key: str) -> bool:
    value = rule.raw(key)
    if value is not None and not isinstance(value, bool):
        raise rule.error(key, f"{key} must be true or false, not {value!r}")
    return bool(value)


def _value_map(rule: Fields) -> tuple[tuple[str, Any], ...]:
    value = rule.raw("map")
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise rule.error("map", "map must be a mapping of source value to spec value")
    return tuple((str(k), v) for k, v in value.items())


def _converter(rule: Fields, kind: str) -> Callable[[Any], Any] | None:
    if kind == "timestamp":
        try:
            name = rule.string("timezone")
            zone = timezone_named(name) if name is not None else None
        except ValueError as exc:
            raise rule.error("timezone", str(exc)) from None
        return timestamp_parser(rule.string("format", "iso") or "iso", zone)
    for key in ("format", "timezone"):
        if rule.has(key):
            raise rule.error(key, f"{key} applies to type timestamp only")
    if rule.has("system") and kind != "messages":
        raise rule.error("system", "system applies to type messages only")
    simple: dict[str, Callable[[Any], Any] | None] = {
        "string": to_string, "int": to_int, "json": to_json, "text": to_text, "messages": to_messages, "any": None,
    }  # fmt: skip
    return simple[kind]
