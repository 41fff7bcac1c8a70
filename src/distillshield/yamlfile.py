"""YAML read into plain values that remember their line, so an error can name file, line and field.

``yaml.safe_load`` loses line numbers and lets a repeated key silently win; this
loader keeps both: every mapping comes back as a :class:`Mapping` that knows the
line of each of its keys, and a repeated key is an error. :class:`Fields` gives
typed access to one mapping, so that every loader reports a bad value the same
way: ``path:line: field: reason``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from distillshield.errors import InputError, Location


class Mapping(dict[str, Any]):
    """A YAML mapping with the 1-based line of itself (``line``) and of each key (``lines``)."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings are :class:`Mapping` and reject repeated keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Mapping:
    loader.flatten_mapping(node)
    result, lines = Mapping(), {}
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        line = key_node.start_mark.line + 1
        if key in lines:
            raise _Duplicate(key, line)
        lines[key] = line
        result[key] = loader.construct_object(value_node, deep=True)
    result.line, result.lines = node.start_mark.line + 1, lines
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Duplicate(Exception):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key, self.line = key, line


def load_yaml(path: Path) -> Mapping:
    """The mapping at the top of ``path``; every problem raises :class:`InputError` with file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader derives from SafeLoader: no arbitrary objects
    except _Duplicate as exc:
        raise InputError(f"key {exc.key!r} appears twice", Location(path, exc.line, exc.key)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", Location(path, line)) from exc
    if not isinstance(data, Mapping):
        raise InputError("expected a mapping at the top of the file", Location(path, 1))
    return data


def line_of(mapping: object, key: str) -> int:
    """The line of ``key`` in ``mapping`` (of the mapping itself when the key is absent); 0 if unknown."""
    if isinstance(mapping, Mapping):
        return mapping.lines.get(key, mapping.line)
    return 0


class Fields:
    """Typed access to one YAML mapping; every mistake becomes an InputError naming file, line and field.

    ``where`` is the mapping's dotted place in the file (``tiers.new``, ``risk[2]``);
    ``line`` is used when ``value`` is not a mapping and so has no line of its own.
    """

    def __init__(self, value: object, path: Path, where: str, allowed: set[str], *, line: int = 0) -> None:
        if not isinstance(value, Mapping):
            raise InputError(f"{where} must be a mapping", Location(path, line, where))
        self.mapping, self.path, self.where = value, path, where
        unknown = sorted(set(value) - allowed)
        if unknown:
            key = unknown[0]
            raise InputError(
                f"unknown key {key!r} in {where}; known: {', '.join(sorted(allowed))}",
                Location(path, line_of(value, key), f"{where}.{key}"),
            )

    @property
    def line(self) -> int:
        return self.mapping.line

    def error(self, key: str, reason: str) -> InputError:
        return InputError(reason, Location(self.path, line_of(self.mapping, key), f"{self.where}.{key}"))

    def has(self, key: str) -> bool:
        return self.mapping.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.mapping.get(key)

    def number(self, key: str, default: float | None, *, low: float = 0.0, high: float | None = None) -> float | None:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"{key} must be a number, not {value!r}")
        if value < low or (high is not None and value > high):
            bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
            raise self.error(key, f"{key} must be in {bounds}, not {value}")
        return float(value)

    def string(self, key: str, default: str | None = None, *, choices: tuple[str, ...] = ()) -> str | None:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(key, f"{key} must be a string, not {value!r}")
        if choices and value not in choices:
            raise self.error(key, f"{key} must be one of {', '.join(choices)}, not {value!r}")
        return value
