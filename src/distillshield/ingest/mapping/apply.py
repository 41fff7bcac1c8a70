"""Apply a loaded mapping to decoded records: each becomes zero or more spec records, or fails naming its rule.

A failure is a :class:`~distillshield.errors.RecordError` whose field is the spec
field and whose reason names the mapping rule (``fields.ts (line 7: from time)``),
so the quarantine says which rule to fix. The spec records then pass the same
validation as a spec log (:func:`distillshield.ingest.base.to_row`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson

from distillshield.errors import RecordError
from distillshield.ingest.base import reject
from distillshield.ingest.mapping.compiled import CompiledMapping, NotCompiled, compile_mapping
from distillshield.ingest.mapping.paths import MISSING
from distillshield.ingest.mapping.schema import REQUIRED, FieldMapping, Rule

Outcome = dict[str, Any] | RecordError


def _absent(value: Any) -> bool:
    return value is MISSING or value is None or value == ""


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


class Mapper:
    """A mapping ready to run: ``map(record)`` gives one outcome per spec record it holds."""

    def __init__(self, mapping: FieldMapping) -> None:
        self.mapping = mapping
        self._read = mapping.read_keys()
        self._salt = os.environ.get(mapping.hash_salt_env, "") if mapping.hash_salt_env else ""
        self._hashed = frozenset(mapping.hashed)
        self._maps = {r.target: dict(r.value_map) for r in mapping.rules if r.value_map}
        targets = {r.target for r in mapping.rules}
        self._unmapped_required = [f for f in REQUIRED if f not in targets]
        self._content_rules = [r for r in mapping.rules if r.target in ("messages", "prompt")]

    @property
    def name(self) -> str:
        return self.mapping.name

    @cached_property
    def compiled(self) -> CompiledMapping | None:
        """The mapping as bulk SQL over raw lines, or None where it uses a feature the SQL does not compile."""
        try:
            return compile_mapping(self.mapping, self._salt)
        except NotCompiled:
            return None

    def items(self, record: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
        """The records a source record holds (one, or every item ``records`` walks to), with the named items."""
        levels = self.mapping.records
        if not levels:
            yield record, {}
            return
        yield from self._walk(record, 0, {})

    def _walk(self, item: Any, depth: int, scope: dict[str, Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
        level = self.mapping.records[depth]
        found: Any = MISSING
        for path in level.paths:
            if (found := path.get(item, scope)) is not MISSING:
                break
        for child in found if isinstance(found, list) else ([] if found is MISSING else [found]):
            if level.where is not None and _absent(level.where.get(child, scope)):
                continue
            inner = {**scope, level.name: child} if level.name else scope
            if depth + 1 == len(self.mapping.records):
                yield child, inner
            else:
                yield from self._walk(child, depth + 1, inner)

    def map(self, record: Any) -> list[Outcome]:
        if not isinstance(record, dict):
            return [reject(None, f"a record must be a JSON object, not {type(record).__name__}")]
        outcomes: list[Outcome] = []
        for item, scope in self.items(record):
            try:
                outcomes.append(self.map_one(item, scope))
            except RecordError as exc:
                outcomes.append(exc)
        if not outcomes and self.mapping.records:
            where = ", ".join(p.text for level in self.mapping.records for p in level.paths)
            outcomes.append(reject(None, f"mapping {self.name}: records ({where}) found no record in this line"))
        return outcomes

    def map_one(self, item: Any, scope: dict[str, Any] | None = None) -> dict[str, Any]:
        """One spec record from one source item; raises RecordError naming the rule that failed."""
        scope = scope or {}
        if not isinstance(item, dict):
            raise reject(None, f"mapping {self.name}: a record must be an object, not {type(item).__name__}")
        out: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for rule in self.mapping.rules:
            value = self._value(rule, item, scope)
            if value is None:
                continue
            if rule.target.startswith("extra."):
                extra[rule.target[6:]] = value
            else:
                out[rule.target] = value
        self._check(out)
        if self.mapping.extra == "unmapped":
            extra = {**self._unmapped(item), **extra}
        if extra:
            out["extra"] = {**extra, **out.get("extra", {})} if isinstance(out.get("extra"), dict) else extra
        return out

    def _value(self, rule: Rule, item: dict[str, Any], scope: dict[str, Any]) -> Any:
        value = self._raw(rule, item, scope)
        if _absent(value):
            if rule.default is None:
                if rule.required:
                    raise self._fail(rule, "no value found")
                return None
            value = rule.default
        if rule.value_map:
            value = self._maps[rule.target].get(str(value), value)
        try:
            if rule.convert is not None:
                if rule.system is not None:
                    system = rule.system.get(item, scope)
                    value = rule.convert(value) if system is MISSING else rule.convert(value, system)  # type: ignore[call-arg]
                else:
                    value = rule.convert(value)
        except ValueError as exc:
            raise self._fail(rule, str(exc)) from None
        if isinstance(value, datetime):
            return value
        if rule.target in self._hashed and value is not None:
            value = hashlib.sha256((self._salt + str(value)).encode()).hexdigest()
        return value

    def _raw(self, rule: Rule, item: dict[str, Any], scope: dict[str, Any]) -> Any:
        if rule.sources:
            for path in rule.sources:
                value = path.get(item, scope)
                if not _absent(value):
                    return value
            return MISSING
        if rule.join:
            parts = [path.get(item, scope) for path in rule.join]
            if any(_absent(p) for p in parts):
                return MISSING
            return rule.sep.join(str(p) for p in parts)
        return rule.const

    def _fail(self, rule: Rule, reason: str) -> RecordError:
        field = rule.target.split(".")[0]
        return reject(field, f"mapping rule {rule.describe()}: {reason}")

    def _check(self, out: dict[str, Any]) -> None:
        for rule in self.mapping.rules:
            if rule.target in REQUIRED and out.get(rule.target) is None:
                raise self._fail(rule, f"no value for the required spec field {rule.target!r}")
        for field in self._unmapped_required:
            raise reject(field, f"mapping {self.name}: no rule under fields maps the required spec field {field!r}")
        if "messages" not in out and "prompt" not in out:
            rules = " or ".join(r.describe() for r in self._content_rules) or "no rule maps messages or prompt"
            raise reject("messages", f"mapping rule {rules}: no value for messages or prompt")

    def _unmapped(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: _decoded(v) for k, v in item.items() if k not in self._read and not _blank(v)}


def _decoded(value: Any) -> Any:
    """JSON held in a string is kept as the object it encodes (CSV exports write nested columns as text)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value
