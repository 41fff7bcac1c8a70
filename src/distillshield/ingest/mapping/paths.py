"""Source paths: where in a decoded record a mapping rule reads its value.

Grammar (one string per path)::

    [$NAME.] step ( "." key | "[" selector "]" | "|" function )*

- ``key``: a mapping key; quote it (``"gen_ai.request.model"``) when it holds ``.``, ``[``, ``]`` or ``|``;
- ``[N]``: the N-th item of an array (``[-1]`` the last); ``[*]``: every item, the rest of the path
  applies to each and the missing ones are dropped; ``[KEY=VALUE]``: the first item whose ``KEY`` equals
  ``VALUE`` (text up to ``]``, dots allowed: ``attributes[key=gen_ai.request.model]``);
- ``|json``: decode JSON held in a string; ``|any``: unwrap an OTLP ``AnyValue``
  (``stringValue``, ``intValue`` as text, ``arrayValue``, ``kvlistValue``, ...); ``|plain``: a string
  that does not hold a JSON object or array;
- ``$NAME.``: start at an enclosing item named by the mapping's ``records`` (``$resource.attributes``).

A path that finds nothing returns :data:`MISSING`, never raises: whether that is an
error is the rule's business (``required``, a spec field, a default).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

MISSING: Any = object()
Step = Callable[[Any], Any]
_TOKEN = re.compile(r'\.?"((?:[^"\\]|\\.)*)"|\.?([^.\[\]|"]+)|\[([^\]]*)\]|\|([a-z]+)')


class PathError(ValueError):
    """A path that does not parse; the loader adds file, line and key."""


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled source path: ``text`` as written, ``root`` an enclosing item's name or None."""

    text: str
    root: str | None
    steps: tuple[Step, ...]
    #: The leading plain keys (``input.inputBodyJson`` of ``input.inputBodyJson.messages``): what it reads.
    keys: tuple[str, ...]
    #: Set when the path is plain keys from the record (the common case), read without a call per step.
    plain: tuple[str, ...] | None = None

    def get(self, record: Any, scope: Mapping[str, Any]) -> Any:
        if self.plain is not None:
            value = record
            for key in self.plain:
                if type(value) is not dict:
                    return MISSING
                value = value.get(key, MISSING)
            return value
        value = record if self.root is None else scope.get(self.root, MISSING)
        for step in self.steps:
            if value is MISSING:
                return MISSING
            value = step(value)
        return value


def _key(name: str) -> Step:
    def step(value: Any) -> Any:
        return value.get(name, MISSING) if isinstance(value, dict) else MISSING

    return step


def _index(i: int) -> Step:
    def step(value: Any) -> Any:
        if isinstance(value, list) and -len(value) <= i < len(value):
            return value[i]
        return MISSING

    return step


def _match(key: str, wanted: str) -> Step:
    def step(value: Any) -> Any:
        if not isinstance(value, list):
            return MISSING
        for item in value:
            if isinstance(item, dict) and str(item.get(key)) == wanted:
                return item
        return MISSING

    return step


def _each(rest: tuple[Step, ...]) -> Step:
    """``[*]``: the rest of the path on every item; items where it finds nothing are dropped."""

    def step(value: Any) -> Any:
        if not isinstance(value, list):
            return MISSING
        found = []
        for item in value:
            for inner in rest:
                if item is MISSING:
                    break
                item = inner(item)
            if item is not MISSING:
                found.append(item)
        return found

    return step


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return MISSING
    return value  # already decoded (a Parquet struct, or a log that stores the object itself)


def _any(value: Any) -> Any:
    """An OTLP JSON ``AnyValue`` as a plain value (int64 is written as a decimal string in OTLP JSON)."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return MISSING
    for kind in ("doubleValue", "boolValue", "bytesValue"):
        if kind in value:
            return value[kind]
    if "arrayValue" in value:
        return [_any(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        pairs = (value["kvlistValue"] or {}).get("values", [])
        return {p.get("key"): _any(p.get("value")) for p in pairs if isinstance(p, dict)}
    return MISSING


def _plain(value: Any) -> Any:
    """A string that does not hold a JSON object or array (LiteLLM logs a bare prompt where messages go)."""
    if not isinstance(value, str):
        return MISSING
    return value if _json(value) is MISSING or value[:1] not in ("{", "[") else MISSING


FUNCTIONS: dict[str, Step] = {"json": _json, "any": _any, "plain": _plain}


def compile_path(text: str) -> Path:
    """Parse ``text``; raises :class:`PathError` saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise PathError("a path must be a non-empty string")
    body, root = text.strip(), None
    if body.startswith("$"):
        name, dot, body = body[1:].partition(".")
        if not name or not dot or not body:
            raise PathError(f"{text!r}: '$NAME.' must be followed by a path")
        root = name
    steps, keys = _tokens(text, body)
    plain = tuple(keys) if root is None and len(keys) == len(steps) else None
    return Path(text, root, _nest(steps), tuple(keys), plain)


def _tokens(text: str, body: str) -> tuple[list[Step | str], list[str]]:
    steps: list[Step | str] = []
    keys: list[str] = []
    plain, pos = True, 0
    while pos < len(body):
        token = _TOKEN.match(body, pos)
        if token is None or token.end() == pos:
            raise PathError(f"{text!r}: cannot read the path from {body[pos:]!r}")
        quoted, bare, selector, function = token.groups()
        if pos > 0 and body[pos] not in ".[|":
            raise PathError(f"{text!r}: expected '.', '[' or '|' before {body[pos:]!r}")
        pos = token.end()
        if quoted is not None or bare is not None:
            name = quoted.replace('\\"', '"') if quoted is not None else bare.strip()
            steps.append(_key(name))
            if plain:
                keys.append(name)
            continue
        plain = False
        if function is not None:
            if function not in FUNCTIONS:
                raise PathError(f"{text!r}: unknown function |{function}; known: {', '.join(sorted(FUNCTIONS))}")
            steps.append(FUNCTIONS[function])
        else:
            steps.append(_selector(text, selector.strip()))
    return steps, keys


def _selector(text: str, selector: str) -> Step | str:
    if selector == "*":
        return "*"
    if re.fullmatch(r"-?\d+", selector):
        return _index(int(selector))
    key, eq, wanted = selector.partition("=")
    if eq and key.strip():
        return _match(key.strip(), wanted.strip().strip("'\""))
    raise PathError(f"{text!r}: [{selector}] must be [N], [*] or [KEY=VALUE]")


def _nest(steps: list[Step | str]) -> tuple[Step, ...]:
    """Fold every ``[*]`` with the steps after it into one step that maps over the items."""
    for i, step in enumerate(steps):
        if step == "*":
            return tuple(s for s in steps[:i] if not isinstance(s, str)) + (_each(_nest(steps[i + 1 :])),)
    return tuple(s for s in steps if not isinstance(s, str))
