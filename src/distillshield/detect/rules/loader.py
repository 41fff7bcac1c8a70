"""Load rule files (YAML) into :class:`Rule` records; every mistake names the file, line and field.

Built-in rules ship in ``detect/rules/builtin/``; users add directories of their
own with ``scan --rules DIR``. A repeated key, an unknown key, an unknown field
or operator, or two rules with one id is an error: a rule that silently does
something else than it says is worse than no rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from distillshield.detect.rules.schema import FIELDS, OPERATORS, RULE_TYPES, Filter, Rule
from distillshield.errors import InputError, Location
from distillshield.records import FAMILIES
from distillshield.yamlfile import Mapping, line_of, load_yaml

KEYS = frozenset(
    {
        "id",
        "title",
        "description",
        "type",
        "filter",
        "group-by",
        "timespan",
        "field",
        "condition",
        "weight",
        "references",
        "family",
    }
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def builtin_rules_dir() -> Path:
    return Path(str(files("distillshield.detect.rules") / "builtin"))


def rule_files(dirs: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for directory in dirs:
        if not directory.is_dir():
            raise InputError("rules directory does not exist", Location(directory))
        found += sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))
    return found


def load_rules(
    dirs: Sequence[Path] = (), *, content_fields: Iterable[str] = (), builtin: bool = True
) -> tuple[Rule, ...]:
    """Every rule of the built-in directory (unless ``builtin=False``) and of ``dirs``."""
    fields = FIELDS | set(content_fields)
    paths = rule_files([builtin_rules_dir(), *dirs] if builtin else list(dirs))
    rules = [load_rule(path, fields) for path in paths]
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.id in seen:
            raise InputError(f"rule id {rule.id!r} is also defined in {seen[rule.id]}", Location(rule.path, 1, "id"))
        seen[rule.id] = rule.path
    return tuple(rules)


def load_rule(path: Path, fields: frozenset[str] | set[str]) -> Rule:
    doc = load_yaml(path)
    unknown = sorted(set(doc) - KEYS)
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}; known: {', '.join(sorted(KEYS))}", _at(path, doc, unknown[0]))
    rule_type = _choice(path, doc, "type", RULE_TYPES)
    field = _optional_field(path, doc, fields, required=rule_type == "value_count")
    op, value = _condition(path, doc)
    return Rule(
        id=_identifier(path, doc),
        title=_text(path, doc, "title"),
        description=str(doc.get("description", "")).strip(),
        type=rule_type,
        filters=_filters(path, doc, fields),
        group_by=_group_by(path, doc, fields),
        timespan_s=_timespan(path, doc),
        field=field,
        condition_op=op,
        condition_value=value,
        weight=_weight(path, doc),
        references=tuple(str(r) for r in doc.get("references", []) or []),
        family=_family(path, doc),
        path=path,
        line=doc.line or 1,
    )


def _at(path: Path, doc: Any, key: str) -> Location:
    return Location(path, line_of(doc, key), key)


def _text(path: Path, doc: Mapping, key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{key} must be a non-empty string", _at(path, doc, key))
    return value.strip()


def _identifier(path: Path, doc: Mapping) -> str:
    value = _text(path, doc, "id")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", value):
        raise InputError(f"id {value!r} must be lower-case letters, digits, '.', '_' or '-'", _at(path, doc, "id"))
    return value


def _choice(path: Path, doc: Mapping, key: str, allowed: Sequence[str]) -> str:
    value = doc.get(key)
    if value not in allowed:
        raise InputError(f"{key} must be one of {', '.join(allowed)}, not {value!r}", _at(path, doc, key))
    return str(value)


def _known_field(path: Path, doc: Any, key: str, name: object, fields: frozenset[str] | set[str]) -> str:
    if not isinstance(name, str) or name not in fields:
        raise InputError(f"unknown field {name!r}; known: {', '.join(sorted(fields))}", _at(path, doc, key))
    return name


def _optional_field(path: Path, doc: Mapping, fields: frozenset[str] | set[str], *, required: bool) -> str | None:
    if "field" not in doc:
        if required:
            raise InputError(
                "a value_count rule needs the field whose distinct values it counts", _at(path, doc, "type")
            )
        return None
    return _known_field(path, doc, "field", doc["field"], fields)


def _group_by(path: Path, doc: Mapping, fields: frozenset[str] | set[str]) -> tuple[str, ...]:
    value = doc.get("group-by", ["account_id"])
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise InputError("group-by must be a field or a list of fields", _at(path, doc, "group-by"))
    return tuple(_known_field(path, doc, "group-by", n, fields) for n in names)


def _filters(path: Path, doc: Mapping, fields: frozenset[str] | set[str]) -> tuple[Filter, ...]:
    spec = doc.get("filter", {}) or {}
    if not isinstance(spec, dict):
        raise InputError("filter must map fields to {operator: value}", _at(path, doc, "filter"))
    filters = []
    for name, test in spec.items():
        where = Location(path, line_of(spec, name), f"filter.{name}")
        _known_field(path, spec, name, name, fields)
        if not isinstance(test, dict) or len(test) != 1:
            raise InputError("each filter is {operator: value}, e.g. {gte: 0.5}", where)
        ((op, value),) = test.items()
        if op == "in":
            if not isinstance(value, list) or not value:
                raise InputError("'in' takes a non-empty list", where)
            filters.append(Filter(name, "in", tuple(_scalar(v, where) for v in value)))
        elif op in OPERATORS:
            filters.append(Filter(name, op, _scalar(value, where)))
        else:
            raise InputError(f"unknown operator {op!r}; known: in, {', '.join(OPERATORS)}", where)
    return tuple(filters)


def _scalar(value: object, where: Location) -> str | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{value!r} is not a string or a number", where)
    return float(value) if isinstance(value, int | float) else value


def _timespan(path: Path, doc: Mapping) -> int:
    text = str(doc.get("timespan", ""))
    match = re.fullmatch(r"(\d+)([smhd])", text)
    if not match or int(match.group(1)) == 0:
        raise InputError(f"timespan must look like 30m, 1h or 1d, not {text!r}", _at(path, doc, "timespan"))
    return int(match.group(1)) * _UNITS[match.group(2)]


def _condition(path: Path, doc: Mapping) -> tuple[str, float]:
    condition = doc.get("condition")
    where = _at(path, doc, "condition")
    if not isinstance(condition, dict) or len(condition) != 1:
        raise InputError("condition must be one {operator: number}, e.g. {gte: 20}", where)
    ((op, value),) = condition.items()
    if op not in OPERATORS or isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"condition {op!r}: {value!r} is not an operator and a number", where)
    return str(op), float(value)


def _weight(path: Path, doc: Mapping) -> float:
    value = doc.get("weight")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InputError(f"weight must be a number in (0, 1], not {value!r}", _at(path, doc, "weight"))
    return float(value)


def _family(path: Path, doc: Mapping) -> str:
    """The evidence family the rule's signal counts in; user rules that name none count as ``custom``."""
    if "family" not in doc:
        return "custom"
    return _choice(path, doc, "family", FAMILIES)
